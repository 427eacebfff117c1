using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using Pipeline.Core.Steps.Files;

namespace Pipeline.Core.Tests.Steps.Files;

/// <summary>Builds gzip members byte by byte (RFC 1952), with the optional header fields GZipStream never writes.</summary>
internal static class GzipTestFiles
{
    public static byte[] Text(int length, int seed = 1)
    {
        var random = new Random(seed);
        var words = new[] { "alpha", "beta", "gamma", "delta", "zeta", "eta", "theta", "\n" };
        var sb = new StringBuilder();
        while (sb.Length < length) sb.Append(words[random.Next(words.Length)]).Append(' ');
        return Encoding.ASCII.GetBytes(sb.ToString(0, length));
    }

    public static byte[] Random(int length, int seed = 1)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    /// <summary>What GZipStream writes (nothing at all for no data).</summary>
    public static byte[] Gzip(byte[] data)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Optimal, leaveOpen: true))
            gzip.Write(data);
        return output.ToArray();
    }

    /// <summary>One member with the header fields asked for.</summary>
    public static byte[] Member(byte[] data, byte[]? extra = null, string? name = null, string? comment = null, bool headerCrc = false)
    {
        var flags = (byte)((headerCrc ? 2 : 0) | (extra is null ? 0 : 4) | (name is null ? 0 : 8) | (comment is null ? 0 : 16));
        var header = new List<byte> { 0x1F, 0x8B, 8, flags, 0x10, 0x20, 0x30, 0x40, 0, 3 };
        if (extra is not null)
        {
            header.Add((byte)extra.Length);
            header.Add((byte)(extra.Length >> 8));
            header.AddRange(extra);
        }
        if (name is not null) header.AddRange(Encoding.Latin1.GetBytes(name + "\0"));
        if (comment is not null) header.AddRange(Encoding.Latin1.GetBytes(comment + "\0"));
        if (headerCrc)
        {
            var crc = Crc32.Compute(header.ToArray());
            header.Add((byte)crc);
            header.Add((byte)(crc >> 8));
        }
        using var output = new MemoryStream();
        output.Write(header.ToArray());
        if (data.Length == 0)
        {
            output.Write([3, 0]); // an empty final block: DeflateStream writes nothing at all for no data
        }
        else
        {
            using var deflate = new DeflateStream(output, CompressionLevel.Optimal, leaveOpen: true);
            deflate.Write(data);
        }
        var trailer = new byte[8];
        BinaryPrimitives.WriteUInt32LittleEndian(trailer, Crc32.Compute(data));
        BinaryPrimitives.WriteUInt32LittleEndian(trailer.AsSpan(4), (uint)data.Length);
        output.Write(trailer);
        return output.ToArray();
    }

    /// <summary>Decompresses with the stream under test.</summary>
    public static async Task<byte[]> ReadAsync(byte[] gzip, int chunk = 4096)
    {
        await using var stream = new GzipReadStream(new TrickleStream(gzip, chunk));
        using var output = new MemoryStream();
        await stream.CopyToAsync(output);
        return output.ToArray();
    }

    /// <summary>Hands out at most <c>chunk</c> bytes per read, like a network stream, to move the read boundaries around.</summary>
    private sealed class TrickleStream(byte[] data, int chunk) : MemoryStream(data)
    {
        public override int Read(byte[] buffer, int offset, int count) => base.Read(buffer, offset, Math.Min(count, chunk));

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            base.ReadAsync(buffer[..Math.Min(buffer.Length, chunk)], cancellationToken);
    }
}
