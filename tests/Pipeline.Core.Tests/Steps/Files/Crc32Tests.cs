using System.Text;
using Pipeline.Core.Steps.Files;

namespace Pipeline.Core.Tests.Steps.Files;

public sealed class Crc32Tests
{
    [Fact]
    public void The_check_value_of_the_standard_is_met() =>
        Assert.Equal(0xCBF43926u, Crc32.Compute(Encoding.ASCII.GetBytes("123456789")));

    [Fact]
    public void Eight_bytes_at_a_time_agrees_with_bit_by_bit_for_any_split()
    {
        var data = GzipTestFiles.Random(1000);
        var crc = new Crc32();
        crc.Append(data.AsSpan(0, 3));
        crc.Append(data.AsSpan(3, 500));
        crc.Append(data.AsSpan(503));

        Assert.Equal(BitByBit(data), crc.Value);
        Assert.Equal(BitByBit(data), Crc32.Compute(data));
    }

    private static uint BitByBit(byte[] data)
    {
        var crc = uint.MaxValue;
        foreach (var b in data)
        {
            crc ^= b;
            for (var k = 0; k < 8; k++)
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320u : crc >> 1;
        }
        return ~crc;
    }
}
