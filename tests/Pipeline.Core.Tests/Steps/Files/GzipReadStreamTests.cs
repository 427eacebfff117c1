using Pipeline.Core.Steps.Files;

namespace Pipeline.Core.Tests.Steps.Files;

public sealed class GzipReadStreamTests
{
    [Fact]
    public async Task An_empty_member_reads_as_no_data() =>
        Assert.Empty(await GzipTestFiles.ReadAsync(GzipTestFiles.Member([])));

    [Theory]
    [InlineData(1)]
    [InlineData(100_000)]
    [InlineData(3_000_000)]
    public async Task What_GZipStream_wrote_reads_back(int length)
    {
        var data = GzipTestFiles.Text(length);

        Assert.Equal(data, await GzipTestFiles.ReadAsync(GzipTestFiles.Gzip(data)));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(8192)]
    [InlineData(100_000)]
    public async Task Incompressible_data_reads_back_whatever_the_read_size(int chunk)
    {
        var data = GzipTestFiles.Random(300_000);

        Assert.Equal(data, await GzipTestFiles.ReadAsync(GzipTestFiles.Gzip(data), chunk));
    }

    [Fact]
    public async Task Concatenated_members_read_as_one_stream()
    {
        var parts = Enumerable.Range(0, 60).Select(i => i % 7 == 0 ? [] : GzipTestFiles.Random(i * 997 % 30_000, seed: i)).ToList();
        var gzip = parts.SelectMany(p => GzipTestFiles.Member(p, name: p.Length % 2 == 0 ? "part" : null)).ToArray();

        Assert.Equal(parts.SelectMany(p => p).ToArray(), await GzipTestFiles.ReadAsync(gzip, chunk: 5000));
    }

    [Fact]
    public async Task Optional_header_fields_are_read_and_the_header_crc_checked()
    {
        var data = GzipTestFiles.Text(5000);
        var member = GzipTestFiles.Member(data, extra: [1, 2, 3, 4], name: "report.csv", comment: "nightly", headerCrc: true);

        Assert.Equal(data, await GzipTestFiles.ReadAsync(member));

        member[12] ^= 1; // inside the extra field, covered by the header CRC
        var ex = await Assert.ThrowsAsync<GzipFormatException>(() => GzipTestFiles.ReadAsync(member));
        Assert.Contains("header CRC", ex.Message);
    }

    [Fact]
    public async Task Every_truncation_is_detected()
    {
        var gzip = GzipTestFiles.Gzip(GzipTestFiles.Text(2000));

        for (var length = 0; length < gzip.Length; length++)
        {
            var ex = await Assert.ThrowsAsync<GzipFormatException>(() => GzipTestFiles.ReadAsync(gzip[..length]));
            Assert.True(length < 10 || ex.Message.Contains("truncated"), $"cut at {length}: {ex.Message}");
        }
    }

    [Fact]
    public async Task A_truncated_second_member_is_detected()
    {
        var first = GzipTestFiles.Gzip(GzipTestFiles.Text(3000, seed: 1));
        var second = GzipTestFiles.Gzip(GzipTestFiles.Text(3000, seed: 2));
        var both = first.Concat(second).ToArray();

        for (var length = first.Length + 1; length < both.Length; length++)
            await Assert.ThrowsAsync<GzipFormatException>(() => GzipTestFiles.ReadAsync(both[..length]));
    }

    [Fact]
    public async Task A_large_file_cut_short_is_detected()
    {
        var gzip = GzipTestFiles.Gzip(GzipTestFiles.Random(2_000_000));

        foreach (var cut in new[] { 1, 4, 8, 9, 1000, gzip.Length / 2 })
        {
            var ex = await Assert.ThrowsAsync<GzipFormatException>(() => GzipTestFiles.ReadAsync(gzip[..^cut]));
            Assert.Contains("truncated", ex.Message);
        }
    }

    [Fact]
    public async Task A_wrong_crc_in_the_trailer_is_reported_with_both_values()
    {
        var gzip = GzipTestFiles.Gzip(GzipTestFiles.Text(10_000));
        gzip[^8] ^= 0x55;

        var ex = await Assert.ThrowsAsync<GzipFormatException>(() => GzipTestFiles.ReadAsync(gzip));

        Assert.Contains("CRC-32", ex.Message);
        Assert.Contains("trailer says", ex.Message);
    }

    [Fact]
    public async Task A_wrong_length_in_the_trailer_is_detected()
    {
        var gzip = GzipTestFiles.Gzip(GzipTestFiles.Text(10_000));
        gzip[^3] ^= 0x01;

        await Assert.ThrowsAsync<GzipFormatException>(() => GzipTestFiles.ReadAsync(gzip));
    }

    [Fact]
    public async Task Every_corrupted_byte_of_the_compressed_data_is_detected()
    {
        var gzip = GzipTestFiles.Gzip(GzipTestFiles.Text(1500));

        for (var i = 10; i < gzip.Length; i++)
        {
            var corrupt = (byte[])gzip.Clone();
            corrupt[i] ^= 0x24;
            await Assert.ThrowsAsync<GzipFormatException>(() => GzipTestFiles.ReadAsync(corrupt));
        }
    }

    [Theory]
    [InlineData(new byte[0], "empty")]
    [InlineData(new byte[] { (byte)'P', (byte)'K', 3, 4 }, "signature")]
    [InlineData(new byte[] { 0x1F, 0x8B, 7, 0, 0, 0, 0, 0, 0, 0 }, "compression method 7")]
    [InlineData(new byte[] { 0x1F, 0x8B, 8, 0x80, 0, 0, 0, 0, 0, 0 }, "reserved")]
    public async Task Input_that_is_not_gzip_is_named_for_what_it_is(byte[] input, string expected)
    {
        var ex = await Assert.ThrowsAsync<GzipFormatException>(() => GzipTestFiles.ReadAsync(input));

        Assert.Contains(expected, ex.Message);
    }

    [Fact]
    public async Task Data_after_the_last_member_is_an_error()
    {
        var gzip = GzipTestFiles.Gzip(GzipTestFiles.Text(100)).Concat("garbage"u8.ToArray()).ToArray();

        var ex = await Assert.ThrowsAsync<GzipFormatException>(() => GzipTestFiles.ReadAsync(gzip));

        Assert.Contains("unexpected data", ex.Message);
    }
}
