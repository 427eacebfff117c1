using System.Buffers;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Pipeline.RemoteFs.Azure;

/// <summary>
/// Writes a block blob: content is cut into blocks staged in parallel (Put Block), and only
/// <see cref="CommitAsync"/> names them in a block list (Put Block List) — Azure's own atomicity: uncommitted
/// blocks are never visible under the blob's name and the service discards them. Content smaller than one
/// block is sent as one Put Blob at commit. The MD5 of the whole content is stored as the blob's Content-MD5.
/// </summary>
internal sealed class AzureBlobWriteStream : RemoteWriteStream
{
    private readonly AzureBlobClient _client;
    private readonly string _container;
    private readonly string _blob;
    private readonly bool _overwrite;
    private readonly int _blockSize;
    private readonly SemaphoreSlim _slots;
    private readonly List<Task> _staging = [];
    private readonly List<string> _blockIds = [];
    private readonly IncrementalHash _md5 = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
    private readonly CancellationTokenSource _abort = new();
    private readonly string _uploadId = Guid.NewGuid().ToString("N")[..16];
    private byte[] _buffer;
    private int _filled;
    private long _written;
    private bool _committed;
    private bool _disposed;

    public AzureBlobWriteStream(AzureBlobClient client, string container, string blob, string path, bool overwrite, int blockSize, int parallelBlocks)
    {
        _client = client;
        _container = container;
        _blob = blob;
        Path = path;
        _overwrite = overwrite;
        _blockSize = blockSize;
        _slots = new SemaphoreSlim(parallelBlocks);
        _buffer = ArrayPool<byte>.Shared.Rent(blockSize);
    }

    public override string Path { get; }

    public override long Position { get => _written; set => throw new NotSupportedException(); }

    public override void Flush() { }

    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public override void Write(byte[] buffer, int offset, int count) =>
        WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed || _committed, this);
        ThrowIfStagingFailed();
        _md5.AppendData(buffer.Span);
        _written += buffer.Length;
        while (buffer.Length > 0)
        {
            var take = Math.Min(buffer.Length, _blockSize - _filled);
            buffer.Span[..take].CopyTo(_buffer.AsSpan(_filled));
            _filled += take;
            buffer = buffer[take..];
            if (_filled == _blockSize)
                await StageBufferAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Hands the full buffer to a background Put Block once a parallel slot is free.</summary>
    private async Task StageBufferAsync(CancellationToken cancellationToken)
    {
        await _slots.WaitAsync(cancellationToken).ConfigureAwait(false);
        var block = _buffer;
        var length = _filled;
        // Ids of one blob must all have the same length: a per-stream prefix and a fixed-width index.
        var id = Convert.ToBase64String(Encoding.ASCII.GetBytes($"{_uploadId}-{_blockIds.Count.ToString("D6", CultureInfo.InvariantCulture)}"));
        _blockIds.Add(id);
        _buffer = ArrayPool<byte>.Shared.Rent(_blockSize);
        _filled = 0;
        _staging.Add(Task.Run(async () =>
        {
            try
            {
                await _client.PutBlockAsync(_container, _blob, id, block.AsMemory(0, length), _abort.Token).ConfigureAwait(false);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(block);
                _slots.Release();
            }
        }, CancellationToken.None));
        ThrowIfStagingFailed();
    }

    private void ThrowIfStagingFailed()
    {
        var failed = _staging.FirstOrDefault(t => t.IsFaulted);
        if (failed is not null) failed.GetAwaiter().GetResult();
    }

    public override async Task CommitAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed || _committed, this);
        var md5 = _md5.GetHashAndReset();
        if (_blockIds.Count == 0)
        {
            await _client.PutBlobAsync(_container, _blob, _buffer.AsMemory(0, _filled), md5, _overwrite, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            if (_filled > 0) await StageBufferAsync(cancellationToken).ConfigureAwait(false);
            await Task.WhenAll(_staging).WaitAsync(cancellationToken).ConfigureAwait(false);
            await _client.PutBlockListAsync(_container, _blob, _blockIds, md5, _overwrite, cancellationToken).ConfigureAwait(false);
        }
        _committed = true;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing && !_disposed)
            DisposeAsync().AsTask().GetAwaiter().GetResult();
        base.Dispose(disposing);
    }

    /// <summary>Stops staging; blocks already staged stay uncommitted, which no reader ever sees.</summary>
    public override async ValueTask DisposeAsync()
    {
        if (_disposed) return;
        _disposed = true;
        _abort.Cancel();
        try
        {
            await Task.WhenAll(_staging).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or RemoteFsException)
        {
        }
        ArrayPool<byte>.Shared.Return(_buffer);
        _md5.Dispose();
        _abort.Dispose();
        _slots.Dispose();
        GC.SuppressFinalize(this);
    }
}
