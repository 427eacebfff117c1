using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Pipeline.RemoteFs.Ftp;
using Xunit.Abstractions;

namespace Pipeline.RemoteFs.Tests.Ftp;

/// <summary>Every file system operation against a real vsftpd, in each TLS mode and each data connection mode.</summary>
public sealed class FtpOperationsTests(ITestOutputHelper output)
{
    public static TheoryData<VsftpdTls, string> Modes => new()
    {
        { VsftpdTls.None, "passive" },
        { VsftpdTls.None, "active" },
        { VsftpdTls.Explicit, "passive" },
        { VsftpdTls.Explicit, "active" },
        { VsftpdTls.Implicit, "passive" },
        { VsftpdTls.Implicit, "active" },
    };

    [VsftpdTheory]
    [MemberData(nameof(Modes))]
    public async Task Every_operation_works_against_vsftpd(VsftpdTls tls, string mode)
    {
        await using var server = await VsftpdServer.StartAsync(tls);
        var trace = new ConcurrentQueue<string>();
        await using var provider = new FtpFileSystemProvider(null, trace.Enqueue);
        try
        {
            await using var fs = await provider.ConnectAsync(server.Endpoint(), server.Options(mode));
            await RunAllOperations(fs, server);
            Assert.Contains(trace, l => l.StartsWith(mode == "active" ? "> EPRT" : "> EPSV", StringComparison.Ordinal));
            if (tls != VsftpdTls.None) Assert.Contains("> PROT P", trace);
        }
        catch
        {
            output.WriteLine(string.Join('\n', trace));
            output.WriteLine(server.ReadLog());
            throw;
        }
    }

    [VsftpdTheory]
    [InlineData(VsftpdTls.None, "passive")]
    [InlineData(VsftpdTls.None, "active")]
    [InlineData(VsftpdTls.Explicit, "passive")]
    [InlineData(VsftpdTls.Explicit, "active")]
    public async Task Pasv_and_port_work_when_the_extended_commands_are_turned_off(VsftpdTls tls, string mode)
    {
        await using var server = await VsftpdServer.StartAsync(tls);
        var trace = new ConcurrentQueue<string>();
        await using var provider = new FtpFileSystemProvider(null, trace.Enqueue);
        var options = server.Options(mode);
        options = options with { Settings = new Dictionary<string, string>(options.Settings) { ["epsv"] = "false", ["eprt"] = "false" } };
        await using var fs = await provider.ConnectAsync(server.Endpoint(), options);
        var content = RandomNumberGenerator.GetBytes(200_000);
        await fs.WriteAllAsync("/d/f.bin", content);
        Assert.Equal(content, await fs.ReadAllAsync("/d/f.bin"));
        Assert.Single(await ToList(fs.ListAsync("/d")));
        Assert.Contains(trace, l => l.StartsWith(mode == "active" ? "> PORT 127,0,0,1," : "> PASV", StringComparison.Ordinal));
        Assert.DoesNotContain(trace, l => l.StartsWith("> EPSV", StringComparison.Ordinal) || l.StartsWith("> EPRT", StringComparison.Ordinal));
    }

    [VsftpdTheory]
    [InlineData(VsftpdTls.None)]
    [InlineData(VsftpdTls.Explicit)]
    public async Task Every_operation_works_with_pipelining_turned_off_and_each_command_waits_for_its_reply(VsftpdTls tls)
    {
        await using var server = await VsftpdServer.StartAsync(tls);
        var trace = new ConcurrentQueue<string>();
        await using var provider = new FtpFileSystemProvider(null, trace.Enqueue);
        var options = server.Options();
        options = options with { Settings = new Dictionary<string, string>(options.Settings) { ["pipelining"] = "false" } };
        await using var fs = await provider.ConnectAsync(server.Endpoint(), options);
        await RunAllOperations(fs, server);
        var lines = trace.ToArray();
        for (var i = 1; i < lines.Length; i++)
            Assert.False(lines[i - 1].StartsWith("> ", StringComparison.Ordinal) && lines[i].StartsWith("> ", StringComparison.Ordinal) && !lines[i - 1].StartsWith("> QUIT", StringComparison.Ordinal),
                $"'{lines[i]}' went out before '{lines[i - 1]}' was answered");
    }

    [VsftpdTheory]
    [InlineData(VsftpdTls.None)]
    [InlineData(VsftpdTls.Explicit)]
    public async Task Uploads_and_downloads_pipeline_rename_size_and_transfer_commands_by_default(VsftpdTls tls)
    {
        await using var server = await VsftpdServer.StartAsync(tls);
        var trace = new ConcurrentQueue<string>();
        await using var provider = new FtpFileSystemProvider(null, trace.Enqueue);
        await using var fs = await provider.ConnectAsync(server.Endpoint(), server.Options());
        var content = RandomNumberGenerator.GetBytes(100_000);
        for (var i = 0; i < 3; i++)
        {
            await fs.WriteAllAsync($"/p/{i}.bin", content);
            Assert.Equal(content, await fs.ReadAllAsync($"/p/{i}.bin"));
        }
        Assert.Equal(3, Directory.GetFiles(Path.Combine(server.Root, "p")).Length);
        var commands = trace.Where(l => l.StartsWith("> ", StringComparison.Ordinal)).Select(l => l[2..].Split(' ')[0]).ToList();
        var lines = trace.ToArray();
        bool Together(params string[] verbs) => Enumerable.Range(0, lines.Length - verbs.Length + 1).Any(i =>
            verbs.Select((v, k) => lines[i + k].StartsWith("> " + v + " ", StringComparison.Ordinal) || lines[i + k] == "> " + v).All(b => b));
        Assert.True(Together("RNFR", "RNTO"), string.Join('\n', lines));
        Assert.True(Together("EPSV", "STOR"), string.Join('\n', lines));
        Assert.True(Together("SIZE", "EPSV", "RETR"), string.Join('\n', lines));
        // Still one final reply per command (besides each greeting), so the connection stays in step.
        Assert.Equal(commands.Count, trace.Count(l => FtpReplyReaderLastLine(l) && l[2] != '1' && !l.StartsWith("< 220", StringComparison.Ordinal)));
    }

    // A reply's last line: '< ' and a code followed by a space (or nothing).
    private static bool FtpReplyReaderLastLine(string line) =>
        line.Length >= 5 && line.StartsWith("< ", StringComparison.Ordinal) && char.IsAsciiDigit(line[2]) && char.IsAsciiDigit(line[3]) && char.IsAsciiDigit(line[4]) &&
        (line.Length == 5 || line[5] == ' ');

    private static async Task RunAllOperations(IRemoteFileSystem fs, VsftpdServer server)
    {
        // Create directories with parents; creating an existing one succeeds.
        await fs.CreateDirectoryAsync("/in/deep/er");
        await fs.CreateDirectoryAsync("/in/deep");
        Assert.True(Directory.Exists(Path.Combine(server.Root, "in/deep/er")));

        // Upload: names with spaces and unicode, a 0-byte file, a file of a few MiB.
        var big = RandomNumberGenerator.GetBytes(3 * 1024 * 1024 + 17);
        await fs.WriteAllAsync("/in/big file.bin", big);
        await fs.WriteAllAsync("/in/empty.txt", []);
        await fs.WriteAllAsync("/in/deep/Ünïcødé ✓ name.txt", Encoding.UTF8.GetBytes("hello"));
        Assert.Equal(big, File.ReadAllBytes(Path.Combine(server.Root, "in/big file.bin")));
        Assert.Empty(File.ReadAllBytes(Path.Combine(server.Root, "in/empty.txt")));
        Assert.True(File.Exists(Path.Combine(server.Root, "in/deep/Ünïcødé ✓ name.txt")));
        Assert.DoesNotContain(Directory.EnumerateFiles(server.Root, "*", SearchOption.AllDirectories), f => f.EndsWith(".partial", StringComparison.Ordinal));

        // Upload creates missing parents.
        await fs.WriteAllAsync("/new/parent/x.txt", [1, 2, 3]);

        // Stat: files, directories, nothing.
        var stat = await fs.StatAsync("/in/big file.bin");
        Assert.NotNull(stat);
        Assert.False(stat.IsDirectory);
        Assert.Equal(big.Length, stat.Length);
        Assert.NotNull(stat.LastWriteTime);
        Assert.True(Math.Abs((stat.LastWriteTime.Value - DateTimeOffset.UtcNow).TotalMinutes) < 5);
        var dir = await fs.StatAsync("/in/deep");
        Assert.NotNull(dir);
        Assert.True(dir.IsDirectory);
        Assert.Null(await fs.StatAsync("/in/missing.txt"));
        Assert.Equal(0, (await fs.StatAsync("/in/empty.txt"))!.Length);

        // List: flat, recursive, filtered, without directories.
        var flat = await ToList(fs.ListAsync("/in"));
        Assert.Equal(["/in/big file.bin", "/in/deep", "/in/empty.txt"], flat.Select(i => i.Path).Order(StringComparer.Ordinal));
        var recursive = await ToList(fs.ListAsync("/in", new ListOptions { Recursive = true }));
        Assert.Contains(recursive, i => i.Path == "/in/deep/Ünïcødé ✓ name.txt" && i.Length == 5 && !i.IsDirectory);
        Assert.Contains(recursive, i => i.Path == "/in/deep/er" && i.IsDirectory);
        var filtered = await ToList(fs.ListAsync("/in", new ListOptions { Recursive = true, Filter = "**/*.txt", IncludeDirectories = false }));
        Assert.Equal(["/in/deep/Ünïcødé ✓ name.txt", "/in/empty.txt"], filtered.Select(i => i.Path).Order(StringComparer.Ordinal));
        var listed = flat.Single(i => i.Name == "big file.bin");
        Assert.Equal(big.Length, listed.Length);
        Assert.Equal(0b110_100_100, listed.Permissions);
        await AssertKind(RemoteErrorKind.NotFound, () => ToList(fs.ListAsync("/nowhere")));
        await AssertKind(RemoteErrorKind.Conflict, () => ToList(fs.ListAsync("/in/empty.txt")));

        // Download: whole, from an offset (REST), a range, a 0-byte file.
        Assert.Equal(big, await fs.ReadAllAsync("/in/big file.bin"));
        Assert.Equal(big[1_000_000..], await fs.ReadAllAsync("/in/big file.bin", 1_000_000));
        Assert.Equal(big[5..1029], await fs.ReadAllAsync("/in/big file.bin", 5, 1024));
        Assert.Empty(await fs.ReadAllAsync("/in/empty.txt"));
        Assert.Equal("hello"u8.ToArray(), await fs.ReadAllAsync("in/deep/Ünïcødé ✓ name.txt"));
        await AssertKind(RemoteErrorKind.NotFound, () => fs.ReadAllAsync("/in/missing.txt"));
        await AssertKind(RemoteErrorKind.Conflict, () => fs.ReadAllAsync("/in/deep"));
        // After a ranged read, the pooled connection is still in step.
        Assert.NotNull(await fs.StatAsync("/in/empty.txt"));

        // Overwrite rules.
        await AssertKind(RemoteErrorKind.Conflict, async () =>
        {
            await using var s = await fs.OpenWriteAsync("/in/empty.txt", new WriteOptions { Overwrite = false });
        });
        await fs.WriteAllAsync("/in/empty.txt", [9]);
        Assert.Equal([9], await fs.ReadAllAsync("/in/empty.txt"));

        // Resumable upload: continue a partial file with APPE; Position starts at what is already there.
        await using (var first = await fs.OpenWriteAsync("/in/resumed.bin", new WriteOptions { Resume = true }))
        {
            Assert.Equal(0, first.Position);
            await first.WriteAsync(big.AsMemory(0, 100_000));
        } // not committed: kept as a partial file, not under the final name
        Assert.Null(await fs.StatAsync("/in/resumed.bin"));
        await using (var second = await fs.OpenWriteAsync("/in/resumed.bin", new WriteOptions { Resume = true }))
        {
            Assert.Equal(100_000, second.Position);
            await second.WriteAsync(big.AsMemory(100_000));
            await second.CommitAsync();
        }
        Assert.Equal(big, await fs.ReadAllAsync("/in/resumed.bin"));

        // Move (rename), with and without overwrite, into a new directory.
        await fs.MoveAsync("/in/empty.txt", "/moved/one.txt");
        Assert.Null(await fs.StatAsync("/in/empty.txt"));
        Assert.Equal([9], await fs.ReadAllAsync("/moved/one.txt"));
        await fs.WriteAllAsync("/moved/two.txt", [2]);
        await AssertKind(RemoteErrorKind.Conflict, () => fs.MoveAsync("/moved/two.txt", "/moved/one.txt"));
        await fs.MoveAsync("/moved/two.txt", "/moved/one.txt", overwrite: true);
        Assert.Equal([2], await fs.ReadAllAsync("/moved/one.txt"));
        await AssertKind(RemoteErrorKind.NotFound, () => fs.MoveAsync("/moved/none.txt", "/moved/x.txt"));

        // Copy goes through the client.
        await fs.CopyAsync("/in/big file.bin", "/copy/big copy.bin");
        Assert.Equal(big, File.ReadAllBytes(Path.Combine(server.Root, "copy/big copy.bin")));

        // Checksums: vsftpd has no HASH command, so they are computed by reading.
        var checksum = await fs.GetChecksumAsync("/in/big file.bin");
        Assert.Equal(Convert.ToHexString(SHA256.HashData(big)).ToLowerInvariant(), checksum.Hex);
        Assert.False(checksum.Native);
        var md5 = await fs.GetChecksumAsync("/in/big file.bin", ChecksumAlgorithm.Md5);
        Assert.Equal(Convert.ToHexString(MD5.HashData(big)).ToLowerInvariant(), md5.Hex);

        // Delete files and directories.
        await fs.DeleteFileAsync("/copy/big copy.bin");
        Assert.False(File.Exists(Path.Combine(server.Root, "copy/big copy.bin")));
        await AssertKind(RemoteErrorKind.NotFound, () => fs.DeleteFileAsync("/copy/big copy.bin"));
        await AssertKind(RemoteErrorKind.Conflict, () => fs.DeleteFileAsync("/in/deep"));
        await AssertKind(RemoteErrorKind.Conflict, () => fs.DeleteDirectoryAsync("/in"));
        await fs.DeleteDirectoryAsync("/copy");
        await fs.DeleteDirectoryAsync("/in", recursive: true);
        Assert.False(Directory.Exists(Path.Combine(server.Root, "in")));
        await AssertKind(RemoteErrorKind.NotFound, () => fs.DeleteDirectoryAsync("/in"));
    }

    internal static async Task<List<RemoteItem>> ToList(IAsyncEnumerable<RemoteItem> items)
    {
        var list = new List<RemoteItem>();
        await foreach (var item in items) list.Add(item);
        return list;
    }

    internal static async Task<RemoteFsException> AssertKind(RemoteErrorKind kind, Func<Task> action)
    {
        var ex = await Assert.ThrowsAsync<RemoteFsException>(action);
        Assert.True(kind == ex.Kind, $"Expected {kind}, got {ex.Kind}: {ex.Message}");
        return ex;
    }
}
