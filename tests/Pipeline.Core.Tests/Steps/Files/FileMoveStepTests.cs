using Pipeline.Core.Execution;
using Pipeline.Core.Steps.Files;

namespace Pipeline.Core.Tests.Steps.Files;

public sealed class FileMoveStepTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private StepRun Move(string source, string destination) =>
        new StepRun(new FileMoveStep(), _dir.Path).With("source", source).With("destination", destination);

    [Fact]
    public async Task A_file_is_renamed_within_one_file_system()
    {
        var source = _dir.Write("in/a.txt", "A");
        var old = new DateTime(2019, 3, 4, 5, 6, 7, DateTimeKind.Utc);
        File.SetLastWriteTimeUtc(source, old);

        var run = await Move("in/a.txt", "out/b.txt").ExecuteAsync();

        Assert.False(File.Exists(source));
        Assert.Equal("A", _dir.Read("out/b.txt"));
        Assert.Equal(old, File.GetLastWriteTimeUtc(_dir["out/b.txt"]));
        Assert.Equal(1L, run.Result("files"));
        Assert.Equal(1L, run.Result("bytes"));
    }

    [Fact]
    public async Task A_move_between_file_systems_copies_verifies_and_then_deletes_the_source()
    {
        _dir.Write("in/a.txt", "A");
        _dir.CreateDirectory("remote");

        var run = Move("in/a.txt", "disk2://files.example/archive/");
        run.FileSystems = SecondDiskProvider.Registry(_dir["remote"]);
        await run.ExecuteAsync();

        Assert.False(File.Exists(_dir["in/a.txt"]));
        Assert.Equal("A", _dir.Read("remote/archive/a.txt"));
    }

    [Fact]
    public async Task A_move_whose_copy_does_not_verify_keeps_the_source()
    {
        _dir.Write("in/a.txt", "precious");
        _dir.CreateDirectory("remote");

        var run = Move("in/a.txt", "disk2://files.example/a.txt");
        run.FileSystems = SecondDiskProvider.Registry(_dir["remote"], corruptWrites: true);
        await run.FailsAsync(ErrorKind.Integrity);

        Assert.Equal("precious", _dir.Read("in/a.txt"));
        Assert.Empty(_dir.Files("remote"));
    }

    [Fact]
    public async Task An_existing_destination_without_overwrite_is_a_Conflict_and_the_source_stays()
    {
        _dir.Write("a.txt", "new");
        _dir.Write("b.txt", "old");

        await Move("a.txt", "b.txt").FailsAsync(ErrorKind.Conflict);

        Assert.Equal("new", _dir.Read("a.txt"));
        Assert.Equal("old", _dir.Read("b.txt"));

        await Move("a.txt", "b.txt").With("overwrite", true).ExecuteAsync();
        Assert.Equal(["b.txt"], _dir.Files());
        Assert.Equal("new", _dir.Read("b.txt"));
    }

    [Fact]
    public async Task A_directory_moves_with_its_content_to_a_new_place()
    {
        _dir.Write("in/a.txt", "A");
        _dir.Write("in/sub/b.txt", "B");
        _dir.CreateDirectory("in/empty");

        var run = await Move("in", "archive/2026").With("recursive", true).ExecuteAsync();

        Assert.False(Directory.Exists(_dir["in"]));
        Assert.Equal(["a.txt", "sub/b.txt"], _dir.Files("archive/2026"));
        Assert.True(Directory.Exists(_dir["archive/2026/empty"]));
        Assert.Equal(2L, run.Result("files"));
    }

    [Fact]
    public async Task A_directory_content_moves_into_an_existing_directory_and_the_emptied_source_is_removed()
    {
        _dir.Write("in/a.txt", "A");
        _dir.Write("in/sub/b.txt", "B");
        _dir.Write("out/kept.txt", "K");

        await Move("in", "out").With("recursive", true).ExecuteAsync();

        Assert.False(Directory.Exists(_dir["in"]));
        Assert.Equal(["a.txt", "kept.txt", "sub/b.txt"], _dir.Files("out"));
    }

    [Fact]
    public async Task A_glob_moves_only_its_matches()
    {
        _dir.Write("in/a.csv", "A");
        _dir.Write("in/b.txt", "B");

        await Move("in/*.csv", "out").ExecuteAsync();

        Assert.Equal(["b.txt"], _dir.Files("in"));
        Assert.Equal(["a.csv"], _dir.Files("out"));
    }

    [Fact]
    public async Task A_missing_source_is_NotFound()
    {
        var ex = await Move("missing.txt", "out.txt").FailsAsync(ErrorKind.NotFound);

        Assert.Contains("missing.txt", ex.Message);
    }

    [Fact]
    public async Task Names_with_spaces_and_unicode_move()
    {
        _dir.Write("é ü/naïve file.txt", "x");

        await Move("é ü/naïve file.txt", "目的地/").ExecuteAsync();

        Assert.Equal("x", _dir.Read("目的地/naïve file.txt"));
    }
}
