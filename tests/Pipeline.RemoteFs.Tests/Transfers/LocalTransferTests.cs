using System.IO.Compression;
using System.Text;
using Pipeline.RemoteFs.Local;
using Pipeline.RemoteFs.Transfers;

namespace Pipeline.RemoteFs.Tests.Transfers;

/// <summary>Transfers between real local directories.</summary>
public sealed class LocalTransferTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("pipeline-transfer-").FullName;
    private readonly LocalFileSystem _fs = new();

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private string Write(string relative, string content)
    {
        var path = Path.Combine(_root, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
        return path;
    }

    [Fact]
    public async Task A_tree_is_copied_with_relative_paths_and_verified()
    {
        Write("src/a.txt", "alpha");
        Write("src/sub/b.txt", "beta");
        Directory.CreateDirectory(Path.Combine(_root, "src/empty"));
        var result = await new RemoteTransfer().CopyAsync(_fs, Path.Combine(_root, "src"), _fs, Path.Combine(_root, "dst"));
        Assert.True(result.Succeeded);
        Assert.Equal(2, result.Files);
        Assert.Equal(9, result.Bytes);
        Assert.All(result.Transferred, f => Assert.NotNull(f.Checksum));
        Assert.Equal("alpha", File.ReadAllText(Path.Combine(_root, "dst/a.txt")));
        Assert.Equal("beta", File.ReadAllText(Path.Combine(_root, "dst/sub/b.txt")));
        Assert.True(Directory.Exists(Path.Combine(_root, "dst/empty")));
        Assert.Empty(Directory.GetFiles(Path.Combine(_root, "dst"), "*.partial*", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task An_existing_destination_is_a_conflict_without_overwrite_and_stays_as_it_was()
    {
        var source = Write("a.txt", "new");
        var destination = Write("b.txt", "old");
        var result = await new RemoteTransfer().CopyAsync(_fs, source, _fs, destination);
        var failure = Assert.Single(result.Failures);
        Assert.Equal(RemoteErrorKind.Conflict, failure.Error.Kind);
        Assert.Equal("old", File.ReadAllText(destination));
        var replaced = await new RemoteTransfer(new TransferOptions { Overwrite = true }).CopyAsync(_fs, source, _fs, destination);
        Assert.True(replaced.Succeeded);
        Assert.Equal("new", File.ReadAllText(destination));
    }

    [Fact]
    public async Task Gzip_compresses_and_decompresses_on_the_fly()
    {
        var text = string.Concat(Enumerable.Repeat("line of text\n", 1000));
        var source = Write("in/data.txt", text);
        var compressed = await new RemoteTransfer(new TransferOptions { Gzip = GzipMode.Compress }).CopyAsync(_fs, Path.Combine(_root, "in"), _fs, Path.Combine(_root, "gz"));
        Assert.True(compressed.Succeeded);
        var gz = Path.Combine(_root, "gz/data.txt.gz");
        await using (var reader = new GZipStream(File.OpenRead(gz), CompressionMode.Decompress))
        using (var text2 = new StreamReader(reader))
            Assert.Equal(text, await text2.ReadToEndAsync());
        var plain = await new RemoteTransfer(new TransferOptions { Gzip = GzipMode.Decompress }).CopyAsync(_fs, Path.Combine(_root, "gz"), _fs, Path.Combine(_root, "out"));
        Assert.True(plain.Succeeded);
        Assert.Equal(text, File.ReadAllText(Path.Combine(_root, "out/data.txt")));
    }

    [Fact]
    public async Task A_truncated_gzip_fails_and_leaves_nothing_under_the_final_name()
    {
        using var buffer = new MemoryStream();
        await using (var gzip = new GZipStream(buffer, CompressionLevel.Optimal, leaveOpen: true))
            await gzip.WriteAsync(Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("abcdefgh", 5000))));
        var bytes = buffer.ToArray();
        var source = Path.Combine(_root, "cut.gz");
        await File.WriteAllBytesAsync(source, bytes[..^6]);
        var destination = Path.Combine(_root, "out/cut");
        var result = await new RemoteTransfer(new TransferOptions { Gzip = GzipMode.Decompress }).CopyAsync(_fs, source, _fs, destination);
        var failure = Assert.Single(result.Failures);
        Assert.Equal(RemoteErrorKind.Io, failure.Error.Kind);
        Assert.Contains("gzip", failure.Error.Message);
        Assert.False(File.Exists(destination));
        Assert.Empty(Directory.GetFiles(Path.Combine(_root, "out")));
    }
}
