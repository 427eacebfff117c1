using System.Buffers.Binary;

namespace Pipeline.Core.Steps.Files;

/// <summary>The CRC-32 of gzip and zip (IEEE 802.3, reflected, polynomial 0xEDB88320), computed eight bytes at a time.</summary>
internal sealed class Crc32
{
    private static readonly uint[] Tables = BuildTables();
    private uint _state = uint.MaxValue;

    /// <summary>The CRC of everything appended since the last reset.</summary>
    public uint Value => ~_state;

    /// <summary>Starts over.</summary>
    public void Reset() => _state = uint.MaxValue;

    /// <summary>Adds bytes.</summary>
    public void Append(ReadOnlySpan<byte> data)
    {
        var crc = _state;
        var t = Tables;
        while (data.Length >= 8)
        {
            var one = BinaryPrimitives.ReadUInt32LittleEndian(data) ^ crc;
            var two = BinaryPrimitives.ReadUInt32LittleEndian(data[4..]);
            crc = t[(7 * 256) + (one & 0xFF)] ^ t[(6 * 256) + ((one >> 8) & 0xFF)] ^ t[(5 * 256) + ((one >> 16) & 0xFF)] ^ t[(4 * 256) + (one >> 24)] ^
                  t[(3 * 256) + (two & 0xFF)] ^ t[(2 * 256) + ((two >> 8) & 0xFF)] ^ t[256 + ((two >> 16) & 0xFF)] ^ t[two >> 24];
            data = data[8..];
        }
        foreach (var b in data)
            crc = t[(crc ^ b) & 0xFF] ^ (crc >> 8);
        _state = crc;
    }

    /// <summary>The CRC of <paramref name="data"/>.</summary>
    public static uint Compute(ReadOnlySpan<byte> data)
    {
        var crc = new Crc32();
        crc.Append(data);
        return crc.Value;
    }

    private static uint[] BuildTables()
    {
        var t = new uint[8 * 256];
        for (uint i = 0; i < 256; i++)
        {
            var c = i;
            for (var k = 0; k < 8; k++)
                c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            t[i] = c;
        }
        for (var i = 0; i < 256; i++)
        {
            for (var k = 1; k < 8; k++)
            {
                var previous = t[((k - 1) * 256) + i];
                t[(k * 256) + i] = (previous >> 8) ^ t[previous & 0xFF];
            }
        }
        return t;
    }
}
