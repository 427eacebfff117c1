using System.Security.Cryptography;
using Pipeline.RemoteFs.S3;

namespace Pipeline.RemoteFs.Transfers;

/// <summary>
/// Predicts the ETag S3 gives a multipart upload — the MD5 of the parts' MD5s, a dash and the part count — from the
/// bytes as they are sent, so a large upload is verified by one HEAD instead of reading the object back.
/// </summary>
internal sealed class S3MultipartETag : IDisposable
{
    private readonly int _partSize;
    private readonly IncrementalHash _part = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
    private readonly IncrementalHash _parts = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
    private int _inPart;
    private long _total;

    private S3MultipartETag(int partSize) => _partSize = partSize;

    /// <summary>A predictor for uploads to <paramref name="destination"/>, or null when it is not S3.</summary>
    public static S3MultipartETag? For(IRemoteFileSystem destination) =>
        destination is S3FileSystem s3 ? new S3MultipartETag(s3.PartSize) : null;

    /// <summary>Parts the upload has so far (a single PutObject below one full part).</summary>
    public int Parts => _total < _partSize ? 1 : (int)((_total + _partSize - 1) / _partSize);

    public void Append(ReadOnlySpan<byte> data)
    {
        _total += data.Length;
        while (data.Length > 0)
        {
            var take = Math.Min(data.Length, _partSize - _inPart);
            _part.AppendData(data[..take]);
            _inPart += take;
            data = data[take..];
            if (_inPart == _partSize)
            {
                _parts.AppendData(_part.GetHashAndReset());
                _inPart = 0;
            }
        }
    }

    /// <summary>Compares the object's ETag with the prediction; when they differ (a server that computes ETags
    /// otherwise) the object is read back and hashed.</summary>
    public async Task<FileChecksum> VerifyAsync(IRemoteFileSystem destination, string path, string wholeMd5, string sourcePath, CancellationToken cancellationToken)
    {
        if (_inPart > 0) _parts.AppendData(_part.GetHashAndReset());
        _inPart = 0;
        var expected = $"{Convert.ToHexString(_parts.GetHashAndReset()).ToLowerInvariant()}-{Parts}";
        var item = await destination.StatAsync(path, cancellationToken).ConfigureAwait(false);
        if (string.Equals(item?.ETag?.Trim('"'), expected, StringComparison.OrdinalIgnoreCase))
            return new FileChecksum(ChecksumAlgorithm.Md5, wholeMd5, Native: true);
        var actual = await destination.GetChecksumAsync(path, ChecksumAlgorithm.Md5, cancellationToken).ConfigureAwait(false);
        if (actual.Matches(wholeMd5)) return actual;
        await FileCopier.DeleteQuietlyAsync(destination, path).ConfigureAwait(false);
        throw new RemoteFsException(RemoteErrorKind.Io,
            $"The copy of '{sourcePath}' does not match what was sent: MD5 {wholeMd5} sent, {actual.Hex} stored; the copy was removed", path, destination.Endpoint);
    }

    public void Dispose()
    {
        _part.Dispose();
        _parts.Dispose();
    }
}
