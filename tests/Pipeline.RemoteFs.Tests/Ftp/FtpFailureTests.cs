using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using Pipeline.RemoteFs.Ftp;
using static Pipeline.RemoteFs.Tests.Ftp.FtpOperationsTests;

namespace Pipeline.RemoteFs.Tests.Ftp;

/// <summary>Failures against a real vsftpd: wrong password, a server killed mid-transfer, cancellation.</summary>
public sealed class FtpFailureTests
{
    [VsftpdFact]
    public async Task Wrong_password_is_an_authentication_error_and_the_password_is_never_traced()
    {
        await using var server = await VsftpdServer.StartAsync();
        var trace = new ConcurrentQueue<string>();
        await using var provider = new FtpFileSystemProvider(null, trace.Enqueue);
        var ex = await AssertKind(RemoteErrorKind.Authentication, () => provider.ConnectAsync(server.Endpoint(), server.Options(password: "not-the-password")));
        Assert.Contains("530", ex.Message);
        Assert.Contains("> PASS ***", trace);
        Assert.DoesNotContain(trace, l => l.Contains("not-the-password", StringComparison.Ordinal));
        Assert.DoesNotContain("not-the-password", ex.ToString());

        await using var fs = await provider.ConnectAsync(server.Endpoint(), server.Options());
        Assert.DoesNotContain(trace, l => l.Contains(VsftpdServer.Password, StringComparison.Ordinal));
    }

    [VsftpdTheory]
    [InlineData(VsftpdTls.None)]
    [InlineData(VsftpdTls.Implicit)]
    public async Task Server_killed_mid_download_is_transient_and_the_download_resumes_with_rest(VsftpdTls tls)
    {
        await using var server = await VsftpdServer.StartAsync(tls);
        await using var provider = new FtpFileSystemProvider();
        var content = RandomNumberGenerator.GetBytes(64 * 1024 * 1024);
        await using (var fs = await provider.ConnectAsync(server.Endpoint(), server.Options()))
            await fs.WriteAllAsync("/big.bin", content);

        await using var reader = await provider.ConnectAsync(server.Endpoint(), server.Options());
        var received = new MemoryStream();
        var buffer = new byte[64 * 1024];
        var ex = await Assert.ThrowsAsync<RemoteFsException>(async () =>
        {
            await using var stream = await reader.OpenReadAsync("/big.bin");
            int read;
            while ((read = await stream.ReadAsync(buffer)) > 0)
            {
                received.Write(buffer, 0, read);
                if (received.Length >= 1024 * 1024 && server is { } s && s.Tls == tls && received.Length < 1024 * 1024 + buffer.Length)
                    s.Kill();
            }
        });
        Assert.True(ex.IsTransient, $"{ex.Kind}: {ex.Message}");
        Assert.True(received.Length < content.Length);

        await server.RestartAsync();
        await using (var rest = await reader.OpenReadAsync("/big.bin", offset: received.Length))
            await rest.CopyToAsync(received);
        Assert.Equal(content, received.ToArray());
    }

    [VsftpdFact]
    public async Task Server_killed_mid_upload_is_transient_and_a_resumable_upload_continues_where_it_stopped()
    {
        await using var server = await VsftpdServer.StartAsync();
        await using var provider = new FtpFileSystemProvider();
        await using var fs = await provider.ConnectAsync(server.Endpoint(), server.Options());
        var content = RandomNumberGenerator.GetBytes(32 * 1024 * 1024);

        var ex = await Assert.ThrowsAsync<RemoteFsException>(async () =>
        {
            await using var stream = await fs.OpenWriteAsync("/up.bin", new WriteOptions { Resume = true });
            for (var offset = 0; offset < content.Length; offset += 256 * 1024)
            {
                await stream.WriteAsync(content.AsMemory(offset, 256 * 1024));
                if (offset == 4 * 1024 * 1024) server.Kill();
            }
            await stream.CommitAsync();
        });
        Assert.True(ex.IsTransient, $"{ex.Kind}: {ex.Message}");
        Assert.False(File.Exists(Path.Combine(server.Root, "up.bin")));

        await server.RestartAsync();
        await using (var resumed = await fs.OpenWriteAsync("/up.bin", new WriteOptions { Resume = true }))
        {
            Assert.InRange(resumed.Position, 1, content.Length - 1);
            await resumed.WriteAsync(content.AsMemory((int)resumed.Position));
            await resumed.CommitAsync();
        }
        Assert.Equal(content, File.ReadAllBytes(Path.Combine(server.Root, "up.bin")));
        Assert.Empty(Directory.GetFiles(server.Root, "*.partial"));
    }

    [VsftpdTheory]
    [InlineData(VsftpdTls.None)]
    [InlineData(VsftpdTls.Explicit)]
    public async Task Cancelled_upload_leaves_no_file_under_the_final_name_nor_a_temporary(VsftpdTls tls)
    {
        await using var server = await VsftpdServer.StartAsync(tls);
        await using var provider = new FtpFileSystemProvider();
        await using var fs = await provider.ConnectAsync(server.Endpoint(), server.Options());
        using var cancel = new CancellationTokenSource();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await using var stream = await fs.OpenWriteAsync("/dir/cancelled.bin");
            var chunk = new byte[128 * 1024];
            for (var i = 0; ; i++)
            {
                if (i == 10) cancel.Cancel();
                await stream.WriteAsync(chunk, cancel.Token);
            }
        });
        Assert.Empty(Directory.GetFiles(Path.Combine(server.Root, "dir")));

        // The file system stays usable.
        await fs.WriteAllAsync("/dir/after.bin", [1]);
        Assert.Equal([1], await fs.ReadAllAsync("/dir/after.bin"));
    }

    [VsftpdFact]
    public async Task Upload_disposed_without_commit_deletes_its_temporary_file()
    {
        await using var server = await VsftpdServer.StartAsync();
        await using var provider = new FtpFileSystemProvider();
        await using var fs = await provider.ConnectAsync(server.Endpoint(), server.Options());
        await using (var stream = await fs.OpenWriteAsync("/x.bin"))
            await stream.WriteAsync(new byte[100_000]);
        Assert.Empty(Directory.GetFiles(server.Root));
    }

    [VsftpdFact]
    public async Task Pooled_connections_are_reused_and_a_dead_one_is_replaced()
    {
        await using var server = await VsftpdServer.StartAsync();
        var trace = new ConcurrentQueue<string>();
        await using var provider = new FtpFileSystemProvider(null, trace.Enqueue);
        await using var fs = await provider.ConnectAsync(server.Endpoint(), server.Options());
        for (var i = 0; i < 5; i++) await fs.StatAsync("/");
        await fs.CreateDirectoryAsync("/d");
        await fs.StatAsync("/d");
        Assert.Single(trace, l => l.StartsWith("> USER", StringComparison.Ordinal));

        // The server restarts: the pooled connection is dead; the next operation retries on a new one.
        server.Kill();
        await server.RestartAsync();
        Assert.NotNull(await fs.StatAsync("/d"));
        Assert.Equal(2, trace.Count(l => l.StartsWith("> USER", StringComparison.Ordinal)));
    }

    [VsftpdFact]
    public async Task Credentials_from_the_uri_user_and_a_network_credential_log_in()
    {
        await using var server = await VsftpdServer.StartAsync();
        await using var provider = new FtpFileSystemProvider();
        var options = server.Options() with { Credential = new NetworkCredential("", VsftpdServer.Password) };
        await using var fs = await provider.ConnectAsync(server.Endpoint("/sub"), options);
        await fs.CreateDirectoryAsync(".");
        await fs.WriteAllAsync("relative.txt", [7]);
        Assert.Equal([7], File.ReadAllBytes(Path.Combine(server.Root, "sub/relative.txt")));
    }

    [VsftpdFact]
    public async Task Upload_into_a_directory_removed_behind_the_clients_back_recreates_it()
    {
        await using var server = await VsftpdServer.StartAsync();
        await using var provider = new FtpFileSystemProvider();
        await using var fs = await provider.ConnectAsync(server.Endpoint(), server.Options());
        await fs.WriteAllAsync("/d/one.txt", [1]);
        Directory.Delete(Path.Combine(server.Root, "d"), recursive: true);
        await fs.WriteAllAsync("/d/two.txt", [2]);
        Assert.Equal([2], File.ReadAllBytes(Path.Combine(server.Root, "d/two.txt")));
        Assert.NotNull(await fs.StatAsync("/d"));
        Directory.Delete(Path.Combine(server.Root, "d"), recursive: true);
        await fs.CreateDirectoryAsync("/d");
        Assert.True(Directory.Exists(Path.Combine(server.Root, "d")));
    }

    [VsftpdTheory]
    [InlineData(10)]
    [InlineData(1_000_000)]
    public async Task Refused_pipelined_upload_is_a_permission_error_and_the_connection_stays_in_step(int size)
    {
        await using var server = await VsftpdServer.StartAsync();
        var trace = new ConcurrentQueue<string>();
        await using var provider = new FtpFileSystemProvider(null, trace.Enqueue);
        await using var fs = await provider.ConnectAsync(server.Endpoint(), server.Options());
        await fs.WriteAllAsync("/first.bin", [1]); // EPSV has worked: the next upload's commands go out together
        Directory.CreateDirectory(Path.Combine(server.Root, "locked")); // owned by root: the FTP user cannot write there
        var ex = await Assert.ThrowsAsync<RemoteFsException>(() => fs.WriteAllAsync("/locked/a.bin", RandomNumberGenerator.GetBytes(size)));
        Assert.Equal(RemoteErrorKind.PermissionDenied, ex.Kind);
        Assert.Contains(trace, l => l.StartsWith("< 553", StringComparison.Ordinal));
        Assert.Empty(Directory.GetFiles(Path.Combine(server.Root, "locked")));
        await fs.WriteAllAsync("/second.bin", [2, 3]);
        Assert.Equal([2, 3], File.ReadAllBytes(Path.Combine(server.Root, "second.bin")));
        Assert.Single(trace, l => l.StartsWith("> USER", StringComparison.Ordinal));
    }

    [VsftpdFact]
    public async Task Directory_made_by_someone_else_between_two_mkd_is_created_not_failed()
    {
        await using var server = await VsftpdServer.StartAsync();
        var mkd = 0;
        // The trace sees each command just before it goes out: the second MKD of /p/q (after its parent was made)
        // finds that another client made /p/q meanwhile, and the server answers 550.
        await using var provider = new FtpFileSystemProvider(null, line =>
        {
            if (line == "> MKD /p/q" && ++mkd == 2) Directory.CreateDirectory(Path.Combine(server.Root, "p/q"));
        });
        await using var fs = await provider.ConnectAsync(server.Endpoint(), server.Options());
        await fs.CreateDirectoryAsync("/p/q");
        Assert.Equal(2, mkd);
        Assert.True((await fs.StatAsync("/p/q"))!.IsDirectory);
    }

    [VsftpdFact]
    public async Task Parent_made_by_someone_else_after_mkd_failed_for_want_of_it_is_no_error()
    {
        await using var server = await VsftpdServer.StartAsync();
        // The first MKD /p/q fails (no /p); just before the client checks /p, another client makes /p.
        var made = false;
        await using var provider = new FtpFileSystemProvider(null, line =>
        {
            if (line != "> CWD /p" || made) return;
            made = true;
            var parent = Path.Combine(server.Root, "p");
            Directory.CreateDirectory(parent);
            if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(parent, (UnixFileMode)0b111_111_111); // writable by the FTP user
        });
        await using var fs = await provider.ConnectAsync(server.Endpoint(), server.Options());
        await fs.CreateDirectoryAsync("/p/q");
        Assert.True(made);
        Assert.True((await fs.StatAsync("/p/q"))!.IsDirectory);
    }

    [VsftpdFact]
    public async Task Parallel_uploads_into_the_same_new_directories_all_succeed()
    {
        await using var server = await VsftpdServer.StartAsync();
        await using var provider = new FtpFileSystemProvider();
        await using var fs = await provider.ConnectAsync(server.Endpoint(), server.Options());
        for (var round = 0; round < 5; round++)
        {
            await Task.WhenAll(Enumerable.Range(0, 8).Select(i => fs.WriteAllAsync($"/r{round}/a/b/c/{i}.txt", [(byte)i])));
            Assert.Equal(8, Directory.GetFiles(Path.Combine(server.Root, $"r{round}/a/b/c")).Length);
        }
    }

    [VsftpdFact]
    public async Task Idle_pooled_connection_is_checked_with_noop_and_an_old_one_is_replaced()
    {
        await using var server = await VsftpdServer.StartAsync();
        var time = new ManualTimeProvider();
        var trace = new ConcurrentQueue<string>();
        await using var provider = new FtpFileSystemProvider(time, trace.Enqueue);
        await using var fs = await provider.ConnectAsync(server.Endpoint(), server.Options());
        await fs.StatAsync("/x");
        Assert.DoesNotContain("> NOOP", trace);

        time.Advance(TimeSpan.FromSeconds(11));
        await fs.StatAsync("/x");
        Assert.Single(trace, l => l == "> NOOP");
        Assert.Single(trace, l => l.StartsWith("> USER", StringComparison.Ordinal));

        time.Advance(TimeSpan.FromMinutes(3));
        await fs.StatAsync("/x");
        Assert.Equal(2, trace.Count(l => l.StartsWith("> USER", StringComparison.Ordinal)));
        Assert.Contains("> QUIT", trace);
    }
}
