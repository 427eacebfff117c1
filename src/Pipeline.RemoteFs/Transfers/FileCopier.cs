using System.Buffers;
using System.IO.Compression;
using System.Security.Cryptography;
using Pipeline.RemoteFs.Local;

namespace Pipeline.RemoteFs.Transfers;

/// <summary>A file copy that failed after <see cref="Attempts"/> attempts.</summary>
internal sealed class FileCopyFailed(RemoteFsException error, int attempts) : Exception(error.Message, error)
{
    public RemoteFsException Error { get; } = error;
    public int Attempts { get; } = attempts;
}

/// <summary>
/// Copies one file between any two file systems: retries transient failures with backoff, never leaves a partial
/// file under the final name, verifies the checksum, resumes local downloads from an offset and fetches large ones in
/// parallel ranged parts, and compresses or decompresses on the fly.
/// </summary>
internal sealed partial class FileCopier
{
    private const int ChunkSize = 1 << 20;
    private readonly TransferOptions _options;
    private readonly ProgressTracker _progress;

    public FileCopier(TransferOptions options, ProgressTracker progress)
    {
        _options = options;
        _progress = progress;
    }

    public async Task<TransferredFile> CopyAsync(IRemoteFileSystem source, RemoteItem item, IRemoteFileSystem destination, string destinationPath, CancellationToken cancellationToken)
    {
        _progress.FileStarted(item.Path);
        var download = destination is LocalFileSystem local ? new LocalDownload(this, source, item, local, destinationPath) : null;
        try
        {
            for (var attempt = 1; ; attempt++)
            {
                var counted = 0L;
                void Count(long bytes)
                {
                    counted += bytes;
                    _progress.Add(bytes);
                }
                try
                {
                    if (download is not null)
                        return await download.RunAsync(attempt, Count, cancellationToken).ConfigureAwait(false);
                    if (ReferenceEquals(source, destination) && _options.Gzip == GzipMode.None &&
                        source.Capabilities.HasFlag(RemoteCapabilities.ServerSideCopy))
                        return await ServerSideCopyAsync(source, item, destinationPath, Count, cancellationToken).ConfigureAwait(false);
                    return await StreamToRemoteAsync(source, item, destination, destinationPath, Count, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
                {
                    var error = ToRemote(ex, item.Path, source.Endpoint);
                    if (error.Kind is RemoteErrorKind.Conflict or RemoteErrorKind.Io) download?.Discard();
                    // A resumed download keeps what it has; anything else starts again, so its bytes are taken back.
                    if (download is null || !download.KeepsProgress) _progress.Add(-counted);
                    if (!error.IsTransient || attempt >= _options.MaxAttempts)
                        throw new FileCopyFailed(error, attempt);
                    var delay = _options.RetryDelay * Math.Pow(2, attempt - 1);
                    await Task.Delay(delay, _options.TimeProvider, cancellationToken).ConfigureAwait(false);
                }
            }
        }
        finally
        {
            if (download is not null) await download.FinishAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Turns what an attempt threw into a typed error (local I/O, bad gzip, anything else).</summary>
    internal static RemoteFsException ToRemote(Exception ex, string path, RemoteEndpoint endpoint) => ex switch
    {
        RemoteFsException remote => remote,
        FileCopyFailed failed => failed.Error,
        HttpIOException or HttpRequestException or System.Net.Sockets.SocketException or IOException { InnerException: System.Net.Sockets.SocketException or HttpRequestException } =>
            new RemoteFsException(RemoteErrorKind.Transient, $"The connection broke during the transfer ({ex.Message})", path, endpoint, ex),
        InvalidDataException bad => new RemoteFsException(RemoteErrorKind.Io, bad.Message, path, endpoint, bad),
        OperationCanceledException cancelled => new RemoteFsException(RemoteErrorKind.Timeout, "The operation timed out", path, endpoint, cancelled),
        IOException or UnauthorizedAccessException => LocalErrors.Map(ex, path),
        _ => new RemoteFsException(RemoteErrorKind.Io, ex.Message, path, endpoint, ex),
    };

    private async Task<TransferredFile> ServerSideCopyAsync(IRemoteFileSystem fileSystem, RemoteItem item, string destinationPath, Action<long> count, CancellationToken cancellationToken)
    {
        await fileSystem.CopyAsync(item.Path, destinationPath, _options.Overwrite, cancellationToken).ConfigureAwait(false);
        count(item.Length);
        FileChecksum? checksum = null;
        if (_options.VerifyChecksum)
        {
            var expected = await fileSystem.GetChecksumAsync(item.Path, _options.ChecksumAlgorithm, cancellationToken).ConfigureAwait(false);
            checksum = await VerifyRemoteAsync(fileSystem, destinationPath, expected.Hex, item.Path, cancellationToken).ConfigureAwait(false);
        }
        return new TransferredFile(item.Path, destinationPath, item.Length, checksum);
    }

    /// <summary>Streams into the destination's write stream; only its commit makes the file visible.</summary>
    private async Task<TransferredFile> StreamToRemoteAsync(IRemoteFileSystem source, RemoteItem item, IRemoteFileSystem destination, string destinationPath, Action<long> count, CancellationToken cancellationToken)
    {
        using var hash = _options.VerifyChecksum ? Checksums.Create(_options.ChecksumAlgorithm) : null;
        using var multipart = _options.VerifyChecksum && _options.ChecksumAlgorithm == ChecksumAlgorithm.Md5 ? S3MultipartETag.For(destination) : null;
        long written;
        string? committedETag;
        string? expected;
        FileChecksum? verified = null;
        await using (var output = await destination.OpenWriteAsync(destinationPath,
            new WriteOptions { Overwrite = _options.Overwrite, CreateParents = true, ExpectedLength = _options.Gzip == GzipMode.None ? item.Length : null },
            cancellationToken).ConfigureAwait(false))
        {
            var hashing = new HashingWriteStream(output, hash, multipart);
            await using (var input = new CountingReadStream(await source.OpenReadAsync(item.Path, cancellationToken: cancellationToken).ConfigureAwait(false), count))
            {
                await PumpAsync(input, hashing, cancellationToken).ConfigureAwait(false);
                CheckLength(item, input.BytesRead, source);
            }
            written = hashing.BytesWritten;
            if (source is LocalFileSystem)
                await CheckUnchangedAsync(source, item, cancellationToken).ConfigureAwait(false);
            expected = hash is null ? null : Convert.ToHexString(hash.GetHashAndReset()).ToLowerInvariant();
            // A stream that reads back what the server stored before its commit verifies the copy in the round trips of
            // the upload itself (SMB), and a mismatch never reaches the final name.
            if (expected is not null && multipart is null && output is IChecksumVerifyingWriteStream verifying)
                verified = await verifying.CommitIfStoredChecksumAsync(_options.ChecksumAlgorithm, expected, cancellationToken).ConfigureAwait(false);
            if (verified is null)
                await output.CommitAsync(cancellationToken).ConfigureAwait(false);
            else if (!verified.Matches(expected!))
                throw ChecksumMismatch(item.Path, destinationPath, expected!, verified.Hex, destination.Endpoint);
            committedETag = (output as S3.S3WriteStream)?.CommittedETag?.Trim('"');
        }
        FileChecksum? checksum = verified;
        if (expected is not null && verified is null)
        {
            // S3 answers the upload with the ETag it computed from what it received: when it is the MD5 (or the
            // multipart ETag) of what was sent, the upload is verified without another request.
            checksum = committedETag is not null && multipart is not null && multipart.Matches(committedETag, expected)
                ? new FileChecksum(ChecksumAlgorithm.Md5, expected, Native: true)
                : multipart?.Parts > 1
                ? await multipart.VerifyAsync(destination, destinationPath, expected, item.Path, cancellationToken).ConfigureAwait(false)
                : await VerifyRemoteAsync(destination, destinationPath, expected, item.Path, cancellationToken).ConfigureAwait(false);
        }
        return new TransferredFile(item.Path, destinationPath, written, checksum);
    }

    /// <summary>Copies <paramref name="input"/> to <paramref name="output"/>, compressing or decompressing as asked.</summary>
    internal async Task PumpAsync(Stream input, Stream output, CancellationToken cancellationToken)
    {
        Stream from = _options.Gzip == GzipMode.Decompress ? new CheckedGzipReadStream(input) : input;
        var to = _options.Gzip == GzipMode.Compress ? new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true) : output;
        var buffer = ArrayPool<byte>.Shared.Rent(ChunkSize);
        try
        {
            int read;
            while ((read = await from.ReadAsync(buffer.AsMemory(0, ChunkSize), cancellationToken).ConfigureAwait(false)) > 0)
                await to.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
            if (!ReferenceEquals(to, output)) await to.DisposeAsync().ConfigureAwait(false); // writes the gzip trailer
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
            if (!ReferenceEquals(from, input)) await from.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Fails when the source gave another number of bytes than it was listed with: it changed (or was cut short).</summary>
    internal static void CheckLength(RemoteItem item, long read, IRemoteFileSystem source)
    {
        if (read != item.Length)
            throw new RemoteFsException(RemoteErrorKind.Conflict,
                $"The source changed while it was copied: it was listed with {item.Length} bytes but {read} were read", item.Path, source.Endpoint);
    }

    /// <summary>Fails when the source's size, time or entity tag is no longer what was listed.</summary>
    internal static async Task CheckUnchangedAsync(IRemoteFileSystem source, RemoteItem item, CancellationToken cancellationToken)
    {
        var now = await source.StatAsync(item.Path, cancellationToken).ConfigureAwait(false);
        if (now is null || now.Length != item.Length || now.LastWriteTime != item.LastWriteTime ||
            (now.ETag is not null && item.ETag is not null && now.ETag != item.ETag))
            throw new RemoteFsException(RemoteErrorKind.Conflict,
                "The source changed while it was copied (its size, time or version differs from when the copy started); nothing was written under the destination name",
                item.Path, source.Endpoint);
    }

    private async Task<FileChecksum> VerifyRemoteAsync(IRemoteFileSystem destination, string destinationPath, string expectedHex, string sourcePath, CancellationToken cancellationToken)
    {
        var actual = await destination.GetChecksumAsync(destinationPath, _options.ChecksumAlgorithm, cancellationToken).ConfigureAwait(false);
        if (actual.Matches(expectedHex)) return actual;
        await DeleteQuietlyAsync(destination, destinationPath).ConfigureAwait(false);
        throw ChecksumMismatch(sourcePath, destinationPath, expectedHex, actual.Hex, destination.Endpoint);
    }

    internal RemoteFsException ChecksumMismatch(string sourcePath, string destinationPath, string expected, string actual, RemoteEndpoint endpoint) =>
        new(RemoteErrorKind.Io,
            $"The copy of '{sourcePath}' does not match what was sent: {_options.ChecksumAlgorithm} {expected} sent, {actual} stored; the copy was removed",
            destinationPath, endpoint);

    internal static async Task DeleteQuietlyAsync(IRemoteFileSystem fileSystem, string path)
    {
        try
        {
            await fileSystem.DeleteFileAsync(path, CancellationToken.None).ConfigureAwait(false);
        }
        catch (RemoteFsException)
        {
            // The mismatch is the failure to report.
        }
    }
}
