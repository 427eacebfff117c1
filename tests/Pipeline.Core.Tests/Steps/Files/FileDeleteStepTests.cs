using Pipeline.Core.Execution;
using Pipeline.Core.Steps.Files;

namespace Pipeline.Core.Tests.Steps.Files;

public sealed class FileDeleteStepTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private StepRun Delete(string path) => new StepRun(new FileDeleteStep(), _dir.Path).With("path", path);

    [Fact]
    public async Task A_file_is_deleted()
    {
        _dir.Write("a.txt", "A");
        _dir.Write("b.txt", "B");

        var run = await Delete("a.txt").ExecuteAsync();

        Assert.Equal(["b.txt"], _dir.Files());
        Assert.Equal(1L, run.Result("files"));
    }

    [Fact]
    public async Task A_missing_path_is_NotFound_unless_missing_ok()
    {
        var ex = await Delete("gone.txt").FailsAsync(ErrorKind.NotFound);
        Assert.Contains(_dir["gone.txt"], ex.Message);
        Assert.Contains("missing_ok", ex.Message);

        var run = await Delete("gone.txt").With("missing_ok", true).ExecuteAsync();
        Assert.Equal(0L, run.Result("files"));
    }

    [Fact]
    public async Task A_glob_deletes_only_its_matches()
    {
        _dir.Write("logs/a.log", "");
        _dir.Write("logs/b.log", "");
        _dir.Write("logs/keep.txt", "");
        _dir.Write("logs/sub/c.log", "");

        var run = await Delete("logs/*.log").ExecuteAsync();

        Assert.Equal(["keep.txt", "sub/c.log"], _dir.Files("logs"));
        Assert.Equal(2L, run.Result("files"));
    }

    [Fact]
    public async Task A_glob_with_no_match_is_NotFound_unless_missing_ok()
    {
        _dir.Write("logs/keep.txt", "");

        await Delete("logs/*.log").FailsAsync(ErrorKind.NotFound);
        await Delete("logs/*.log").With("missing_ok", true).ExecuteAsync();

        Assert.Equal(["keep.txt"], _dir.Files("logs"));
    }

    [Fact]
    public async Task A_directory_with_content_needs_recursive()
    {
        _dir.Write("tmp/a.txt", "A");

        var ex = await Delete("tmp").FailsAsync(ErrorKind.Conflict);
        Assert.Contains("recursive", ex.Message);
        Assert.True(File.Exists(_dir["tmp/a.txt"]));

        var run = await Delete("tmp").With("recursive", true).ExecuteAsync();
        Assert.False(Directory.Exists(_dir["tmp"]));
        Assert.Equal(1L, run.Result("directories"));
    }

    [Fact]
    public async Task An_empty_directory_is_deleted_without_recursive()
    {
        _dir.CreateDirectory("empty");

        await Delete("empty").ExecuteAsync();

        Assert.False(Directory.Exists(_dir["empty"]));
    }

    [Fact]
    public async Task A_glob_can_delete_directories_with_their_content()
    {
        _dir.Write("runs/run-1/out.txt", "");
        _dir.Write("runs/run-2/out.txt", "");
        _dir.Write("runs/keep/out.txt", "");

        await Delete("runs/run-*").With("recursive", true).ExecuteAsync();

        Assert.Equal(["keep/out.txt"], _dir.Files("runs"));
    }

    [Fact]
    public async Task The_root_directory_is_never_deleted()
    {
        var root = Path.GetPathRoot(_dir.Path)!;

        // Not recursive, so a broken guard could at worst fail on a non-empty directory.
        var ex = await Delete(root).FailsAsync(ErrorKind.Configuration);

        Assert.Contains("root", ex.Message);
    }

    [Fact]
    public async Task Names_with_spaces_and_unicode_are_deleted()
    {
        _dir.Write("a b/ç ß 文件.txt", "");

        await Delete("a b/ç ß 文件.txt").ExecuteAsync();

        Assert.Empty(_dir.Files("a b"));
    }
}
