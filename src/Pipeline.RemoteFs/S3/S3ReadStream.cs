using Amazon.S3.Model;

namespace Pipeline.RemoteFs.S3;

/// <summary>The body of one GetObject response; failures while reading it become typed errors, and disposing it releases the connection.</summary>
internal sealed class S3ReadStream : Stream
{
    private readonly GetObjectResponse _response;
    private readonly Stream _body;
    private readonly S3FileSystem _fileSystem;
    private readonly string _key;

    public S3ReadStream(GetObjectResponse response, S3FileSystem fileSystem, string key)
    {
        _response = response;
        _body = response.ResponseStream;
        _fileSystem = fileSystem;
        _key = key;
    }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    /// <summary>The bytes this response carries (the range's length for a ranged read).</summary>
    public override long Length => _response.ContentLength;
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override void Flush() { }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        try
        {
            return _body.Read(buffer);
        }
        catch (Exception ex) when (ex is IOException or HttpRequestException && ex is not RemoteFsException)
        {
            throw _fileSystem.ReadFailed(ex, _key, default);
        }
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        try
        {
            return await _body.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or HttpRequestException && ex is not RemoteFsException)
        {
            throw _fileSystem.ReadFailed(ex, _key, cancellationToken);
        }
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _body.Dispose();
            _response.Dispose();
        }
        base.Dispose(disposing);
    }
}
