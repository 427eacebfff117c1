using System.Buffers.Binary;
using System.Numerics;

namespace Pipeline.RemoteFs.Smb;

/// <summary>MD4 (RFC 1320), needed only for the NT hash of a password (NTOWFv1); .NET does not ship it.</summary>
internal static class Md4
{
    public static byte[] Hash(ReadOnlySpan<byte> data)
    {
        uint a = 0x67452301, b = 0xefcdab89, c = 0x98badcfe, d = 0x10325476;
        var length = data.Length;
        var padded = new byte[(length + 8) / 64 * 64 + 64];
        data.CopyTo(padded);
        padded[length] = 0x80;
        BinaryPrimitives.WriteUInt64LittleEndian(padded.AsSpan(padded.Length - 8), (ulong)length * 8);
        Span<uint> x = stackalloc uint[16];
        for (var block = 0; block < padded.Length; block += 64)
        {
            for (var i = 0; i < 16; i++) x[i] = BinaryPrimitives.ReadUInt32LittleEndian(padded.AsSpan(block + i * 4));
            uint aa = a, bb = b, cc = c, dd = d;
            static uint F(uint x, uint y, uint z) => (x & y) | (~x & z);
            static uint G(uint x, uint y, uint z) => (x & y) | (x & z) | (y & z);
            static uint H(uint x, uint y, uint z) => x ^ y ^ z;
            ReadOnlySpan<int> s1 = [3, 7, 11, 19];
            for (var i = 0; i < 16; i++)
            {
                var t = BitOperations.RotateLeft(a + F(b, c, d) + x[i], s1[i % 4]);
                (a, b, c, d) = (d, t, b, c);
            }
            ReadOnlySpan<int> s2 = [3, 5, 9, 13];
            for (var i = 0; i < 16; i++)
            {
                var k = i % 4 * 4 + i / 4;
                var t = BitOperations.RotateLeft(a + G(b, c, d) + x[k] + 0x5a827999, s2[i % 4]);
                (a, b, c, d) = (d, t, b, c);
            }
            ReadOnlySpan<int> s3 = [3, 9, 11, 15];
            ReadOnlySpan<int> order = [0, 8, 4, 12, 2, 10, 6, 14, 1, 9, 5, 13, 3, 11, 7, 15];
            for (var i = 0; i < 16; i++)
            {
                var t = BitOperations.RotateLeft(a + H(b, c, d) + x[order[i]] + 0x6ed9eba1, s3[i % 4]);
                (a, b, c, d) = (d, t, b, c);
            }
            a += aa; b += bb; c += cc; d += dd;
        }
        var result = new byte[16];
        BinaryPrimitives.WriteUInt32LittleEndian(result, a);
        BinaryPrimitives.WriteUInt32LittleEndian(result.AsSpan(4), b);
        BinaryPrimitives.WriteUInt32LittleEndian(result.AsSpan(8), c);
        BinaryPrimitives.WriteUInt32LittleEndian(result.AsSpan(12), d);
        return result;
    }
}
