using System.Security.Cryptography;

namespace Pipeline.RemoteFs.Tests;

/// <summary>Whole-file writes, reads and listings over any provider, for the provider tests.</summary>
internal static class RemoteFileSystemTestExtensions
{
    public static async Task WriteAllAsync(this IRemoteFileSystem fs, string path, byte[] content, WriteOptions? options = null)
    {
        await using var stream = await fs.OpenWriteAsync(path, options);
        await stream.WriteAsync(content);
        await stream.CommitAsync();
    }

    public static async Task<byte[]> ReadAllAsync(this IRemoteFileSystem fs, string path, long offset = 0, long? length = null)
    {
        await using var stream = await fs.OpenReadAsync(path, offset, length);
        var copy = new MemoryStream();
        await stream.CopyToAsync(copy);
        return copy.ToArray();
    }

    public static async Task<List<RemoteItem>> ListAllAsync(this IRemoteFileSystem fs, string path, ListOptions? options = null)
    {
        var items = new List<RemoteItem>();
        await foreach (var item in fs.ListAsync(path, options)) items.Add(item);
        return items;
    }

    public static byte[] RandomBytes(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    public static string Sha256(byte[] content) => Convert.ToHexString(SHA256.HashData(content)).ToLowerInvariant();
}
