using System.Security.Cryptography;
using Amazon.Runtime.Internal.Util;
using Amazon.S3;
using Amazon.S3.Model;

namespace Pipeline.RemoteFs.S3;

/// <summary>
/// The body of one GET of an object (the SDK's GetObject or a presigned GET); failures while reading it become typed
/// errors, and disposing it releases the connection. A whole object whose ETag is its MD5 is checked against it as it
/// streams: reading past the last byte of a body that does not match fails with <see cref="RemoteErrorKind.Io"/>.
/// </summary>
/// <remarks>
/// The SDK makes the same check on a whole object's body, through its own managed MD5 (<see cref="MD5Stream"/>), which
/// costs several times the platform's MD5 used here: its wrapper is taken off and the check made here instead, by the
/// SDK's rule (a 32-digit ETag of an object not encrypted with KMS or a customer key).
/// </remarks>
internal sealed class S3ReadStream : Stream, IMd5CheckedReadStream
{
    private readonly Stream _body;
    private readonly long _length;
    private readonly IDisposable _owner;
    private readonly S3FileSystem _fileSystem;
    private readonly string _key;
    private readonly IncrementalHash? _md5;
    private readonly string? _expectedMd5;
    private long _read;
    private bool _ended;

    /// <param name="body">The response's body.</param>
    /// <param name="length">The bytes the response carries (its Content-Length).</param>
    /// <param name="expectedMd5">The whole object's MD5 to check the body against, or null to check nothing.</param>
    /// <param name="owner">The response, disposed with this stream (it releases the connection).</param>
    /// <param name="fileSystem">The file system whose typed errors failures become.</param>
    /// <param name="key">The object's key, for messages.</param>
    public S3ReadStream(Stream body, long length, string? expectedMd5, IDisposable owner, S3FileSystem fileSystem, string key)
    {
        _body = body;
        _length = length;
        _owner = owner;
        _fileSystem = fileSystem;
        _key = key;
        _expectedMd5 = expectedMd5;
        _md5 = _expectedMd5 is null ? null : IncrementalHash.CreateHash(HashAlgorithmName.MD5);
    }

    /// <summary>The body of an SDK GetObject response, checked against the object's MD5 when it is the whole object.</summary>
    public static S3ReadStream FromSdk(GetObjectResponse response, S3FileSystem fileSystem, string key, bool wholeObject)
    {
        var body = response.ResponseStream is MD5Stream sdkCheck ? sdkCheck.GetNonWrapperBaseStream() : response.ResponseStream;
        var expected = wholeObject
            ? EtagMd5(response.ETag, response.ServerSideEncryptionMethod?.Value, response.ServerSideEncryptionKeyManagementServiceKeyId,
                response.ServerSideEncryptionCustomerMethod is { } customer && customer != ServerSideEncryptionCustomerMethod.None ? customer.Value : null)
            : null;
        return new S3ReadStream(body, response.ContentLength, expected, response, fileSystem, key);
    }

    /// <summary>
    /// The MD5 of the whole object, checked against its ETag, once the body has been read to its end; null before, or
    /// when this read is no whole object or its ETag is no MD5.
    /// </summary>
    public string? VerifiedMd5 { get; private set; }

    /// <summary>Whether reading to the end checks the body against the object's MD5 (see <see cref="VerifiedMd5"/>).</summary>
    public bool ChecksMd5 => _md5 is not null;

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    /// <summary>The bytes this response carries (the range's length for a ranged read).</summary>
    public override long Length => _length;
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override void Flush() { }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        int read;
        try
        {
            read = _body.Read(buffer);
        }
        catch (Exception ex) when (ex is IOException or HttpRequestException && ex is not RemoteFsException)
        {
            throw _fileSystem.ReadFailed(ex, _key, default);
        }
        return Checked(buffer[..read], buffer.Length);
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        int read;
        try
        {
            read = await _body.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or HttpRequestException && ex is not RemoteFsException)
        {
            throw _fileSystem.ReadFailed(ex, _key, cancellationToken);
        }
        return Checked(buffer.Span[..read], buffer.Length);
    }

    private int Checked(ReadOnlySpan<byte> received, int asked)
    {
        if (_md5 is null || _ended || asked == 0) return received.Length;
        if (received.Length > 0)
        {
            _md5.AppendData(received);
            _read += received.Length;
            return received.Length;
        }
        _ended = true;
        // A short body is not judged here: the caller knows the length it expects and says what went wrong.
        if (_read != _length) return 0;
        var actual = Convert.ToHexString(_md5.GetHashAndReset()).ToLowerInvariant();
        if (actual != _expectedMd5) throw _fileSystem.ReadDamaged(_key, _expectedMd5!, actual);
        VerifiedMd5 = actual;
        return 0;
    }

    /// <summary>
    /// The MD5 an object's ETag states, when it states one (the SDK's rule: a 32-digit ETag, not a multipart upload's,
    /// of an object encrypted neither with KMS nor with a customer-provided key); else null.
    /// </summary>
    public static string? EtagMd5(string? etag, string? encryption, string? kmsKeyId, string? customerAlgorithm)
    {
        if (etag?.Trim('"') is not { Length: 32 } md5 || !md5.All(char.IsAsciiHexDigit)) return null;
        if (!string.IsNullOrEmpty(kmsKeyId) || !string.IsNullOrEmpty(customerAlgorithm)) return null;
        if (encryption is { } method && method.StartsWith("aws:kms", StringComparison.OrdinalIgnoreCase)) return null;
        return md5.ToLowerInvariant();
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
            _md5?.Dispose();
            _body.Dispose();
            _owner.Dispose();
        }
        base.Dispose(disposing);
    }
}
