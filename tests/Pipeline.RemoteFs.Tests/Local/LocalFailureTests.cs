using Pipeline.RemoteFs.Local;
using Pipeline.RemoteFs.Transfers;

namespace Pipeline.RemoteFs.Tests.Local;

/// <summary>The local provider and transfers into local directories on real limits: no permission, no space.</summary>
public sealed class LocalFailureTests : IDisposable
{
    private readonly LocalLimits _limits = new();
    private readonly string _scratch = Directory.CreateTempSubdirectory("pipeline-local-failures-").FullName;
    private readonly LocalFileSystem _fs = new();

    public void Dispose()
    {
        _limits.Dispose();
        Directory.Delete(_scratch, recursive: true);
    }

    private string Source(string name, int length)
    {
        var path = Path.Combine(_scratch, name);
        var bytes = new byte[length];
        new Random(1).NextBytes(bytes);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    [Fact]
    public async Task Writing_into_a_directory_without_permission_is_permission_denied_and_leaves_nothing()
    {
        var locked = _limits.ReadOnlyDirectory("existing.txt");
        var error = await Assert.ThrowsAsync<RemoteFsException>(() => _fs.OpenWriteAsync(Path.Combine(locked, "new.txt")));
        Assert.Equal(RemoteErrorKind.PermissionDenied, error.Kind);
        Assert.Contains("new.txt", error.Message);

        var result = await new RemoteTransfer().CopyAsync(_fs, Source("a.bin", 1000), _fs, Path.Combine(locked, "a.bin"));
        var failure = Assert.Single(result.Failures);
        Assert.Equal(RemoteErrorKind.PermissionDenied, failure.Error.Kind);
        Assert.Equal(["existing.txt"], Directory.GetFiles(locked).Select(Path.GetFileName));
    }

    [Fact]
    public async Task Deleting_or_replacing_a_protected_file_is_permission_denied_and_keeps_it()
    {
        var locked = _limits.ReadOnlyDirectory("keep.txt");
        var file = Path.Combine(locked, "keep.txt");
        var delete = await Assert.ThrowsAsync<RemoteFsException>(() => _fs.DeleteFileAsync(file));
        Assert.Equal(RemoteErrorKind.PermissionDenied, delete.Kind);
        var replace = await new RemoteTransfer(new TransferOptions { Overwrite = true }).CopyAsync(_fs, Source("b.txt", 10), _fs, file);
        Assert.Equal(RemoteErrorKind.PermissionDenied, Assert.Single(replace.Failures).Error.Kind);
        Assert.Equal("keep.txt", File.ReadAllText(file));
    }

    [TmpfsFact]
    public async Task Writing_to_a_full_disk_fails_as_io_and_leaves_no_partial_file()
    {
        var small = _limits.Tmpfs("1m");
        await using (var stream = await _fs.OpenWriteAsync(Path.Combine(small, "direct.bin")))
        {
            var error = await Assert.ThrowsAsync<RemoteFsException>(async () =>
            {
                var chunk = new byte[256 * 1024];
                for (var i = 0; i < 8; i++) await stream.WriteAsync(chunk);
                await stream.CommitAsync();
            });
            Assert.Equal(RemoteErrorKind.Io, error.Kind);
            Assert.Contains("disk is full", error.Message);
        }
        Assert.Empty(Directory.EnumerateFileSystemEntries(small));

        var result = await new RemoteTransfer().CopyAsync(_fs, Source("big.bin", 3 * 1024 * 1024), _fs, Path.Combine(small, "out", "big.bin"));
        var failure = Assert.Single(result.Failures);
        Assert.Equal(RemoteErrorKind.Io, failure.Error.Kind);
        Assert.Contains("disk is full", failure.Error.Message);
        Assert.Equal(1, failure.Attempts);
        Assert.Empty(Directory.EnumerateFiles(small, "*", SearchOption.AllDirectories));
    }
}
