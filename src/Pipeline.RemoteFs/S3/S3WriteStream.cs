using System.Buffers;
using Amazon.S3;
using Amazon.S3.Model;

namespace Pipeline.RemoteFs.S3;

/// <summary>
/// Writes one S3 object. Content smaller than a part is sent as a single PutObject on commit; larger content goes
/// into a multipart upload whose parts are uploaded in parallel (a bounded number in flight) while the caller writes.
/// Only <see cref="CommitAsync"/> makes the object visible (PutObject or CompleteMultipartUpload); disposing without
/// committing aborts the multipart upload, so nothing is ever left under the final name.
/// </summary>
internal sealed class S3WriteStream : RemoteWriteStream
{
    private readonly S3FileSystem _fileSystem;
    private readonly IAmazonS3 _client;
    private readonly S3Settings _settings;
    private readonly string _key;
    private readonly bool _overwrite;
    private readonly SemaphoreSlim _slots;
    private readonly CancellationTokenSource _lifetime = new();
    private readonly List<Task<PartETag>> _parts = [];
    private byte[]? _buffer;
    private int _filled;
    private string? _uploadId;
    private bool _committed;
    private bool _disposed;

    public S3WriteStream(S3FileSystem fileSystem, IAmazonS3 client, S3Settings settings, string path, string key, bool overwrite)
    {
        _fileSystem = fileSystem;
        _client = client;
        _settings = settings;
        Path = path;
        _key = key;
        _overwrite = overwrite;
        _slots = new SemaphoreSlim(settings.UploadConcurrency);
    }

    public override string Path { get; }

    /// <summary>The ETag the server gave the committed object (its MD5, or the multipart ETag), so a transfer can
    /// verify the upload without another request.</summary>
    internal string? CommittedETag { get; private set; }

    /// <summary>The multipart upload's id once content outgrew one part, for tests and diagnostics.</summary>
    internal string? UploadId => _uploadId;

    public override void Flush() { }

    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_committed) throw new InvalidOperationException($"The upload of '{Path}' was already committed.");
        while (buffer.Length > 0)
        {
            _buffer ??= ArrayPool<byte>.Shared.Rent(_settings.PartSize);
            var take = Math.Min(buffer.Length, _settings.PartSize - _filled);
            buffer.Span[..take].CopyTo(_buffer.AsSpan(_filled));
            _filled += take;
            buffer = buffer[take..];
            if (_filled == _settings.PartSize)
                await SendPartAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Hands the full buffer to a background part upload, once a slot is free.</summary>
    private async Task SendPartAsync(CancellationToken cancellationToken)
    {
        ThrowIfAPartFailed();
        if (_uploadId is null)
        {
            var initiate = new InitiateMultipartUploadRequest { BucketName = _settings.Bucket, Key = _key };
            var response = await _fileSystem.CallAsync("Upload", _key, ct => _client.InitiateMultipartUploadAsync(initiate, ct), cancellationToken).ConfigureAwait(false);
            _uploadId = response.UploadId;
        }
        await _slots.WaitAsync(cancellationToken).ConfigureAwait(false);
        var data = _buffer!;
        var length = _filled;
        var number = _parts.Count + 1;
        _buffer = null;
        _filled = 0;
        _parts.Add(UploadPartAsync(data, length, number));
    }

    private async Task<PartETag> UploadPartAsync(byte[] data, int length, int number)
    {
        try
        {
            var request = new UploadPartRequest
            {
                BucketName = _settings.Bucket,
                Key = _key,
                UploadId = _uploadId,
                PartNumber = number,
                PartSize = length,
                InputStream = new MemoryStream(data, 0, length, writable: false),
                // Streaming (aws-chunked) signatures are not understood by many S3-compatible servers, which store the framing as content.
                UseChunkEncoding = false,
            };
            var response = await _fileSystem.CallAsync("Upload part " + number, _key, ct => _client.UploadPartAsync(request, ct), _lifetime.Token).ConfigureAwait(false);
            return new PartETag(number, response.ETag);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(data);
            _slots.Release();
        }
    }

    private void ThrowIfAPartFailed()
    {
        if (_parts.FirstOrDefault(p => p.IsFaulted) is { } failed)
            throw failed.Exception!.InnerException!;
    }

    public override async Task CommitAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_committed) throw new InvalidOperationException($"The upload of '{Path}' was already committed.");
        if (!_overwrite && await _fileSystem.ExistsAsync(_key, cancellationToken).ConfigureAwait(false))
            throw new RemoteFsException(RemoteErrorKind.Conflict, $"Upload of s3 object '{_settings.Bucket}/{_key}' refused: the object appeared while it was written", Path, _settings.Endpoint);
        if (_uploadId is null)
        {
            var put = new PutObjectRequest
            {
                BucketName = _settings.Bucket,
                Key = _key,
                InputStream = new MemoryStream(_buffer ?? [], 0, _filled, writable: false),
                UseChunkEncoding = false,
            };
            var response = await _fileSystem.CallAsync("Upload", _key, ct => _client.PutObjectAsync(put, ct), cancellationToken).ConfigureAwait(false);
            CommittedETag = response.ETag;
            _committed = true;
            return;
        }
        if (_filled > 0) await SendPartAsync(cancellationToken).ConfigureAwait(false);
        PartETag[] parts;
        try
        {
            parts = await Task.WhenAll(_parts).WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception) when (_parts.FirstOrDefault(p => p.IsFaulted) is { } failed)
        {
            throw failed.Exception!.InnerException!;
        }
        var complete = new CompleteMultipartUploadRequest { BucketName = _settings.Bucket, Key = _key, UploadId = _uploadId, PartETags = [.. parts] };
        var completed = await _fileSystem.CallAsync("Complete upload", _key, ct => _client.CompleteMultipartUploadAsync(complete, ct), cancellationToken).ConfigureAwait(false);
        CommittedETag = completed.ETag;
        _committed = true;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) DisposeAsync().AsTask().GetAwaiter().GetResult();
        base.Dispose(disposing);
    }

    public override async ValueTask DisposeAsync()
    {
        if (_disposed) return;
        _disposed = true;
        if (!_committed) await _lifetime.CancelAsync().ConfigureAwait(false);
        try
        {
            await Task.WhenAll(_parts).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // Part failures were reported to the writer; a cancelled upload's parts fail by design.
        }
        if (!_committed && _uploadId is not null)
        {
            // Abort even when the caller's token is cancelled, within a bounded time, so no parts linger (and cost).
            using var abortTime = new CancellationTokenSource(_settings.OperationTimeout);
            try
            {
                await _client.AbortMultipartUploadAsync(new AbortMultipartUploadRequest { BucketName = _settings.Bucket, Key = _key, UploadId = _uploadId }, abortTime.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is AmazonS3Exception or HttpRequestException or IOException or OperationCanceledException)
            {
                // Best effort: a lifecycle rule for incomplete multipart uploads is the backstop.
            }
        }
        if (_buffer is not null) ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = null;
        _lifetime.Dispose();
        _slots.Dispose();
        await base.DisposeAsync().ConfigureAwait(false);
    }
}
