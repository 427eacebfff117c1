namespace Pipeline.RemoteFs.Azure;

/// <summary>What the Blob service reports about one blob (from List Blobs or Get Blob Properties).</summary>
/// <param name="Name">The blob name within its container, without a leading '/'.</param>
/// <param name="Length">Size in bytes.</param>
/// <param name="LastModified">Last modification time.</param>
/// <param name="ETag">The entity tag.</param>
/// <param name="ContentMd5">The stored Content-MD5 as bytes, when the blob has one.</param>
internal sealed record AzureBlobItem(string Name, long Length, DateTimeOffset? LastModified, string? ETag, byte[]? ContentMd5);

/// <summary>One page of List Blobs.</summary>
/// <param name="Blobs">The blobs of the page.</param>
/// <param name="Prefixes">The common prefixes (with a delimiter), each ending with the delimiter.</param>
/// <param name="NextMarker">The continuation marker, or null on the last page.</param>
internal sealed record AzureBlobPage(IReadOnlyList<AzureBlobItem> Blobs, IReadOnlyList<string> Prefixes, string? NextMarker);
