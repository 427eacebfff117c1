namespace Pipeline.RemoteFs;

/// <summary>
/// A provider's read stream that checks the bytes it delivers against the source's own MD5 while they stream (an S3
/// object whose ETag is its MD5), so that a transfer need not hash them a second time.
/// </summary>
internal interface IMd5CheckedReadStream
{
    /// <summary>Whether reading to the end checks the body against the source's MD5.</summary>
    bool ChecksMd5 { get; }

    /// <summary>The MD5 found equal to the source's, once the body has been read to its end; null before.</summary>
    string? VerifiedMd5 { get; }
}
