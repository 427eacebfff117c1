using System.Buffers;
using System.Security.Cryptography;
using Pipeline.Core.Execution;
using Pipeline.Core.Observability;
using Pipeline.RemoteFs;
using Pipeline.RemoteFs.Local;

namespace Pipeline.Core.Steps.Files;

/// <summary>How one file is copied.</summary>
/// <param name="Overwrite">Replace an existing destination file.</param>
/// <param name="Verify">Compare SHA-256 checksums of source and destination afterwards.</param>
/// <param name="PreserveTimestamps">Give the copy the source's modification time (where the destination can take it).</param>
internal sealed record TransferOptions(bool Overwrite, bool Verify, bool PreserveTimestamps);

/// <summary>Copies one file within or across file systems without ever leaving a partial file under the final name.</summary>
internal static class FileTransfer
{
    private const int BufferSize = 1 << 20;

    /// <summary>Copies <paramref name="item"/> to <paramref name="destinationPath"/>; returns the bytes copied.</summary>
    public static async Task<long> CopyAsync(
        StepContext context, FileLocation source, RemoteItem item, FileLocation destination, string destinationPath,
        TransferOptions options, CancellationToken cancellationToken)
    {
        long bytes;
        if (source.SameFileSystemAs(destination))
        {
            await source.FileSystem.CopyAsync(item.Path, destinationPath, options.Overwrite, cancellationToken).ConfigureAwait(false);
            bytes = item.Length;
            if (options.Verify)
            {
                var expected = await source.FileSystem.GetChecksumAsync(item.Path, ChecksumAlgorithm.Sha256, cancellationToken).ConfigureAwait(false);
                await VerifyAsync(source, item, destination, destinationPath, expected.Hex, cancellationToken).ConfigureAwait(false);
            }
        }
        else
        {
            using var hash = options.Verify ? Checksums.Create(ChecksumAlgorithm.Sha256) : null;
            await using (var input = await source.FileSystem.OpenReadAsync(item.Path, cancellationToken: cancellationToken).ConfigureAwait(false))
            await using (var output = await destination.FileSystem.OpenWriteAsync(destinationPath,
                new WriteOptions { Overwrite = options.Overwrite, CreateParents = true, ExpectedLength = item.Length }, cancellationToken).ConfigureAwait(false))
            {
                bytes = await PumpAsync(input, output, hash, cancellationToken).ConfigureAwait(false);
                if (bytes != item.Length)
                {
                    throw new StepException(ErrorKind.Integrity,
                        $"The file '{source.Display(item.Path)}' changed while it was copied: it was listed with {item.Length} bytes but {bytes} were read.");
                }
                await output.CommitAsync(cancellationToken).ConfigureAwait(false);
            }
            if (hash is not null)
                await VerifyAsync(source, item, destination, destinationPath, Convert.ToHexString(hash.GetHashAndReset()).ToLowerInvariant(), cancellationToken).ConfigureAwait(false);
        }

        if (options.PreserveTimestamps)
        {
            if (item.LastWriteTime is { } time && !destination.TrySetLastWriteTime(destinationPath, time))
                context.Log(LogLevel.Verbose, $"'{destination.Display(destinationPath)}' keeps the time it was written: its file system cannot set modification times.");
        }
        else
        {
            destination.TrySetLastWriteTime(destinationPath, context.Time.GetUtcNow());
        }
        return bytes;
    }

    private static async Task VerifyAsync(FileLocation source, RemoteItem item, FileLocation destination, string destinationPath, string expectedHex, CancellationToken cancellationToken)
    {
        var actual = await destination.FileSystem.GetChecksumAsync(destinationPath, ChecksumAlgorithm.Sha256, cancellationToken).ConfigureAwait(false);
        if (actual.Matches(expectedHex)) return;
        try
        {
            await destination.FileSystem.DeleteFileAsync(destinationPath, cancellationToken).ConfigureAwait(false);
        }
        catch (RemoteFsException)
        {
            // The mismatch is the failure to report; a copy that cannot be removed is named in it.
        }
        throw new StepException(ErrorKind.Integrity,
            $"The copy of '{source.Display(item.Path)}' at '{destination.Display(destinationPath)}' does not match it: " +
            $"source SHA-256 {expectedHex}, copy SHA-256 {actual.Hex}. The copy was removed.");
    }

    private static async Task<long> PumpAsync(Stream input, Stream output, IncrementalHash? hash, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        try
        {
            long total = 0;
            int read;
            while ((read = await input.ReadAsync(buffer.AsMemory(0, BufferSize), cancellationToken).ConfigureAwait(false)) > 0)
            {
                hash?.AppendData(buffer, 0, read);
                await output.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
                total += read;
            }
            return total;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
