namespace Pipeline.RemoteFs;

/// <summary>
/// A provider's write stream that can read back what the server stored, over the handle it wrote with and before its
/// commit makes the file visible, so that a transfer need not read the committed file again (for SMB the read-back
/// rides in the round trips the upload makes anyway). A mismatch commits nothing.
/// </summary>
internal interface IChecksumVerifyingWriteStream
{
    /// <summary>
    /// Finishes the writes, reads the stored bytes back and hashes them; commits only when the hash equals
    /// <paramref name="expectedHex"/>. Returns the stored checksum (not <see cref="FileChecksum.Native"/>), or null when
    /// this upload cannot be verified this way (it committed nothing then, and the caller commits and verifies as
    /// before). When the returned checksum differs, nothing was committed and disposing the stream removes what
    /// was written.
    /// </summary>
    Task<FileChecksum?> CommitIfStoredChecksumAsync(ChecksumAlgorithm algorithm, string expectedHex, CancellationToken cancellationToken);
}
