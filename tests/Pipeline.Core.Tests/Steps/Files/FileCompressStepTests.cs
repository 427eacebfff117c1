using System.IO.Compression;
using Pipeline.Core.Execution;
using Pipeline.Core.Steps.Files;

namespace Pipeline.Core.Tests.Steps.Files;

public sealed class FileCompressStepTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private StepRun Compress(string source, string destination) =>
        new StepRun(new FileCompressStep(), _dir.Path).With("source", source).With("destination", destination);

    private static byte[] Gunzip(string path)
    {
        using var gzip = new GZipStream(File.OpenRead(path), CompressionMode.Decompress);
        using var output = new MemoryStream();
        gzip.CopyTo(output);
        return output.ToArray();
    }

    private static string[] EntryNames(string zip)
    {
        using var archive = ZipFile.OpenRead(zip);
        return archive.Entries.Select(e => e.FullName).Order(StringComparer.Ordinal).ToArray();
    }

    [Fact]
    public async Task A_file_is_gzipped_by_the_destination_extension()
    {
        var data = GzipTestFiles.Text(200_000);
        _dir.Write("a.csv", data);

        var run = await Compress("a.csv", "a.csv.gz").ExecuteAsync();

        Assert.Equal(data, Gunzip(_dir["a.csv.gz"]));
        Assert.Equal(1L, run.Result("files"));
        Assert.Equal(200_000L, run.Result("bytes"));
        Assert.Equal(new FileInfo(_dir["a.csv.gz"]).Length, run.Result("compressed_bytes"));
        Assert.True((long)run.Result("compressed_bytes")! < 200_000);
    }

    [Fact]
    public async Task An_empty_file_gzips_to_a_valid_empty_member()
    {
        _dir.Write("empty.txt", "");

        await Compress("empty.txt", "out/").ExecuteAsync();

        Assert.Empty(await GzipTestFiles.ReadAsync(File.ReadAllBytes(_dir["out/empty.txt.gz"])));
        Assert.Empty(Gunzip(_dir["out/empty.txt.gz"]));
    }

    [Fact]
    public async Task A_directory_is_zipped_under_its_own_name_with_relative_paths()
    {
        _dir.Write("logs/a.log", "A");
        _dir.Write("logs/sub/b.log", "B");
        _dir.CreateDirectory("logs/empty");

        var run = await Compress("logs", "logs.zip").ExecuteAsync();

        Assert.Equal(["logs/", "logs/a.log", "logs/empty/", "logs/sub/", "logs/sub/b.log"], EntryNames(_dir["logs.zip"]));
        using var archive = ZipFile.OpenRead(_dir["logs.zip"]);
        using var reader = new StreamReader(archive.GetEntry("logs/sub/b.log")!.Open());
        Assert.Equal("B", reader.ReadToEnd());
        Assert.Equal(2L, run.Result("files"));
    }

    [Fact]
    public async Task A_glob_is_zipped_with_paths_relative_to_its_fixed_part()
    {
        _dir.Write("data/2026/jan.csv", "1");
        _dir.Write("data/2026/feb.csv", "2");
        _dir.Write("data/2025/dec.csv", "3");
        _dir.Write("data/readme.txt", "r");

        await Compress("data/**/*.csv", "csv.zip").ExecuteAsync();

        Assert.Equal(["2025/dec.csv", "2026/feb.csv", "2026/jan.csv"], EntryNames(_dir["csv.zip"]));
    }

    [Fact]
    public async Task Unicode_names_spaces_and_empty_files_survive_a_zip()
    {
        _dir.Write("in/résumé final.txt", "");
        _dir.Write("in/данные 1.csv", "x");

        await Compress("in/*", "out.zip").With("level", "smallest").ExecuteAsync();

        Assert.Equal(["résumé final.txt", "данные 1.csv"], EntryNames(_dir["out.zip"]));
    }

    [Fact]
    public async Task Gzip_takes_one_file_only()
    {
        _dir.Write("in/a.txt", "A");
        _dir.Write("in/b.txt", "B");

        var ex = await Compress("in/*.txt", "all.gz").FailsAsync(ErrorKind.Configuration);

        Assert.Contains("zip", ex.Message);
        Assert.False(File.Exists(_dir["all.gz"]));
    }

    [Fact]
    public async Task An_unknown_extension_needs_a_format_and_a_format_overrides_the_extension()
    {
        _dir.Write("a.txt", "A");

        var ex = await Compress("a.txt", "a.bin").FailsAsync(ErrorKind.Configuration);
        Assert.Contains("format", ex.Message);

        await Compress("a.txt", "a.bin").With("format", "zip").ExecuteAsync();
        Assert.Equal(["a.txt"], EntryNames(_dir["a.bin"]));
    }

    [Fact]
    public async Task Unknown_format_and_level_are_configuration_errors()
    {
        _dir.Write("a.txt", "A");

        await Compress("a.txt", "a.gz").With("format", "bzip2").FailsAsync(ErrorKind.Configuration);
        var ex = await Compress("a.txt", "a.gz").With("level", "max").FailsAsync(ErrorKind.Configuration);

        Assert.Contains("fastest, optimal, smallest", ex.Message);
    }

    [Fact]
    public async Task An_existing_archive_is_a_Conflict_unless_overwrite()
    {
        _dir.Write("a.txt", "new");
        _dir.Write("a.txt.gz", "old");

        await Compress("a.txt", "a.txt.gz").FailsAsync(ErrorKind.Conflict);
        Assert.Equal("old", _dir.Read("a.txt.gz"));

        await Compress("a.txt", "a.txt.gz").With("overwrite", true).With("level", "fastest").ExecuteAsync();
        Assert.Equal("new"u8.ToArray(), Gunzip(_dir["a.txt.gz"]));
    }

    [Fact]
    public async Task A_missing_source_is_NotFound()
    {
        var ex = await Compress("nothing.txt", "nothing.gz").FailsAsync(ErrorKind.NotFound);

        Assert.Contains("nothing.txt", ex.Message);
    }

    [Fact]
    public async Task A_zip_written_inside_the_zipped_directory_does_not_contain_itself()
    {
        _dir.Write("d/a.txt", "A");
        _dir.Write("d/d.zip", "old archive");

        await Compress("d", "d/d.zip").With("overwrite", true).ExecuteAsync();

        Assert.Equal(["d/", "d/a.txt"], EntryNames(_dir["d/d.zip"]));
    }

    [Fact]
    public async Task An_archive_can_be_written_to_another_file_system()
    {
        _dir.Write("in/a.txt", "A");
        _dir.CreateDirectory("remote");

        var run = Compress("in", "disk2://files.example/archives/in.zip");
        run.FileSystems = SecondDiskProvider.Registry(_dir["remote"]);
        await run.ExecuteAsync();

        Assert.Equal(["in/", "in/a.txt"], EntryNames(_dir["remote/archives/in.zip"]));
    }
}
