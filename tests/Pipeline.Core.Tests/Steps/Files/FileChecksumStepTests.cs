using System.Security.Cryptography;
using Pipeline.Core.Execution;
using Pipeline.Core.Steps.Files;

namespace Pipeline.Core.Tests.Steps.Files;

public sealed class FileChecksumStepTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private StepRun Checksum(string path) => new StepRun(new FileChecksumStep(), _dir.Path).With("path", path);

    private static string Hex(byte[] hash) => Convert.ToHexString(hash).ToLowerInvariant();

    [Fact]
    public async Task The_sha256_is_published_by_default()
    {
        var data = GzipTestFiles.Random(123_456);
        _dir.Write("a.bin", data);

        var run = await Checksum("a.bin").ExecuteAsync();

        Assert.Equal(Hex(SHA256.HashData(data)), run.Result("checksum"));
        Assert.Equal("sha256", run.Result("algorithm"));
        Assert.Equal(123_456, run.Context.Metrics.Bytes);
    }

    [Theory]
    [InlineData("md5")]
    [InlineData("SHA1")]
    [InlineData("sha512")]
    public async Task Each_algorithm_gives_its_hash(string algorithm)
    {
        var data = "checksum me"u8.ToArray();
        _dir.Write("a.txt", data);
        var expected = algorithm.ToLowerInvariant() switch
        {
            "md5" => Hex(MD5.HashData(data)),
            "sha1" => Hex(SHA1.HashData(data)),
            _ => Hex(SHA512.HashData(data)),
        };

        var run = await Checksum("a.txt").With("algorithm", algorithm).ExecuteAsync();

        Assert.Equal(expected, run.Result("checksum"));
    }

    [Fact]
    public async Task An_empty_file_has_the_hash_of_nothing()
    {
        _dir.Write("empty file é.txt", "");

        var run = await Checksum("empty file é.txt").ExecuteAsync();

        Assert.Equal("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", run.Result("checksum"));
    }

    [Fact]
    public async Task A_matching_expected_value_passes_in_any_case()
    {
        _dir.Write("a.txt", "");

        await Checksum("a.txt").With("expected", " E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855 ").ExecuteAsync();
    }

    [Fact]
    public async Task A_mismatch_is_an_Integrity_error_with_both_values()
    {
        _dir.Write("a.txt", "tampered");
        var wrong = new string('0', 64);

        var ex = await Checksum("a.txt").With("expected", wrong).FailsAsync(ErrorKind.Integrity);

        Assert.Contains(wrong, ex.Message);
        Assert.Contains(Hex(SHA256.HashData("tampered"u8)), ex.Message);
        Assert.Contains(_dir["a.txt"], ex.Message);
    }

    [Fact]
    public async Task An_unknown_algorithm_is_a_configuration_error_listing_the_known_ones()
    {
        _dir.Write("a.txt", "");

        var ex = await Checksum("a.txt").With("algorithm", "crc64").FailsAsync(ErrorKind.Configuration);

        Assert.Contains("sha256, md5, sha1, sha512", ex.Message);
    }

    [Fact]
    public async Task An_expected_value_of_the_wrong_shape_is_a_configuration_error()
    {
        _dir.Write("a.txt", "");

        var ex = await Checksum("a.txt").With("algorithm", "md5").With("expected", "xyz").FailsAsync(ErrorKind.Configuration);

        Assert.Contains("32 hexadecimal digits", ex.Message);
    }

    [Fact]
    public async Task A_missing_file_is_NotFound_and_a_directory_is_a_configuration_error()
    {
        _dir.CreateDirectory("dir");

        await Checksum("missing.txt").FailsAsync(ErrorKind.NotFound);
        await Checksum("dir").FailsAsync(ErrorKind.Configuration);
    }
}
