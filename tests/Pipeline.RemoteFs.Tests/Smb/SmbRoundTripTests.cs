using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using Pipeline.RemoteFs.Smb;

namespace Pipeline.RemoteFs.Tests.Smb;

/// <summary>How many round trips small files take (compounds), and that a compound failing half-way leaves nothing
/// behind.</summary>
public sealed class SmbRoundTripTests
{
    private static async Task<(TamperingProxy Proxy, SmbFileSystemProvider Provider, IRemoteFileSystem Fs)> ThroughProxyAsync(SambaServer server, string share = "data")
    {
        var proxy = new TamperingProxy(server.Port);
        var provider = new SmbFileSystemProvider();
        var fs = await provider.ConnectAsync(RemoteEndpoint.Parse($"smb://{SambaServer.User}@127.0.0.1:{proxy.Port}/{share}"), server.Options());
        return (proxy, provider, fs);
    }

    [SambaTheory]
    [InlineData("data")]
    [InlineData("secret")]
    public async Task Small_file_goes_up_in_two_round_trips_and_down_in_one(string share)
    {
        await using var server = await SambaServer.StartAsync();
        var (proxy, provider, fs) = await ThroughProxyAsync(server, share);
        await using (proxy)
        await using (provider)
        {
            var root = share == "data" ? server.DataRoot : server.SecretRoot;
            await fs.CreateDirectoryAsync("/in");
            var content = RandomNumberGenerator.GetBytes(64 * 1024);
            var before = proxy.ClientFrames;
            await fs.WriteAllAsync("/in/small.bin", content); // CREATE+WRITE+FLUSH, then rename+CLOSE
            Assert.Equal(2, proxy.ClientFrames - before);
            Assert.Equal(content, File.ReadAllBytes(Path.Combine(root, "in", "small.bin")));
            Assert.Equal(["small.bin"], Directory.GetFiles(Path.Combine(root, "in")).Select(Path.GetFileName));

            before = proxy.ClientFrames;
            Assert.Equal(content, await fs.ReadAllAsync("/in/small.bin")); // CREATE+READ+CLOSE
            Assert.Equal(1, proxy.ClientFrames - before);

            before = proxy.ClientFrames;
            Assert.Equal(content.Length, (await fs.StatAsync("/in/small.bin"))!.Length); // CREATE+CLOSE
            Assert.Null(await fs.StatAsync("/in/none.bin"));
            Assert.Equal(2, proxy.ClientFrames - before);
        }
    }

    [SambaFact]
    public async Task Reads_past_the_first_chunk_ranges_and_empty_files_come_back_whole()
    {
        await using var server = await SambaServer.StartAsync();
        await using var provider = new SmbFileSystemProvider();
        await using var fs = await provider.ConnectAsync(server.Endpoint(), server.Options(settings: new Dictionary<string, string> { ["io_size"] = "65536" }));
        var content = RandomNumberGenerator.GetBytes(1_000_003);
        await File.WriteAllBytesAsync(Path.Combine(server.DataRoot, "f.bin"), content);
        await File.WriteAllBytesAsync(Path.Combine(server.DataRoot, "empty.bin"), []);
        Assert.Equal(content, await fs.ReadAllAsync("/f.bin"));
        Assert.Equal(content.AsSpan(70_000, 100_000).ToArray(), await fs.ReadAllAsync("/f.bin", 70_000, 100_000));
        Assert.Equal(content.AsSpan(999_000).ToArray(), await fs.ReadAllAsync("/f.bin", 999_000));
        Assert.Empty(await fs.ReadAllAsync("/f.bin", 2_000_000));
        Assert.Empty(await fs.ReadAllAsync("/f.bin", 10, 0));
        Assert.Empty(await fs.ReadAllAsync("/empty.bin"));
        Directory.CreateDirectory(Path.Combine(server.DataRoot, "dir"));
        var ex = await Assert.ThrowsAsync<RemoteFsException>(() => fs.ReadAllAsync("/dir"));
        Assert.Equal(RemoteErrorKind.Conflict, ex.Kind);
        var missing = await Assert.ThrowsAsync<RemoteFsException>(() => fs.ReadAllAsync("/none.bin"));
        Assert.Equal(RemoteErrorKind.NotFound, missing.Kind);
    }

    [SambaTheory]
    [InlineData("data")]
    [InlineData("secret")]
    public async Task Verified_small_upload_through_the_transfer_layer_takes_two_round_trips(string share)
    {
        // CREATE+WRITE+FLUSH+READ, then rename+CLOSE: the read-back that verifies the copy rides in the first compound,
        // where a commit followed by reading the file back took a third round trip.
        await using var server = await SambaServer.StartAsync();
        var (proxy, provider, fs) = await ThroughProxyAsync(server, share);
        await using (proxy)
        await using (provider)
        {
            var root = share == "data" ? server.DataRoot : server.SecretRoot;
            await fs.CreateDirectoryAsync("/in");
            var local = Directory.CreateTempSubdirectory("pipeline-smb-");
            using var removeLocal = new Cleanup(() => local.Delete(recursive: true));
            var content = RandomNumberGenerator.GetBytes(64 * 1024);
            File.WriteAllBytes(Path.Combine(local.FullName, "small.bin"), content);
            var transfer = new Pipeline.RemoteFs.Transfers.RemoteTransfer(new Pipeline.RemoteFs.Transfers.TransferOptions { Overwrite = true });
            var before = proxy.ClientFrames;
            var result = await transfer.CopyAsync(new Pipeline.RemoteFs.Local.LocalFileSystem(), Path.Combine(local.FullName, "small.bin"), fs, "/in/small.bin");
            result.ThrowIfFailed();
            // The transfer layer's stat of the destination (once per copy), then the upload's two.
            Assert.Equal(1 + 2, proxy.ClientFrames - before);
            Assert.Equal(Convert.ToHexString(MD5.HashData(content)).ToLowerInvariant(), result.Transferred.Single().Checksum!.Hex);
            Assert.Equal(content, File.ReadAllBytes(Path.Combine(root, "in", "small.bin")));
            Assert.Equal(["small.bin"], Directory.GetFiles(Path.Combine(root, "in")).Select(Path.GetFileName));
        }
    }

    [SambaTheory]
    [InlineData(0)]
    [InlineData(70_000)]
    [InlineData(1024 * 1024)]
    [InlineData(1024 * 1024 + 1)]
    public async Task Verified_uploads_read_back_in_the_compound_or_over_the_handle_arrive_whole(int size)
    {
        // 0 and 70,000 bytes are read back in the creating compound; exactly one WRITE's worth (1 MiB) and more are
        // read back over the open handle, with a READ at the end that must find nothing.
        await using var server = await SambaServer.StartAsync();
        await using var provider = new SmbFileSystemProvider();
        await using var fs = await provider.ConnectAsync(server.Endpoint(), server.Options());
        var local = Directory.CreateTempSubdirectory("pipeline-smb-");
        using var removeLocal = new Cleanup(() => local.Delete(recursive: true));
        var content = RandomNumberGenerator.GetBytes(size);
        File.WriteAllBytes(Path.Combine(local.FullName, "f.bin"), content);
        var transfer = new Pipeline.RemoteFs.Transfers.RemoteTransfer(new Pipeline.RemoteFs.Transfers.TransferOptions());
        var result = await transfer.CopyAsync(new Pipeline.RemoteFs.Local.LocalFileSystem(), Path.Combine(local.FullName, "f.bin"), fs, "/f.bin");
        result.ThrowIfFailed();
        Assert.Equal(Convert.ToHexString(MD5.HashData(content)).ToLowerInvariant(), result.Transferred.Single().Checksum!.Hex);
        Assert.Equal(content, File.ReadAllBytes(Path.Combine(server.DataRoot, "f.bin")));
        Assert.Single(Directory.GetFileSystemEntries(server.DataRoot));
    }

    [SambaTheory]
    [InlineData(1000)]
    [InlineData(3 * 1024 * 1024 + 17)]
    public async Task Stored_bytes_that_differ_from_those_sent_leave_nothing_under_the_final_name(int size)
    {
        // The relay changes one byte of every READ answer (SMB 2.1 without required signing, as above): to the client
        // the server stored other bytes than it sent. The copy must fail as a mismatch before its rename.
        await using var server = await SambaServer.StartAsync("SMB2_10", "SMB2_10");
        var (proxy, provider, fs) = await ThroughProxyAsync(server);
        await using (proxy)
        await using (provider)
        {
            Assert.NotNull(await fs.StatAsync("/"));
            proxy.Rewrite = frame => TamperingProxy.ForEachMessage(frame, offset =>
            {
                if (TamperingProxy.Command(frame, offset) == SmbCommand.Read && TamperingProxy.Status(frame, offset) == SmbStatus.Success &&
                    BinaryPrimitives.ReadInt32LittleEndian(frame.AsSpan(offset + 64 + 4)) > 0) // a READ that carries data
                {
                    frame[offset + frame[offset + 64 + 2]] ^= 0xFF;
                    TamperingProxy.Unsign(frame, offset);
                }
            });
            var local = Directory.CreateTempSubdirectory("pipeline-smb-");
            using var removeLocal = new Cleanup(() => local.Delete(recursive: true));
            File.WriteAllBytes(Path.Combine(local.FullName, "f.bin"), RandomNumberGenerator.GetBytes(size));
            var transfer = new Pipeline.RemoteFs.Transfers.RemoteTransfer(new Pipeline.RemoteFs.Transfers.TransferOptions { MaxAttempts = 1 });
            var result = await transfer.CopyAsync(new Pipeline.RemoteFs.Local.LocalFileSystem(), Path.Combine(local.FullName, "f.bin"), fs, "/out/f.bin");
            var failure = Assert.Single(result.Failures);
            Assert.Contains("does not match what was sent", failure.Error.Message);
            Assert.Empty(Directory.GetFiles(server.DataRoot, "*", SearchOption.AllDirectories));
        }
    }

    [SambaFact]
    public async Task WRITE_failing_inside_the_create_compound_leaves_no_file_under_the_final_name_nor_a_temporary()
    {
        // SMB 2.1 without required signing, so that the relay can turn the server's WRITE answer into STATUS_DISK_FULL
        // and drop its signature (a real server cannot be made to fail one WRITE on demand). The CREATE succeeded and the bytes reached the disk:
        // the client must delete its temporary file and never send the rename.
        await using var server = await SambaServer.StartAsync("SMB2_10", "SMB2_10");
        var (proxy, provider, fs) = await ThroughProxyAsync(server);
        await using (proxy)
        await using (provider)
        {
            Assert.NotNull(await fs.StatAsync("/"));
            var failed = 0;
            proxy.Rewrite = frame => TamperingProxy.ForEachMessage(frame, offset =>
            {
                if (TamperingProxy.Command(frame, offset) == SmbCommand.Write)
                {
                    TamperingProxy.Fail(frame, offset, SmbStatus.DiskFull);
                    Interlocked.Increment(ref failed);
                }
            });
            var ex = await Assert.ThrowsAsync<RemoteFsException>(() => fs.WriteAllAsync("/full.bin", RandomNumberGenerator.GetBytes(1000)));
            Assert.Contains("STATUS_DISK_FULL", ex.Message);
            Assert.Equal(1, failed);
            Assert.Empty(Directory.GetFileSystemEntries(server.DataRoot));

            // A file larger than one WRITE fails the same way at its first WRITE.
            var big = await Assert.ThrowsAsync<RemoteFsException>(() => fs.WriteAllAsync("/big.bin", RandomNumberGenerator.GetBytes(3 * 1024 * 1024)));
            Assert.Contains("STATUS_DISK_FULL", big.Message);
            Assert.Empty(Directory.GetFileSystemEntries(server.DataRoot));

            proxy.Rewrite = null;
            await fs.WriteAllAsync("/after.bin", [1, 2, 3]);
            Assert.Equal([1, 2, 3], File.ReadAllBytes(Path.Combine(server.DataRoot, "after.bin")));
        }
    }

    /// <summary>Counts the FLUSH answers in server frames (SMB 2.1 without required signing: readable), and turns the
    /// first <paramref name="fail"/> of them into STATUS_DISK_FULL.</summary>
    private static Action<byte[]> CountFlushes(StrongBox<int> flushes, int fail = 0) => frame => TamperingProxy.ForEachMessage(frame, offset =>
    {
        // A FLUSH's final answer, not an interim STATUS_PENDING.
        if (TamperingProxy.Command(frame, offset) == SmbCommand.Flush && TamperingProxy.Status(frame, offset) != SmbStatus.Pending &&
            Interlocked.Increment(ref flushes.Value) <= fail)
            TamperingProxy.Fail(frame, offset, SmbStatus.DiskFull);
    });

    [SambaTheory]
    [InlineData("262144", 2)]   // at 256 KiB at least one FLUSH goes in the background, then the one before the rename
    [InlineData("0", 1)]        // only the FLUSH before the rename
    public async Task A_large_upload_flushes_in_the_background_every_flush_every_bytes_and_once_more_before_its_rename(string every, int atLeast)
    {
        await using var server = await SambaServer.StartAsync("SMB2_10", "SMB2_10");
        var proxy = new TamperingProxy(server.Port);
        await using var removeProxy = proxy;
        await using var provider = new SmbFileSystemProvider();
        await using var fs = await provider.ConnectAsync(RemoteEndpoint.Parse($"smb://{SambaServer.User}@127.0.0.1:{proxy.Port}/data"),
            server.Options(settings: new Dictionary<string, string> { ["io_size"] = "65536", ["flush_every"] = every }));
        var flushes = new StrongBox<int>();
        proxy.Rewrite = CountFlushes(flushes);
        var content = RandomNumberGenerator.GetBytes(2 * 1024 * 1024 + 5);
        await fs.WriteAllAsync("/big.bin", content);
        Assert.InRange(flushes.Value, atLeast, every == "0" ? 1 : content.Length / 262144 + 1);
        Assert.Equal(content, File.ReadAllBytes(Path.Combine(server.DataRoot, "big.bin")));
        Assert.Single(Directory.GetFileSystemEntries(server.DataRoot));

        flushes.Value = 0;
        await using var unflushed = await provider.ConnectAsync(RemoteEndpoint.Parse($"smb://{SambaServer.User}@127.0.0.1:{proxy.Port}/data"),
            server.Options(settings: new Dictionary<string, string> { ["io_size"] = "65536", ["flush_every"] = every, ["flush"] = "false" }));
        await unflushed.WriteAllAsync("/big.bin", content);
        Assert.Equal(0, flushes.Value);
    }

    [SambaFact]
    public async Task A_failed_background_FLUSH_fails_the_upload_and_leaves_nothing_under_the_final_name()
    {
        await using var server = await SambaServer.StartAsync("SMB2_10", "SMB2_10");
        var proxy = new TamperingProxy(server.Port);
        await using var removeProxy = proxy;
        await using var provider = new SmbFileSystemProvider();
        await using var fs = await provider.ConnectAsync(RemoteEndpoint.Parse($"smb://{SambaServer.User}@127.0.0.1:{proxy.Port}/data"),
            server.Options(settings: new Dictionary<string, string> { ["io_size"] = "65536", ["flush_every"] = "262144" }));
        Assert.NotNull(await fs.StatAsync("/"));
        var flushes = new StrongBox<int>();
        proxy.Rewrite = CountFlushes(flushes, fail: 1); // the first FLUSH is a background one: the file is 2 MiB
        var ex = await Assert.ThrowsAsync<RemoteFsException>(() => fs.WriteAllAsync("/big.bin", RandomNumberGenerator.GetBytes(2 * 1024 * 1024 + 5)));
        Assert.Contains("STATUS_DISK_FULL", ex.Message);
        Assert.Contains("/big.bin", ex.Message);
        Assert.Empty(Directory.GetFileSystemEntries(server.DataRoot));

        proxy.Rewrite = null;
        await fs.WriteAllAsync("/after.bin", [1, 2, 3]);
        Assert.Equal([1, 2, 3], File.ReadAllBytes(Path.Combine(server.DataRoot, "after.bin")));
    }

    [SambaFact]
    public async Task Missing_parents_are_created_on_the_first_write_only_when_the_upload_may()
    {
        await using var server = await SambaServer.StartAsync();
        await using var provider = new SmbFileSystemProvider();
        await using var fs = await provider.ConnectAsync(server.Endpoint(), server.Options());
        var refused = await Assert.ThrowsAsync<RemoteFsException>(() => fs.WriteAllAsync("/x/y/z.bin", [1], new WriteOptions { CreateParents = false }));
        Assert.Equal(RemoteErrorKind.NotFound, refused.Kind);
        Assert.Empty(Directory.GetFileSystemEntries(server.DataRoot));

        await fs.WriteAllAsync("/x/y/z.bin", [1, 2]);
        Assert.Equal([1, 2], File.ReadAllBytes(Path.Combine(server.DataRoot, "x", "y", "z.bin")));
        await fs.WriteAllAsync("/x/y/w.bin", RandomNumberGenerator.GetBytes(2 * 1024 * 1024 + 5));
        Assert.Equal(["w.bin", "z.bin"], Directory.GetFiles(Path.Combine(server.DataRoot, "x", "y")).Select(Path.GetFileName).Order());

        File.WriteAllText(Path.Combine(server.DataRoot, "file"), "in the way");
        var blocked = await Assert.ThrowsAsync<RemoteFsException>(() => fs.WriteAllAsync("/file/z.bin", [1]));
        Assert.Equal(RemoteErrorKind.Conflict, blocked.Kind);
    }

    private sealed class Cleanup(Action action) : IDisposable
    {
        public void Dispose() => action();
    }
}
