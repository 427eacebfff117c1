using System.Security.Cryptography;
using Pipeline.RemoteFs.Local;
using Pipeline.RemoteFs.Transfers;

namespace Pipeline.RemoteFs.Tests.Transfers;

/// <summary>Uploads, downloads, remote-to-remote copies and syncs against real directories, s3rver and Azurite.</summary>
public sealed class TransferOperationsTests(TransferServers servers) : IClassFixture<TransferServers>, IDisposable
{
    private readonly string _local = Directory.CreateTempSubdirectory("pipeline-transfer-ops-").FullName;
    private readonly LocalFileSystem _fs = new();

    public void Dispose() => Directory.Delete(_local, recursive: true);

    private string Local(string relative) => Path.Combine(_local, relative.Replace('/', Path.DirectorySeparatorChar));

    private void WriteLocal(string relative, byte[] content)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Local(relative))!);
        File.WriteAllBytes(Local(relative), content);
    }

    [TransferTheory]
    [InlineData("local")]
    [InlineData("s3")]
    [InlineData("azure")]
    public async Task A_tree_goes_up_and_comes_back_byte_for_byte(string kind)
    {
        await using var backend = await servers.OpenAsync(kind);
        var files = new Dictionary<string, byte[]>
        {
            ["a.csv"] = TestData.Random(1000, 1),
            ["empty.txt"] = [],
            ["sub/deeper/b.bin"] = TestData.Random(300_000, 2),
            ["sub/c.json"] = "{\"x\":1}"u8.ToArray(),
        };
        foreach (var (relative, content) in files) WriteLocal("up/" + relative, content);

        var transfer = new RemoteTransfer(new TransferOptions { Parallelism = 3 });
        var up = await transfer.CopyAsync(_fs, Local("up"), backend.Fs, backend.Path("tree"));
        Assert.True(up.Succeeded, string.Join("; ", up.Failures.Select(f => f.Error.Message)));
        Assert.Equal(4, up.Files);
        Assert.Equal(files.Values.Sum(v => (long)v.Length), up.Bytes);
        Assert.All(up.Transferred, f => Assert.NotNull(f.Checksum));
        foreach (var (relative, content) in files)
            Assert.Equal(content, await backend.ReadAsync("tree/" + relative));

        var down = await transfer.CopyAsync(backend.Fs, backend.Path("tree"), _fs, Local("down"));
        Assert.True(down.Succeeded, string.Join("; ", down.Failures.Select(f => f.Error.Message)));
        foreach (var (relative, content) in files)
            Assert.Equal(content, File.ReadAllBytes(Local("down/" + relative)));
        Assert.Empty(Directory.GetFiles(Local("down"), "*.partial*", SearchOption.AllDirectories));

        // A single file into an existing directory keeps its name.
        var one = await transfer.CopyAsync(backend.Fs, backend.Path("tree/a.csv"), _fs, Local("down/sub"));
        Assert.True(one.Succeeded);
        Assert.Equal(files["a.csv"], File.ReadAllBytes(Local("down/sub/a.csv")));
    }

    [TransferTheory]
    [InlineData("s3")]
    [InlineData("azure")]
    public async Task A_large_file_goes_up_in_parts_and_comes_down_in_parallel_ranges_verified(string kind)
    {
        await using var backend = await servers.OpenAsync(kind, ("part_size", "5242880"));
        var content = TestData.Random(12 * 1024 * 1024 + 12345, 3);
        WriteLocal("big.bin", content);

        var up = await new RemoteTransfer().CopyAsync(_fs, Local("big.bin"), backend.Fs, backend.Path("big.bin"));
        var sent = Assert.Single(up.Transferred);
        Assert.Equal(Convert.ToHexString(MD5.HashData(content)).ToLowerInvariant(), sent.Checksum!.Hex);
        Assert.True(sent.Checksum.Native, "the upload is verified by the backend's own hash (S3: the predicted multipart ETag; Azure: Content-MD5)");

        var recording = new ReadRecordingFileSystem(backend.Fs);
        var options = new TransferOptions { ParallelPartThreshold = 4 * 1024 * 1024, PartSize = 1024 * 1024, PartParallelism = 4 };
        var down = await new RemoteTransfer(options).CopyAsync(recording, backend.Path("big.bin"), _fs, Local("back/big.bin"));
        Assert.True(down.Succeeded, string.Join("; ", down.Failures.Select(f => f.Error.Message)));
        Assert.Equal(content, File.ReadAllBytes(Local("back/big.bin")));
        Assert.Equal(13, recording.Reads.Count);
        Assert.All(recording.Reads, r => Assert.True(r.Length is <= 1024 * 1024));
    }

    [TransferFact]
    public async Task Files_go_from_s3_to_azure_and_back_through_this_process()
    {
        await using var s3 = await servers.OpenAsync("s3");
        await using var azure = await servers.OpenAsync("azure");
        await s3.WriteAsync("x/one.txt", "one"u8.ToArray());
        await s3.WriteAsync("x/two/three.bin", TestData.Random(7 * 1024 * 1024, 4));

        var there = await new RemoteTransfer().CopyAsync(s3.Fs, s3.Path("x"), azure.Fs, azure.Path("copy"));
        Assert.True(there.Succeeded, string.Join("; ", there.Failures.Select(f => f.Error.Message)));
        Assert.Equal("one"u8.ToArray(), await azure.ReadAsync("copy/one.txt"));
        Assert.Equal(TestData.Random(7 * 1024 * 1024, 4), await azure.ReadAsync("copy/two/three.bin"));

        var back = await new RemoteTransfer().CopyAsync(azure.Fs, azure.Path("copy"), s3.Fs, s3.Path("back"));
        Assert.True(back.Succeeded, string.Join("; ", back.Failures.Select(f => f.Error.Message)));
        Assert.Equal(TestData.Random(7 * 1024 * 1024, 4), await s3.ReadAsync("back/two/three.bin"));
    }

    [TransferFact]
    public async Task A_copy_within_one_endpoint_happens_on_the_server_and_is_verified()
    {
        await using var s3 = await servers.OpenAsync("s3");
        await s3.WriteAsync("in/a.txt", "server side"u8.ToArray());
        var recording = new ReadRecordingFileSystem(s3.Fs);
        var result = await new RemoteTransfer().CopyAsync(s3.Fs, s3.Path("in/a.txt"), s3.Fs, s3.Path("out/a.txt"));
        Assert.True(result.Succeeded);
        Assert.Equal("server side"u8.ToArray(), await s3.ReadAsync("out/a.txt"));
        Assert.True(Assert.Single(result.Transferred).Checksum!.Native);
    }

    [TransferTheory]
    [InlineData("local")]
    [InlineData("s3")]
    [InlineData("azure")]
    public async Task Sync_copies_what_is_missing_or_differs_and_deletes_extras_only_when_asked(string kind)
    {
        await using var backend = await servers.OpenAsync(kind);
        var hourAgo = DateTime.UtcNow.AddHours(-1);
        WriteLocal("src/new.txt", "new"u8.ToArray());
        WriteLocal("src/same.txt", "same"u8.ToArray());
        WriteLocal("src/grown.txt", "grown longer"u8.ToArray());
        WriteLocal("src/sub/edited.txt", "AAAA"u8.ToArray());
        foreach (var f in new[] { "src/same.txt", "src/grown.txt", "src/sub/edited.txt" }) File.SetLastWriteTimeUtc(Local(f), hourAgo);
        await backend.WriteAsync("dst/same.txt", "same"u8.ToArray());
        await backend.WriteAsync("dst/grown.txt", "grown"u8.ToArray());
        await backend.WriteAsync("dst/sub/edited.txt", "BBBB"u8.ToArray());
        await backend.WriteAsync("dst/extra.txt", "extra"u8.ToArray());
        if (backend.Fs is LocalFileSystem)
            foreach (var f in new[] { "dst/same.txt", "dst/grown.txt", "dst/sub/edited.txt" }) File.SetLastWriteTimeUtc(backend.Path(f), hourAgo);

        var bySize = await new RemoteSync().PlanAsync(_fs, Local("src"), backend.Fs, backend.Path("dst"));
        Assert.Equal(
            ["Update grown.txt", "Copy new.txt", "Skip same.txt", "Skip sub/edited.txt"],
            bySize.Actions.Select(a => $"{a.Kind} {a.RelativePath}"));
        Assert.Contains("1 to copy, 1 to update, 2 up to date, 0 to delete", bySize.Summary);

        var sync = new RemoteSync(syncOptions: new SyncOptions { Compare = SyncComparison.Checksum, DeleteExtra = true });
        var plan = await sync.PlanAsync(_fs, Local("src"), backend.Fs, backend.Path("dst"));
        Assert.Equal(
            ["Delete extra.txt", "Update grown.txt", "Copy new.txt", "Skip same.txt", "Update sub/edited.txt"],
            plan.Actions.Select(a => $"{a.Kind} {a.RelativePath}"));
        Assert.Equal("Update  sub/edited.txt  (checksum differs)", plan.Actions[^1].ToString());
        Assert.Equal("BBBB"u8.ToArray(), await backend.ReadAsync("dst/sub/edited.txt")); // planning changes nothing

        var result = await sync.ApplyAsync(plan);
        Assert.True(result.Succeeded, string.Join("; ", result.Failures.Select(f => f.Error.Message)));
        Assert.Equal(3, result.Files);
        Assert.Equal(1, result.Skipped);
        Assert.Equal(1, result.Deleted);
        Assert.Equal("AAAA"u8.ToArray(), await backend.ReadAsync("dst/sub/edited.txt"));
        Assert.Equal("grown longer"u8.ToArray(), await backend.ReadAsync("dst/grown.txt"));
        Assert.Null(await backend.Fs.StatAsync(backend.Path("dst/extra.txt")));

        var again = await sync.PlanAsync(_fs, Local("src"), backend.Fs, backend.Path("dst"));
        Assert.All(again.Actions, a => Assert.Equal(SyncActionKind.Skip, a.Kind));
        var bySizeAgain = await new RemoteSync().PlanAsync(_fs, Local("src"), backend.Fs, backend.Path("dst"));
        Assert.All(bySizeAgain.Actions, a => Assert.Equal(SyncActionKind.Skip, a.Kind));
    }
}
