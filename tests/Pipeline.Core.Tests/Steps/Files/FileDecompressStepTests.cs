using System.IO.Compression;
using System.Text;
using Pipeline.Core.Execution;
using Pipeline.Core.Steps.Files;

namespace Pipeline.Core.Tests.Steps.Files;

public sealed class FileDecompressStepTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private StepRun Decompress(string source) => new StepRun(new FileDecompressStep(), _dir.Path).With("source", source);

    private void Zip(string relative, params (string Name, string Content)[] entries)
    {
        using var archive = ZipFile.Open(_dir[relative], ZipArchiveMode.Create);
        foreach (var (name, content) in entries)
        {
            var entry = archive.CreateEntry(name, CompressionLevel.NoCompression);
            if (name.EndsWith('/')) continue;
            using var stream = entry.Open();
            stream.Write(Encoding.UTF8.GetBytes(content));
        }
    }

    [Fact]
    public async Task A_gzip_file_is_decompressed_next_to_itself_by_default()
    {
        var data = GzipTestFiles.Text(500_000);
        _dir.Write("in/data.csv.gz", GzipTestFiles.Gzip(data));

        var run = await Decompress("in/data.csv.gz").ExecuteAsync();

        Assert.Equal(data, File.ReadAllBytes(_dir["in/data.csv"]));
        Assert.Equal(500_000L, run.Result("bytes"));
        Assert.Equal(1L, run.Result("files"));
    }

    [Fact]
    public async Task A_gzip_file_goes_into_a_destination_directory_under_its_name_without_gz()
    {
        _dir.Write("données été.txt.gz", GzipTestFiles.Member("é"u8.ToArray(), name: "x"));
        _dir.CreateDirectory("out");

        await Decompress("données été.txt.gz").With("destination", "out").ExecuteAsync();

        Assert.Equal("é", _dir.Read("out/données été.txt"));
    }

    [Fact]
    public async Task Concatenated_gzip_members_decompress_whole()
    {
        _dir.Write("multi.gz", [.. GzipTestFiles.Gzip("one\n"u8.ToArray()), .. GzipTestFiles.Member("two\n"u8.ToArray(), name: "two.txt")]);

        await Decompress("multi.gz").With("destination", "multi.txt").ExecuteAsync();

        Assert.Equal("one\ntwo\n", _dir.Read("multi.txt"));
    }

    [Fact]
    public async Task An_empty_gzip_member_gives_an_empty_file()
    {
        _dir.Write("empty.gz", GzipTestFiles.Member([]));

        await Decompress("empty.gz").ExecuteAsync();

        Assert.Equal(0, new FileInfo(_dir["empty"]).Length);
    }

    [Fact]
    public async Task A_truncated_gzip_is_an_Integrity_error_naming_the_file_and_writes_nothing()
    {
        var gzip = GzipTestFiles.Gzip(GzipTestFiles.Random(100_000));
        _dir.Write("in/cut.gz", gzip[..^5]);

        var ex = await Decompress("in/cut.gz").FailsAsync(ErrorKind.Integrity);

        Assert.Contains(_dir["in/cut.gz"], ex.Message);
        Assert.Contains("truncated", ex.Message);
        Assert.Equal(["cut.gz"], _dir.Files("in")); // no output, no temporary file
    }

    [Fact]
    public async Task A_gzip_with_a_bad_crc_is_an_Integrity_error_and_writes_nothing()
    {
        var gzip = GzipTestFiles.Gzip(GzipTestFiles.Text(50_000));
        gzip[^6] ^= 0x10;
        _dir.Write("bad.gz", gzip);

        var ex = await Decompress("bad.gz").FailsAsync(ErrorKind.Integrity);

        Assert.Contains("CRC-32", ex.Message);
        Assert.Equal(["bad.gz"], _dir.Files());
    }

    [Fact]
    public async Task Corrupt_compressed_data_is_an_Integrity_error()
    {
        var gzip = GzipTestFiles.Gzip(GzipTestFiles.Text(50_000));
        for (var i = 100; i < 140; i++) gzip[i] ^= 0xA5;
        _dir.Write("bad.gz", gzip);

        await Decompress("bad.gz").FailsAsync(ErrorKind.Integrity);

        Assert.Equal(["bad.gz"], _dir.Files());
    }

    [Fact]
    public async Task A_file_that_is_not_gzip_is_an_Integrity_error()
    {
        _dir.Write("plain.gz", "just text");

        var ex = await Decompress("plain.gz").FailsAsync(ErrorKind.Integrity);

        Assert.Contains("signature", ex.Message);
    }

    [Fact]
    public async Task An_existing_destination_is_a_Conflict_unless_overwrite()
    {
        _dir.Write("a.txt.gz", GzipTestFiles.Gzip("new"u8.ToArray()));
        _dir.Write("a.txt", "old");

        await Decompress("a.txt.gz").FailsAsync(ErrorKind.Conflict);
        Assert.Equal("old", _dir.Read("a.txt"));

        await Decompress("a.txt.gz").With("overwrite", true).ExecuteAsync();
        Assert.Equal("new", _dir.Read("a.txt"));
    }

    [Fact]
    public async Task A_missing_source_is_NotFound_and_an_unknown_extension_needs_a_format()
    {
        await Decompress("missing.gz").FailsAsync(ErrorKind.NotFound);
        await Decompress("archive.tar").FailsAsync(ErrorKind.Configuration);
    }

    [Fact]
    public async Task A_zip_archive_is_extracted_into_a_directory_named_after_it()
    {
        Zip("pack.zip", ("readme.txt", "hello"), ("docs/", ""), ("docs/guide é.md", "# guide"), ("empty.txt", ""));
        File.SetLastWriteTimeUtc(_dir["pack.zip"], DateTime.UtcNow);

        var run = await Decompress("pack.zip").ExecuteAsync();

        Assert.Equal(["docs/guide é.md", "empty.txt", "readme.txt"], _dir.Files("pack"));
        Assert.Equal("# guide", _dir.Read("pack/docs/guide é.md"));
        Assert.Equal(3L, run.Result("files"));
        Assert.Equal(12L, run.Result("bytes"));
    }

    [Fact]
    public async Task What_file_compress_zipped_file_decompress_restores()
    {
        _dir.Write("src/a.txt", "A");
        _dir.Write("src/deep/er/b.bin", GzipTestFiles.Random(70_000));
        await new StepRun(new FileCompressStep(), _dir.Path).With("source", "src").With("destination", "src.zip").ExecuteAsync();

        await Decompress("src.zip").With("destination", "restored").ExecuteAsync();

        Assert.Equal(_dir.Files("src"), _dir.Files("restored/src"));
        Assert.Equal(File.ReadAllBytes(_dir["src/deep/er/b.bin"]), File.ReadAllBytes(_dir["restored/src/deep/er/b.bin"]));
    }

    [Theory]
    [InlineData("../evil.txt")]
    [InlineData("safe/../../evil.txt")]
    [InlineData("/etc/evil.txt")]
    [InlineData("..\\evil.txt")]
    [InlineData("C:/evil.txt")]
    public async Task A_zip_entry_that_escapes_the_destination_fails_before_anything_is_written(string name)
    {
        Zip("slip.zip", ("first.txt", "fine"), (name, "evil"));

        var ex = await Decompress("slip.zip").With("destination", "out/inner").FailsAsync(ErrorKind.Validation);

        Assert.Contains(name, ex.Message);
        Assert.Equal(["slip.zip"], _dir.Files());
    }

    [Fact]
    public async Task A_zip_entry_whose_data_does_not_match_its_crc_is_an_Integrity_error_and_is_not_written()
    {
        Zip("pack.zip", ("good.txt", "good"), ("data.txt", "ABCDEFGHIJKLMNOPQRSTUVWXYZ"));
        var bytes = File.ReadAllBytes(_dir["pack.zip"]);
        var at = bytes.AsSpan().IndexOf("ABCDEFGHIJ"u8);
        bytes[at + 3] = (byte)'#';
        File.WriteAllBytes(_dir["pack.zip"], bytes);

        var ex = await Decompress("pack.zip").FailsAsync(ErrorKind.Integrity);

        Assert.Contains("data.txt", ex.Message);
        Assert.False(File.Exists(_dir["pack/data.txt"]));
        Assert.DoesNotContain(_dir.Files("pack"), f => f.Contains("partial"));
    }

    [Fact]
    public async Task A_truncated_zip_is_an_Integrity_error()
    {
        Zip("pack.zip", ("a.txt", "A"));
        var bytes = File.ReadAllBytes(_dir["pack.zip"]);
        File.WriteAllBytes(_dir["pack.zip"], bytes[..^10]);

        var ex = await Decompress("pack.zip").FailsAsync(ErrorKind.Integrity);

        Assert.Contains(_dir["pack.zip"], ex.Message);
        Assert.False(Directory.Exists(_dir["pack"]));
    }

    [Fact]
    public async Task Existing_files_stop_an_extraction_before_it_starts_unless_overwrite()
    {
        Zip("pack.zip", ("a.txt", "new A"), ("b.txt", "new B"));
        _dir.Write("pack/b.txt", "old B");

        await Decompress("pack.zip").FailsAsync(ErrorKind.Conflict);
        Assert.Equal(["b.txt"], _dir.Files("pack"));

        await Decompress("pack.zip").With("overwrite", true).ExecuteAsync();
        Assert.Equal("new B", _dir.Read("pack/b.txt"));
    }

    [Fact]
    public async Task A_zip_on_another_file_system_is_fetched_and_extracted()
    {
        _dir.CreateDirectory("remote");
        Zip("remote/pack.zip", ("a.txt", "A"));

        var run = Decompress("disk2://files.example/pack.zip").With("destination", _dir["local"]);
        run.FileSystems = SecondDiskProvider.Registry(_dir["remote"]);
        await run.ExecuteAsync();

        Assert.Equal("A", _dir.Read("local/a.txt"));
    }

    [Theory]
    [InlineData("a/b.txt", "a/b.txt")]
    [InlineData("./a//b.txt", "a/b.txt")]
    [InlineData("a\\b.txt", "a/b.txt")]
    [InlineData("../b.txt", null)]
    [InlineData("/b.txt", null)]
    [InlineData("c:b.txt", null)]
    [InlineData("a/file:stream", null)]
    public void Entry_names_are_made_relative_or_refused(string name, string? expected) =>
        Assert.Equal(expected, FileDecompressStep.SafeRelativePath(name));
}
