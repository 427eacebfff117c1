namespace Pipeline.RemoteFs;

/// <summary>Hash algorithms understood by checksum operations.</summary>
public enum ChecksumAlgorithm
{
    /// <summary>SHA-256.</summary>
    Sha256,
    /// <summary>MD5 (for compatibility with backends and manifests that use it).</summary>
    Md5,
    /// <summary>SHA-1.</summary>
    Sha1,
    /// <summary>SHA-512.</summary>
    Sha512,
}

/// <summary>A file's checksum.</summary>
/// <param name="Algorithm">The algorithm.</param>
/// <param name="Hex">The hash as lowercase hexadecimal.</param>
/// <param name="Native">Whether the backend computed it (true) or the client did by reading the file (false).</param>
public sealed record FileChecksum(ChecksumAlgorithm Algorithm, string Hex, bool Native)
{
    /// <summary>Whether this checksum equals <paramref name="expectedHex"/>, ignoring case.</summary>
    public bool Matches(string expectedHex) => string.Equals(Hex, expectedHex.Trim(), StringComparison.OrdinalIgnoreCase);
}
