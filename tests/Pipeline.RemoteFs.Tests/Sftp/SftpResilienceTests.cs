using Pipeline.RemoteFs.Sftp;
using static Pipeline.RemoteFs.Tests.RemoteFileSystemTestExtensions;

namespace Pipeline.RemoteFs.Tests.Sftp;

/// <summary>A server that dies mid-transfer, cancellation, timeouts, and the ssh processes that must not outlive their session.</summary>
[Collection("sshd")]
public sealed class SftpResilienceTests(SshdServer server) : IDisposable
{
    private string NewDirectory()
    {
        var name = "r-" + Guid.NewGuid().ToString("N")[..8];
        Directory.CreateDirectory(server.Local(name));
        return name;
    }

    /// <summary>Whatever a test did to the server, the next one finds it running.</summary>
    public void Dispose()
    {
        server.Resume();
        if (!server.IsRunning) server.Start();
    }

    [SshdFact]
    public async Task Upload_cut_by_a_server_crash_fails_transiently_and_resumes_from_the_partial_file()
    {
        var dir = NewDirectory();
        var content = RandomBytes(20 * 1024 * 1024, 10);
        var options = new WriteOptions { Resume = true };
        await using var fs = await server.ConnectAsync();

        var error = await Assert.ThrowsAsync<RemoteFsException>(async () =>
        {
            await using var stream = await fs.OpenWriteAsync($"{dir}/upload.bin", options);
            await stream.WriteAsync(content.AsMemory(0, 8 * 1024 * 1024));
            await stream.FlushAsync();
            server.Kill();
            await stream.WriteAsync(content.AsMemory(8 * 1024 * 1024));
            await stream.CommitAsync();
        });
        Assert.Equal(RemoteErrorKind.Transient, error.Kind);
        Assert.True(error.IsTransient);
        Assert.False(File.Exists(server.Local($"{dir}/upload.bin")));
        server.Start();

        await using (var resumed = await fs.OpenWriteAsync($"{dir}/upload.bin", options))
        {
            Assert.InRange(resumed.Position, 8L * 1024 * 1024, content.Length);
            await resumed.WriteAsync(content.AsMemory((int)resumed.Position));
            await resumed.CommitAsync();
        }

        Assert.Equal(Sha256(content), Sha256(File.ReadAllBytes(server.Local($"{dir}/upload.bin"))));
        Assert.Single(Directory.GetFiles(server.Local(dir)));
    }

    [SshdFact]
    public async Task Download_cut_by_a_server_crash_fails_transiently_and_resumes_at_its_offset()
    {
        var dir = NewDirectory();
        var content = RandomBytes(32 * 1024 * 1024, 11);
        File.WriteAllBytes(server.Local($"{dir}/download.bin"), content);
        await using var fs = await server.ConnectAsync();
        var received = new MemoryStream();

        var error = await Assert.ThrowsAsync<RemoteFsException>(async () =>
        {
            await using var stream = await fs.OpenReadAsync($"{dir}/download.bin");
            var buffer = new byte[64 * 1024];
            while (received.Length < 8 * 1024 * 1024)
                received.Write(buffer, 0, await stream.ReadAsync(buffer));
            server.Kill();
            int read;
            while ((read = await stream.ReadAsync(buffer)) > 0) received.Write(buffer, 0, read);
        });
        Assert.Equal(RemoteErrorKind.Transient, error.Kind);
        Assert.InRange(received.Length, 8 * 1024 * 1024, content.Length - 1);
        server.Start();

        received.Write(await fs.ReadAllAsync($"{dir}/download.bin", received.Length));

        Assert.Equal(Sha256(content), Sha256(received.ToArray()));
    }

    [SshdFact]
    public async Task Operations_after_a_server_restart_reconnect_by_themselves()
    {
        var fs = await server.ConnectAsync();
        var first = fs.ProcessIds.Single();
        server.Kill();
        server.Start();

        Assert.NotNull(await fs.StatAsync("."));
        Assert.DoesNotContain(first, fs.ProcessIds);
        // The dead connection was dropped on the way; disposing waits for its process as for the live ones.
        await fs.DisposeAsync();
        Assert.False(Directory.Exists($"/proc/{first}"), $"ssh {first} outlived its session");
        Assert.Empty(SshdServer.ChildSshProcesses());
    }

    [SshdFact]
    public async Task Cancelled_upload_leaves_no_file_and_no_ssh_process()
    {
        var dir = NewDirectory();
        var fs = await server.ConnectAsync();
        var processes = fs.ProcessIds;
        using var cancellation = new CancellationTokenSource();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await using var stream = await fs.OpenWriteAsync($"{dir}/cancelled.bin");
            var chunk = RandomBytes(1024 * 1024, 12);
            for (var i = 0; ; i++)
            {
                if (i == 6) cancellation.Cancel();
                await stream.WriteAsync(chunk, cancellation.Token);
            }
        });
        await fs.DisposeAsync();

        Assert.Empty(Directory.GetFileSystemEntries(server.Local(dir)));
        Assert.All(processes, pid => Assert.False(Directory.Exists($"/proc/{pid}"), $"ssh {pid} outlived its session"));
        Assert.Empty(SshdServer.ChildSshProcesses());
    }

    [SshdFact]
    public async Task Disposing_the_file_system_ends_every_ssh_process_of_its_pool()
    {
        var fs = await server.ConnectAsync(server.Options(settings: new Dictionary<string, string> { ["transfers_per_connection"] = "1" }));
        var second = await new SftpFileSystemProvider().ConnectAsync(server.Endpoint(), server.Options());
        await Parallel.ForEachAsync(Enumerable.Range(0, 16), async (i, _) => await fs.WriteAllAsync($"pool-{i}.bin", RandomBytes(256 * 1024, i)));
        await fs.WhenPoolGrownAsync(); // small uploads let further connections open behind them
        var processes = fs.ProcessIds;
        Assert.True(processes.Count > 1);
        Assert.Equal(processes.Count + 1, SshdServer.ChildSshProcesses().Count);

        await fs.DisposeAsync();
        await second.DisposeAsync();

        Assert.Empty(SshdServer.ChildSshProcesses());
    }

    [SshdFact]
    public async Task File_systems_of_one_provider_and_credential_share_their_ssh_processes_until_the_last_is_disposed()
    {
        var provider = new SftpFileSystemProvider();
        var first = (SftpFileSystem)await provider.ConnectAsync(server.Endpoint(), server.Options());
        var second = (SftpFileSystem)await provider.ConnectAsync(server.Endpoint(), server.Options());

        Assert.Equal(first.ProcessIds, second.ProcessIds);
        await first.DisposeAsync();
        Assert.NotNull(await second.StatAsync("."));
        await second.DisposeAsync();

        Assert.Empty(SshdServer.ChildSshProcesses());
    }

    [SshdFact]
    public async Task Server_that_stops_answering_fails_the_operation_with_a_Timeout()
    {
        var options = server.Options() with { OperationTimeout = TimeSpan.FromSeconds(1), MaxAttempts = 1 };
        await using var fs = await server.ConnectAsync(options);
        server.Freeze();

        var error = await Assert.ThrowsAsync<RemoteFsException>(() => fs.StatAsync("."));

        Assert.Equal(RemoteErrorKind.Timeout, error.Kind);
        Assert.Contains("operation timeout", error.Message);
    }
}
