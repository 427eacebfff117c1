using Pipeline.Core.Tests.Support;
using Pipeline.Core.Execution;
using Pipeline.Core.Steps.Files;

namespace Pipeline.Core.Tests.Steps.Files;

public sealed class FileCopyStepTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private StepRun Copy(string source, string destination) =>
        new StepRun(new FileCopyStep(), _dir.Path).With("source", source).With("destination", destination);

    [Fact]
    public async Task A_file_is_copied_to_a_new_path_and_files_and_bytes_are_reported()
    {
        _dir.Write("in/a.csv", "id,name\n1,x\n");

        var run = await Copy(_dir["in/a.csv"], _dir["out/b.csv"]).ExecuteAsync();

        Assert.Equal("id,name\n1,x\n", _dir.Read("out/b.csv"));
        Assert.Equal(1L, run.Result("files"));
        Assert.Equal(12L, run.Result("bytes"));
        Assert.Equal(1, run.Context.Metrics.Files);
        Assert.Equal(12, run.Context.Metrics.Bytes);
    }

    [Fact]
    public async Task A_file_copied_to_an_existing_directory_keeps_its_name()
    {
        _dir.Write("a.txt", "A");
        _dir.CreateDirectory("out");

        await Copy("a.txt", "out").ExecuteAsync();

        Assert.Equal("A", _dir.Read("out/a.txt"));
    }

    [Fact]
    public async Task A_destination_with_a_trailing_slash_is_a_directory_even_before_it_exists()
    {
        _dir.Write("a.txt", "A");

        await Copy("a.txt", "new/dir/").ExecuteAsync();

        Assert.Equal("A", _dir.Read("new/dir/a.txt"));
    }

    [Fact]
    public async Task Relative_paths_and_file_uris_resolve_against_the_working_directory()
    {
        _dir.Write("data/a.txt", "A");

        await Copy("data/a.txt", new Uri(_dir["copy.txt"]).AbsoluteUri).ExecuteAsync();

        Assert.Equal("A", _dir.Read("copy.txt"));
    }

    [Fact]
    public async Task A_missing_source_is_NotFound_and_names_it()
    {
        var ex = await Copy("nope/missing.csv", "out.csv").FailsAsync(ErrorKind.NotFound);

        Assert.Contains(_dir["nope/missing.csv"], ex.Message);
    }

    [Fact]
    public async Task A_glob_that_matches_nothing_is_NotFound()
    {
        _dir.Write("in/a.txt", "A");

        var ex = await Copy("in/*.csv", "out/").FailsAsync(ErrorKind.NotFound);

        Assert.Contains("*.csv", ex.Message);
    }

    [Fact]
    public async Task An_existing_destination_without_overwrite_is_a_Conflict_and_stays_untouched()
    {
        _dir.Write("a.txt", "new");
        _dir.Write("b.txt", "old");

        var ex = await Copy("a.txt", "b.txt").FailsAsync(ErrorKind.Conflict);

        Assert.Contains(_dir["b.txt"], ex.Message);
        Assert.Contains("overwrite", ex.Message);
        Assert.Equal("old", _dir.Read("b.txt"));
    }

    [Fact]
    public async Task Overwrite_replaces_an_existing_destination()
    {
        _dir.Write("a.txt", "new");
        _dir.Write("b.txt", "old");

        await Copy("a.txt", "b.txt").With("overwrite", true).ExecuteAsync();

        Assert.Equal("new", _dir.Read("b.txt"));
    }

    [Fact]
    public async Task A_glob_copies_every_match_into_the_destination_directory()
    {
        _dir.Write("in/a.csv", "A");
        _dir.Write("in/b.csv", "B");
        _dir.Write("in/c.txt", "C");
        _dir.Write("in/sub/d.csv", "D");

        var run = await Copy("in/*.csv", "out").ExecuteAsync();

        Assert.Equal(["a.csv", "b.csv"], _dir.Files("out"));
        Assert.Equal(2L, run.Result("files"));
    }

    [Fact]
    public async Task A_recursive_glob_keeps_relative_paths()
    {
        _dir.Write("in/a.csv", "A");
        _dir.Write("in/sub/deeper/d.csv", "D");
        _dir.Write("in/sub/e.txt", "E");

        await Copy("in/*.csv", "out").With("recursive", true).ExecuteAsync();

        Assert.Equal(["a.csv", "sub/deeper/d.csv"], _dir.Files("out"));
    }

    [Fact]
    public async Task A_directory_needs_recursive()
    {
        _dir.Write("in/a.txt", "A");

        var ex = await Copy("in", "out").FailsAsync(ErrorKind.Configuration);

        Assert.Contains("recursive", ex.Message);
        Assert.False(Directory.Exists(_dir["out"]));
    }

    [Fact]
    public async Task A_recursive_directory_copy_copies_its_content_and_empty_directories()
    {
        _dir.Write("in/a.txt", "A");
        _dir.Write("in/sub/b.txt", "B");
        _dir.CreateDirectory("in/empty");

        var run = await Copy("in", "out").With("recursive", true).ExecuteAsync();

        Assert.Equal(["a.txt", "sub/b.txt"], _dir.Files("out"));
        Assert.True(Directory.Exists(_dir["out/empty"]));
        Assert.Equal(2L, run.Result("files"));

        // Running it again (with overwrite) gives the same tree, not out/in/...
        await Copy("in", "out").With("recursive", true).With("overwrite", true).ExecuteAsync();
        Assert.Equal(["a.txt", "sub/b.txt"], _dir.Files("out"));
    }

    [Fact]
    public async Task One_conflict_fails_a_multi_file_copy_before_any_file_is_copied()
    {
        _dir.Write("in/a.txt", "A");
        _dir.Write("in/b.txt", "B");
        _dir.Write("in/c.txt", "C");
        _dir.Write("out/c.txt", "old");

        await Copy("in/*.txt", "out").FailsAsync(ErrorKind.Conflict);

        Assert.Equal(["c.txt"], _dir.Files("out"));
    }

    [Fact]
    public async Task Timestamps_are_preserved_by_default_and_set_to_the_clock_when_not()
    {
        var source = _dir.Write("a.txt", "A");
        var old = new DateTime(2020, 5, 17, 10, 0, 0, DateTimeKind.Utc);
        File.SetLastWriteTimeUtc(source, old);

        await Copy("a.txt", "kept.txt").ExecuteAsync();
        var now = new DateTimeOffset(2026, 11, 21, 8, 30, 0, TimeSpan.Zero);
        var run = Copy("a.txt", "fresh.txt").With("preserve_timestamps", false);
        run.Time = new ManualTimeProvider(now);
        await run.ExecuteAsync();

        Assert.Equal(old, File.GetLastWriteTimeUtc(_dir["kept.txt"]));
        Assert.Equal(now.UtcDateTime, File.GetLastWriteTimeUtc(_dir["fresh.txt"]));
    }

    [Fact]
    public async Task Without_create_directories_a_missing_destination_directory_is_NotFound()
    {
        _dir.Write("a.txt", "A");

        var ex = await Copy("a.txt", "missing/dir/a.txt").With("create_directories", false).FailsAsync(ErrorKind.NotFound);

        Assert.Contains("create_directories", ex.Message);
        Assert.False(Directory.Exists(_dir["missing"]));
    }

    [Fact]
    public async Task Unicode_and_spaces_in_names_and_empty_files_are_copied()
    {
        _dir.Write("données été/rapport final ✓.txt", "");
        _dir.Write("données été/日本語 ファイル.csv", "x");

        var run = await Copy("données été/*", "sortie à part/").ExecuteAsync();

        Assert.Equal(["rapport final ✓.txt", "日本語 ファイル.csv"], _dir.Files("sortie à part"));
        Assert.Equal(0, new FileInfo(_dir["sortie à part/rapport final ✓.txt"]).Length);
        Assert.Equal(1L, run.Result("bytes"));
    }

    [Fact]
    public async Task A_file_copied_onto_itself_is_a_configuration_error()
    {
        _dir.Write("a.txt", "A");

        await Copy("a.txt", "a.txt").With("overwrite", true).FailsAsync(ErrorKind.Configuration);

        Assert.Equal("A", _dir.Read("a.txt"));
    }

    [Fact]
    public async Task A_directory_cannot_be_copied_into_itself()
    {
        _dir.Write("in/a.txt", "A");

        await Copy("in", "in/copy").With("recursive", true).FailsAsync(ErrorKind.Configuration);
    }

    [Fact]
    public async Task A_copy_between_two_file_systems_streams_and_verifies_without_leaving_temporary_files()
    {
        _dir.Write("local/a.bin", Enumerable.Range(0, 3_000_000).Select(i => (byte)(i * 7)).ToArray());
        _dir.Write("local/sub/b.txt", "B");
        var remoteRoot = _dir.CreateDirectory("remote");

        var run = Copy("local", "disk2://files.example/in/").With("recursive", true);
        run.FileSystems = SecondDiskProvider.Registry(remoteRoot);
        await run.ExecuteAsync();

        Assert.Equal(["in/a.bin", "in/sub/b.txt"], _dir.Files("remote"));
        Assert.Equal(File.ReadAllBytes(_dir["local/a.bin"]), File.ReadAllBytes(_dir["remote/in/a.bin"]));
        Assert.Equal(3_000_001L, run.Result("bytes"));
    }

    [Fact]
    public async Task A_glob_on_another_file_system_copies_its_matches_here()
    {
        _dir.Write("remote/in/a.csv", "A");
        _dir.Write("remote/in/deep/b.csv", "B");
        _dir.Write("remote/in/c.txt", "C");

        var run = Copy("disk2://etl@files.example:2222/in/*.csv", "local").With("recursive", true);
        run.FileSystems = SecondDiskProvider.Registry(_dir["remote"]);
        await run.ExecuteAsync();

        Assert.Equal(["a.csv", "deep/b.csv"], _dir.Files("local"));
    }

    [Fact]
    public async Task A_copy_from_another_file_system_to_a_local_file_keeps_its_timestamp()
    {
        var remote = _dir.Write("remote/x/a.txt", "A");
        var old = new DateTime(2021, 1, 2, 3, 4, 5, DateTimeKind.Utc);
        File.SetLastWriteTimeUtc(remote, old);

        var run = Copy("disk2://files.example/x/a.txt", "a.txt");
        run.FileSystems = SecondDiskProvider.Registry(_dir["remote"]);
        await run.ExecuteAsync();

        Assert.Equal("A", _dir.Read("a.txt"));
        Assert.Equal(old, File.GetLastWriteTimeUtc(_dir["a.txt"]));
    }

    [Fact]
    public async Task A_copy_that_does_not_match_its_source_is_an_Integrity_error_and_is_removed()
    {
        _dir.Write("a.txt", "important");
        _dir.CreateDirectory("remote");

        var run = Copy("a.txt", "disk2://files.example/a.txt");
        run.FileSystems = SecondDiskProvider.Registry(_dir["remote"], corruptWrites: true);
        var ex = await run.FailsAsync(ErrorKind.Integrity);

        Assert.Contains("SHA-256", ex.Message);
        Assert.Empty(_dir.Files("remote"));
    }

    [Fact]
    public async Task Without_verify_a_corrupted_transfer_goes_unnoticed()
    {
        _dir.Write("a.txt", "important");
        _dir.CreateDirectory("remote");

        var run = Copy("a.txt", "disk2://files.example/a.txt").With("verify", false);
        run.FileSystems = SecondDiskProvider.Registry(_dir["remote"], corruptWrites: true);
        await run.ExecuteAsync();

        Assert.NotEqual("important", _dir.Read("remote/a.txt"));
    }

    [Fact]
    public async Task A_cancelled_copy_leaves_nothing_behind()
    {
        _dir.Write("a.txt", "A");
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Copy("a.txt", "out/").ExecuteAsync(cancelled.Token));

        Assert.Equal(["a.txt"], _dir.Files());
    }

    [Fact]
    public async Task A_transfer_cancelled_half_way_leaves_no_file_under_the_final_name_nor_a_temporary_one()
    {
        _dir.Write("remote/big.bin", GzipTestFiles.Random(5_000_000));
        _dir.CreateDirectory("local");
        using var cancel = new CancellationTokenSource();

        var run = Copy("disk2://files.example/big.bin", "local/big.bin");
        run.FileSystems = SecondDiskProvider.Registry(_dir["remote"], afterFirstRead: cancel.Cancel);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run.ExecuteAsync(cancel.Token));

        Assert.Empty(_dir.Files("local"));
    }

    [Fact]
    public async Task Missing_required_options_are_configuration_errors()
    {
        var ex = await new StepRun(new FileCopyStep(), _dir.Path).With("source", "a").FailsAsync(ErrorKind.Configuration);

        Assert.Contains("destination", ex.Message);
    }
}
