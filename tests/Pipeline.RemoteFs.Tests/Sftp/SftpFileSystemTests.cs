using System.Text;
using Pipeline.RemoteFs.Sftp;
using static Pipeline.RemoteFs.Tests.RemoteFileSystemTestExtensions;

namespace Pipeline.RemoteFs.Tests.Sftp;

/// <summary>Every operation of the interface against a real sshd.</summary>
[Collection("sshd")]
public sealed class SftpFileSystemTests(SshdServer server)
{
    /// <summary>Small uploads open a connection behind them as soon as the one they share carries one transfer.</summary>
    private static readonly Dictionary<string, string> OneTransferPerConnection = new() { ["transfers_per_connection"] = "1" };

    private string NewDirectory()
    {
        var name = "t-" + Guid.NewGuid().ToString("N")[..8];
        Directory.CreateDirectory(server.Local(name));
        return name;
    }

    [SshdFact]
    public async Task Written_file_appears_under_its_name_only_after_commit()
    {
        var dir = NewDirectory();
        await using var fs = await server.ConnectAsync();
        await using var stream = (SftpWriteStream)await fs.OpenWriteAsync($"{dir}/report.csv");
        await stream.WriteAsync(Encoding.UTF8.GetBytes("a,b\n1,2\n"));
        await stream.FlushAsync();

        Assert.False(File.Exists(server.Local($"{dir}/report.csv")));
        Assert.True(File.Exists(server.Local($"{dir}/{RemotePath.GetName(stream.TemporaryPath)}")));
        await stream.CommitAsync();

        Assert.Equal("a,b\n1,2\n", File.ReadAllText(server.Local($"{dir}/report.csv")));
        Assert.Single(Directory.GetFiles(server.Local(dir)));
    }

    [SshdFact]
    public async Task Upload_disposed_without_commit_leaves_nothing_behind()
    {
        var dir = NewDirectory();
        await using var fs = await server.ConnectAsync();
        await using (var stream = await fs.OpenWriteAsync($"{dir}/never.bin"))
            await stream.WriteAsync(RandomBytes(600_000, 1));

        Assert.Empty(Directory.GetFileSystemEntries(server.Local(dir)));
    }

    [SshdFact]
    public async Task Large_file_round_trips_through_pipelined_reads_and_writes()
    {
        var dir = NewDirectory();
        var content = RandomBytes(24 * 1024 * 1024 + 12345, 2);
        await using var fs = await server.ConnectAsync();

        await fs.WriteAllAsync($"{dir}/big.bin", content);

        Assert.Equal(Sha256(content), Sha256(File.ReadAllBytes(server.Local($"{dir}/big.bin"))));
        Assert.Equal(Sha256(content), Sha256(await fs.ReadAllAsync($"{dir}/big.bin")));
        var checksum = await fs.GetChecksumAsync($"{dir}/big.bin");
        Assert.True(checksum.Matches(Sha256(content)));
        Assert.False(checksum.Native);
    }

    [SshdFact]
    public async Task Read_starts_at_an_offset_and_stops_after_a_length()
    {
        var dir = NewDirectory();
        var content = RandomBytes(1_000_000, 3);
        File.WriteAllBytes(server.Local($"{dir}/r.bin"), content);
        await using var fs = await server.ConnectAsync();

        Assert.Equal(content[700_000..], await fs.ReadAllAsync($"{dir}/r.bin", 700_000));
        Assert.Equal(content[123_456..(123_456 + 300_000)], await fs.ReadAllAsync($"{dir}/r.bin", 123_456, 300_000));
        Assert.Empty(await fs.ReadAllAsync($"{dir}/r.bin", 2_000_000));
    }

    [SshdFact]
    public async Task Zero_byte_files_are_written_read_and_listed()
    {
        var dir = NewDirectory();
        await using var fs = await server.ConnectAsync();

        await fs.WriteAllAsync($"{dir}/empty", []);

        Assert.Equal(0, new FileInfo(server.Local($"{dir}/empty")).Length);
        Assert.Empty(await fs.ReadAllAsync($"{dir}/empty"));
        var item = Assert.Single(await fs.ListAllAsync(dir));
        Assert.Equal(0, item.Length);
        Assert.False(item.IsDirectory);
    }

    [SshdFact]
    public async Task Names_with_spaces_and_unicode_survive_every_operation()
    {
        var dir = NewDirectory();
        const string name = "rapport année 2026 — Ωmega ✓ 東京.txt";
        await using var fs = await server.ConnectAsync();

        await fs.CreateDirectoryAsync($"{dir}/sous dossier é");
        await fs.WriteAllAsync($"{dir}/sous dossier é/{name}", Encoding.UTF8.GetBytes("ok"));

        Assert.Equal("ok", File.ReadAllText(server.Local($"{dir}/sous dossier é/{name}")));
        var listed = Assert.Single(await fs.ListAllAsync($"{dir}/sous dossier é"));
        Assert.Equal(name, listed.Name);
        await fs.MoveAsync($"{dir}/sous dossier é/{name}", $"{dir}/{name}");
        Assert.Equal("ok", Encoding.UTF8.GetString(await fs.ReadAllAsync($"{dir}/{name}")));
        await fs.DeleteFileAsync($"{dir}/{name}");
        Assert.False(File.Exists(server.Local($"{dir}/{name}")));
    }

    [SshdFact]
    public async Task Stat_describes_files_directories_links_and_returns_null_for_nothing()
    {
        var dir = NewDirectory();
        File.WriteAllBytes(server.Local($"{dir}/f.bin"), new byte[1234]);
        File.SetLastWriteTimeUtc(server.Local($"{dir}/f.bin"), new DateTime(2024, 5, 6, 7, 8, 9, DateTimeKind.Utc));
        Directory.CreateDirectory(server.Local($"{dir}/sub"));
        File.CreateSymbolicLink(server.Local($"{dir}/link"), server.Local($"{dir}/f.bin"));
        await using var fs = await server.ConnectAsync();

        var file = await fs.StatAsync($"{dir}/f.bin");
        var directory = await fs.StatAsync($"{dir}/sub");
        var link = await fs.StatAsync($"{dir}/link");

        Assert.NotNull(file);
        Assert.Equal((false, 1234L), (file.IsDirectory, file.Length));
        Assert.Equal(new DateTimeOffset(2024, 5, 6, 7, 8, 9, TimeSpan.Zero), file.LastWriteTime);
        Assert.Equal(server.Local($"{dir}/f.bin"), file.Path);
        Assert.True(directory!.IsDirectory);
        Assert.True(link!.IsSymbolicLink);
        Assert.Equal(1234, link.Length);
        Assert.Null(await fs.StatAsync($"{dir}/missing"));
    }

    [SshdFact]
    public async Task List_goes_down_recursively_and_filters_with_a_glob()
    {
        var dir = NewDirectory();
        Directory.CreateDirectory(server.Local($"{dir}/a/b"));
        File.WriteAllText(server.Local($"{dir}/top.csv"), "x");
        File.WriteAllText(server.Local($"{dir}/a/mid.csv"), "x");
        File.WriteAllText(server.Local($"{dir}/a/b/deep.csv"), "x");
        File.WriteAllText(server.Local($"{dir}/a/b/deep.txt"), "x");
        await using var fs = await server.ConnectAsync();

        var flat = await fs.ListAllAsync(dir);
        var all = await fs.ListAllAsync(dir, new ListOptions { Recursive = true });
        var csv = await fs.ListAllAsync(dir, new ListOptions { Recursive = true, Filter = "**/*.csv", IncludeDirectories = false });

        Assert.Equal(["a", "top.csv"], flat.Select(i => i.Name).Order(StringComparer.Ordinal));
        Assert.Equal(6, all.Count);
        Assert.Equal(["deep.csv", "mid.csv", "top.csv"], csv.Select(i => i.Name).Order(StringComparer.Ordinal));
    }

    [SshdFact]
    public async Task Listing_a_missing_directory_is_NotFound_and_a_file_is_Conflict()
    {
        var dir = NewDirectory();
        File.WriteAllText(server.Local($"{dir}/file"), "x");
        await using var fs = await server.ConnectAsync();

        var missing = await Assert.ThrowsAsync<RemoteFsException>(() => fs.ListAllAsync($"{dir}/nope"));
        var file = await Assert.ThrowsAsync<RemoteFsException>(() => fs.ListAllAsync($"{dir}/file"));

        Assert.Equal(RemoteErrorKind.NotFound, missing.Kind);
        Assert.Contains($"{dir}/nope", missing.Message);
        Assert.Equal(RemoteErrorKind.Conflict, file.Kind);
    }

    [SshdFact]
    public async Task Reading_a_missing_file_is_NotFound()
    {
        await using var fs = await server.ConnectAsync();

        var error = await Assert.ThrowsAsync<RemoteFsException>(() => fs.OpenReadAsync("no-such-file.bin"));

        Assert.Equal(RemoteErrorKind.NotFound, error.Kind);
        Assert.Contains("no-such-file.bin", error.Message);
    }

    [SshdFact]
    public async Task Writing_over_an_existing_file_without_overwrite_is_Conflict()
    {
        var dir = NewDirectory();
        File.WriteAllText(server.Local($"{dir}/keep.txt"), "original");
        await using var fs = await server.ConnectAsync();

        var error = await Assert.ThrowsAsync<RemoteFsException>(() => fs.WriteAllAsync($"{dir}/keep.txt", [1, 2, 3], new WriteOptions { Overwrite = false }));
        await fs.WriteAllAsync($"{dir}/keep.txt", Encoding.UTF8.GetBytes("replaced"));

        Assert.Equal(RemoteErrorKind.Conflict, error.Kind);
        Assert.Equal("replaced", File.ReadAllText(server.Local($"{dir}/keep.txt")));
        Assert.Single(Directory.GetFiles(server.Local(dir)));
    }

    [SshdFact]
    public async Task Writing_creates_missing_parents_unless_told_not_to()
    {
        var dir = NewDirectory();
        await using var fs = await server.ConnectAsync();

        await fs.WriteAllAsync($"{dir}/x/y/z.txt", [42]);
        var error = await Assert.ThrowsAsync<RemoteFsException>(() => fs.WriteAllAsync($"{dir}/p/q.txt", [42], new WriteOptions { CreateParents = false }));

        Assert.Equal([42], File.ReadAllBytes(server.Local($"{dir}/x/y/z.txt")));
        Assert.Equal(RemoteErrorKind.NotFound, error.Kind);
        Assert.False(Directory.Exists(server.Local($"{dir}/p")));
    }

    [SshdFact]
    public async Task Directories_are_created_with_parents_idempotently_and_not_over_files()
    {
        var dir = NewDirectory();
        File.WriteAllText(server.Local($"{dir}/file"), "x");
        await using var fs = await server.ConnectAsync();

        await fs.CreateDirectoryAsync($"{dir}/one/two/three");
        await fs.CreateDirectoryAsync($"{dir}/one/two/three");
        var error = await Assert.ThrowsAsync<RemoteFsException>(() => fs.CreateDirectoryAsync($"{dir}/file"));

        Assert.True(Directory.Exists(server.Local($"{dir}/one/two/three")));
        Assert.Equal(RemoteErrorKind.Conflict, error.Kind);
    }

    [SshdFact]
    public async Task Deleting_a_directory_needs_recursion_when_it_has_content()
    {
        var dir = NewDirectory();
        Directory.CreateDirectory(server.Local($"{dir}/tree/a/b"));
        File.WriteAllText(server.Local($"{dir}/tree/a/b/f1"), "x");
        File.WriteAllText(server.Local($"{dir}/tree/f2"), "x");
        Directory.CreateDirectory(server.Local($"{dir}/empty"));
        await using var fs = await server.ConnectAsync();

        var notEmpty = await Assert.ThrowsAsync<RemoteFsException>(() => fs.DeleteDirectoryAsync($"{dir}/tree"));
        await fs.DeleteDirectoryAsync($"{dir}/empty");
        await fs.DeleteDirectoryAsync($"{dir}/tree", recursive: true);
        var missing = await Assert.ThrowsAsync<RemoteFsException>(() => fs.DeleteDirectoryAsync($"{dir}/tree"));

        Assert.Equal(RemoteErrorKind.Conflict, notEmpty.Kind);
        Assert.Equal(RemoteErrorKind.NotFound, missing.Kind);
        Assert.Empty(Directory.GetFileSystemEntries(server.Local(dir)));
    }

    [SshdFact]
    public async Task Deleting_files_reports_missing_ones_and_refuses_directories()
    {
        var dir = NewDirectory();
        File.WriteAllText(server.Local($"{dir}/f"), "x");
        Directory.CreateDirectory(server.Local($"{dir}/d"));
        await using var fs = await server.ConnectAsync();

        await fs.DeleteFileAsync($"{dir}/f");
        var missing = await Assert.ThrowsAsync<RemoteFsException>(() => fs.DeleteFileAsync($"{dir}/f"));
        var directory = await Assert.ThrowsAsync<RemoteFsException>(() => fs.DeleteFileAsync($"{dir}/d"));

        Assert.False(File.Exists(server.Local($"{dir}/f")));
        Assert.Equal(RemoteErrorKind.NotFound, missing.Kind);
        Assert.Equal(RemoteErrorKind.Conflict, directory.Kind);
    }

    [SshdFact]
    public async Task Move_renames_and_replaces_only_when_asked()
    {
        var dir = NewDirectory();
        File.WriteAllText(server.Local($"{dir}/a"), "A");
        File.WriteAllText(server.Local($"{dir}/b"), "B");
        await using var fs = await server.ConnectAsync();

        var conflict = await Assert.ThrowsAsync<RemoteFsException>(() => fs.MoveAsync($"{dir}/a", $"{dir}/b"));
        await fs.MoveAsync($"{dir}/a", $"{dir}/b", overwrite: true);
        await fs.MoveAsync($"{dir}/b", $"{dir}/new/place/c");
        var missing = await Assert.ThrowsAsync<RemoteFsException>(() => fs.MoveAsync($"{dir}/a", $"{dir}/z"));

        Assert.Equal(RemoteErrorKind.Conflict, conflict.Kind);
        Assert.Equal(RemoteErrorKind.NotFound, missing.Kind);
        Assert.Equal("A", File.ReadAllText(server.Local($"{dir}/new/place/c")));
        Assert.False(File.Exists(server.Local($"{dir}/b")));
    }

    [SshdFact]
    public async Task Copy_happens_on_the_server_and_keeps_the_modification_time()
    {
        var dir = NewDirectory();
        var content = RandomBytes(3_000_000, 4);
        File.WriteAllBytes(server.Local($"{dir}/src"), content);
        File.SetLastWriteTimeUtc(server.Local($"{dir}/src"), new DateTime(2023, 1, 2, 3, 4, 5, DateTimeKind.Utc));
        await using var fs = await server.ConnectAsync();

        await fs.CopyAsync($"{dir}/src", $"{dir}/dst");
        var conflict = await Assert.ThrowsAsync<RemoteFsException>(() => fs.CopyAsync($"{dir}/src", $"{dir}/dst"));
        var missing = await Assert.ThrowsAsync<RemoteFsException>(() => fs.CopyAsync($"{dir}/nope", $"{dir}/dst2"));

        Assert.True(fs.Capabilities.HasFlag(RemoteCapabilities.ServerSideCopy));
        Assert.Equal(content, File.ReadAllBytes(server.Local($"{dir}/dst")));
        Assert.Equal(new DateTime(2023, 1, 2, 3, 4, 5, DateTimeKind.Utc), File.GetLastWriteTimeUtc(server.Local($"{dir}/dst")));
        Assert.Equal(RemoteErrorKind.Conflict, conflict.Kind);
        Assert.Equal(RemoteErrorKind.NotFound, missing.Kind);
    }

    [SshdFact]
    public async Task Relative_paths_resolve_against_the_endpoint_and_tilde_against_the_login_directory()
    {
        var dir = NewDirectory();
        File.WriteAllText(server.Local($"{dir}/rel.txt"), "rel");
        await using var fs = await server.ConnectAsync();
        var home = SshdServer.HomeDirectory();

        Assert.Equal(server.Local($"{dir}/rel.txt"), fs.Resolve($"{dir}/rel.txt"));
        Assert.Equal("rel", Encoding.UTF8.GetString(await fs.ReadAllAsync(server.Local($"{dir}/rel.txt"))));
        Assert.Equal(home.TrimEnd('/') + "/x", fs.Resolve("/~/x"));
    }

    [SshdFact]
    public async Task Upload_is_atomic_and_uses_the_openssh_extensions()
    {
        await using var fs = await server.ConnectAsync();

        Assert.True(fs.Capabilities.HasFlag(RemoteCapabilities.AtomicRename));
        foreach (var extension in new[] { SftpExtensions.PosixRename, SftpExtensions.Fsync, SftpExtensions.StatVfs, SftpExtensions.Hardlink })
            Assert.True(fs.Extensions.ContainsKey(extension), extension);
        var space = await fs.GetSpaceAsync(".");
        Assert.NotNull(space);
        Assert.True(space.Value.Total >= space.Value.Available && space.Value.Available > 0);
    }

    [SshdFact]
    public async Task Small_uploads_share_one_connection_until_it_carries_transfers_per_connection_of_them()
    {
        var dir = NewDirectory();
        await using var fs = await server.ConnectAsync(server.Options(settings: new Dictionary<string, string> { ["transfers_per_connection"] = "2" }));
        var contents = Enumerable.Range(0, 3).Select(i => RandomBytes(64 * 1024, 20 + i)).ToArray();
        await using var first = await fs.OpenWriteAsync($"{dir}/f0.bin", new WriteOptions { ExpectedLength = contents[0].Length });
        await first.WriteAsync(contents[0]);
        Assert.Single(fs.ProcessIds);

        // One unfinished transfer on the only channel: the next small one shares it, and nothing opens behind it.
        await using var second = await fs.OpenWriteAsync($"{dir}/f1.bin", new WriteOptions { ExpectedLength = contents[1].Length });
        await second.WriteAsync(contents[1]);
        await fs.WhenPoolGrownAsync();
        Assert.Single(fs.ProcessIds);

        // Two: the third shares it too, and a second channel opens behind it.
        await using (var third = await fs.OpenWriteAsync($"{dir}/f2.bin", new WriteOptions { ExpectedLength = contents[2].Length }))
        {
            await third.WriteAsync(contents[2]);
            await third.CommitAsync();
        }
        await first.CommitAsync();
        await second.CommitAsync();
        await fs.WhenPoolGrownAsync();

        Assert.Equal(2, fs.ProcessIds.Count);
        for (var i = 0; i < contents.Length; i++)
            Assert.Equal(contents[i], File.ReadAllBytes(server.Local($"{dir}/f{i}.bin")));
    }

    [SshdFact]
    public async Task Eight_small_uploads_at_once_share_one_connection_by_default()
    {
        var dir = NewDirectory();
        await using var fs = await server.ConnectAsync();
        var files = Enumerable.Range(0, 64).Select(i => ($"{dir}/f{i:D2}.bin", RandomBytes(16 * 1024, 100 + i))).ToList();

        await Parallel.ForEachAsync(files, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (file, _) =>
        {
            await using var output = await fs.OpenWriteAsync(file.Item1, new WriteOptions { ExpectedLength = file.Item2.Length });
            await output.WriteAsync(file.Item2);
            await output.CommitAsync();
        });
        await fs.WhenPoolGrownAsync();

        Assert.Single(fs.ProcessIds);
        foreach (var (path, content) in files) Assert.Equal(content, File.ReadAllBytes(server.Local(path)));
    }

    [SshdFact]
    public async Task A_connection_that_cannot_open_behind_small_uploads_leaves_them_on_the_open_one()
    {
        var dir = NewDirectory();
        // A copy of the client key beside the server's own files (removed with them), so that it can be taken away.
        var key = Path.Combine(Path.GetDirectoryName(server.ClientKey)!, $"growth_key_{dir.Trim('/').Replace('/', '_')}");
        File.Copy(server.ClientKey, key, overwrite: true);
        File.SetUnixFileMode(key, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        await using var fs = await server.ConnectAsync(server.Options(settings: OneTransferPerConnection) with { KeyFile = key });
        var first = RandomBytes(64 * 1024, 3);
        var second = RandomBytes(64 * 1024, 4);
        await using var held = await fs.OpenWriteAsync($"{dir}/first.bin", new WriteOptions { ExpectedLength = first.Length });
        await held.WriteAsync(first);
        // Every further ssh process fails to authenticate: the connection opening behind the next upload fails.
        File.Delete(key);

        await using (var shared = await fs.OpenWriteAsync($"{dir}/second.bin", new WriteOptions { ExpectedLength = second.Length }))
        {
            await shared.WriteAsync(second);
            await shared.CommitAsync();
        }
        await held.CommitAsync();
        await fs.WhenPoolGrownAsync();

        Assert.Single(fs.ProcessIds);
        Assert.Equal(first, File.ReadAllBytes(server.Local($"{dir}/first.bin")));
        Assert.Equal(second, File.ReadAllBytes(server.Local($"{dir}/second.bin")));
        var third = RandomBytes(1024, 5);
        await fs.WriteAllAsync($"{dir}/third.bin", third); // no more attempts to grow, and still served
        Assert.Equal(third, File.ReadAllBytes(server.Local($"{dir}/third.bin")));
    }

    [SshdFact]
    public async Task Disposing_while_a_connection_opens_behind_small_uploads_leaves_no_ssh_process()
    {
        var dir = NewDirectory();
        var fs = await server.ConnectAsync(server.Options(settings: OneTransferPerConnection));
        await Parallel.ForEachAsync(Enumerable.Range(0, 32), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, _) =>
        {
            var content = RandomBytes(16 * 1024, i);
            await using var output = await fs.OpenWriteAsync($"{dir}/f{i}.bin", new WriteOptions { ExpectedLength = content.Length });
            await output.WriteAsync(content);
            await output.CommitAsync();
        });
        await fs.DisposeAsync();

        Assert.Empty(SshdServer.ChildSshProcesses());
        Assert.Equal(32, Directory.GetFiles(server.Local(dir)).Length);
    }

    [SshdFact]
    public async Task Many_small_files_go_in_parallel_over_several_connections()
    {
        var dir = NewDirectory();
        await using var fs = await server.ConnectAsync(server.Options(settings: new Dictionary<string, string> { ["transfers_per_connection"] = "2" }));
        var files = Enumerable.Range(0, 200).Select(i => ($"{dir}/f{i:D4}.bin", RandomBytes(64 * 1024, i))).ToList();

        var sawConnections = 0;
        await Parallel.ForEachAsync(files, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (file, _) =>
        {
            await fs.WriteAllAsync(file.Item1, file.Item2);
            Interlocked.Exchange(ref sawConnections, Math.Max(sawConnections, fs.ProcessIds.Count));
        });
        var read = new System.Collections.Concurrent.ConcurrentDictionary<string, byte[]>();
        await Parallel.ForEachAsync(files, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (file, _) =>
            read[file.Item1] = await fs.ReadAllAsync(file.Item1));

        Assert.True(sawConnections > 1, $"only {sawConnections} ssh process(es) were used");
        Assert.True(fs.ProcessIds.Count <= 4);
        foreach (var (path, content) in files)
        {
            Assert.Equal(content, File.ReadAllBytes(server.Local(path)));
            Assert.Equal(content, read[path]);
        }
    }

    [SshdFact]
    public async Task A_sparse_file_beyond_2_GiB_is_read_at_offsets_past_2_to_the_31()
    {
        var dir = NewDirectory();
        var path = server.Local($"{dir}/sparse.bin");
        const long size = (1L << 31) + (300L << 20); // 2.3 GiB, almost all holes
        var tail = RandomBytes(1 << 20, 5);
        using (var file = new FileStream(path, FileMode.CreateNew))
        {
            file.SetLength(size);
            file.Seek(size - tail.Length, SeekOrigin.Begin);
            file.Write(tail);
        }
        await using var fs = await server.ConnectAsync();

        var item = await fs.StatAsync($"{dir}/sparse.bin");
        var end = await fs.ReadAllAsync($"{dir}/sparse.bin", size - tail.Length);
        var straddle = await fs.ReadAllAsync($"{dir}/sparse.bin", size - tail.Length - 1000, 2000);

        Assert.Equal(size, item!.Length);
        Assert.Equal(tail, end);
        Assert.Equal(new byte[1000].Concat(tail[..1000]), straddle);
    }

    [SshdFact]
    public async Task Resumed_upload_without_a_partial_file_appends_to_the_existing_file()
    {
        var dir = NewDirectory();
        File.WriteAllText(server.Local($"{dir}/log.txt"), "abc");
        await using var fs = await server.ConnectAsync();

        await using (var stream = await fs.OpenWriteAsync($"{dir}/log.txt", new WriteOptions { Resume = true }))
        {
            Assert.Equal(3, stream.Position);
            Assert.Equal("abc", File.ReadAllText(server.Local($"{dir}/log.txt")));
            await stream.WriteAsync(Encoding.UTF8.GetBytes("def"));
            await stream.CommitAsync();
        }

        Assert.Equal("abcdef", File.ReadAllText(server.Local($"{dir}/log.txt")));
        Assert.Single(Directory.GetFiles(server.Local(dir)));
    }
}
