using Pipeline.RemoteFs.Sftp;
using static Pipeline.RemoteFs.Tests.RemoteFileSystemTestExtensions;

namespace Pipeline.RemoteFs.Tests.Sftp;

/// <summary>
/// A commit sends the last WRITE, the fsync and the CLOSE together and waits once; the upload is renamed into place
/// only when every one of them succeeded. Servers that refuse one kind of request (internal-sftp's -P) prove it.
/// In the sshd collection although each test starts its own server: other tests of it count this process's ssh
/// children, so none may run beside them.
/// </summary>
[Collection("sshd")]
public sealed class SftpCommitTests
{
    [SshdFact]
    public async Task A_write_the_server_refuses_is_never_renamed_into_place()
    {
        using var server = new SshdServer(sftpArguments: "-P write");
        await using var fs = await server.ConnectAsync();

        // One WRITE sent with the commit, and several sent before it.
        foreach (var size in new[] { 1000, 1024 * 1024 })
        {
            var error = await Assert.ThrowsAsync<RemoteFsException>(() => fs.WriteAllAsync($"refused-{size}.bin", RandomBytes(size, size)));

            Assert.Equal(RemoteErrorKind.PermissionDenied, error.Kind);
            Assert.Contains($"refused-{size}.bin", error.Message);
        }
        Assert.Empty(Directory.GetFileSystemEntries(server.DataDirectory));
    }

    [SshdFact]
    public async Task A_refused_close_is_never_renamed_into_place()
    {
        // (A server refusing fsync does not offer it: the commit then goes without, as for any server without it.)
        using var server = new SshdServer(sftpArguments: "-P close");
        await using var fs = await server.ConnectAsync();

        var error = await Assert.ThrowsAsync<RemoteFsException>(() => fs.WriteAllAsync("unclosed.bin", RandomBytes(70_000, 3)));

        Assert.Equal(RemoteErrorKind.PermissionDenied, error.Kind);
        Assert.Empty(Directory.GetFileSystemEntries(server.DataDirectory));
    }

    [SshdFact]
    public async Task A_refused_rename_leaves_neither_the_file_nor_its_temporary()
    {
        using var server = new SshdServer(sftpArguments: "-P posix-rename,rename");
        await using var fs = await server.ConnectAsync();

        var error = await Assert.ThrowsAsync<RemoteFsException>(() => fs.WriteAllAsync("unnamed.bin", RandomBytes(70_000, 4)));

        Assert.Equal(RemoteErrorKind.PermissionDenied, error.Kind);
        Assert.Empty(Directory.GetFileSystemEntries(server.DataDirectory));
    }

    [SshdFact]
    public async Task Commit_with_a_cancelled_token_sends_nothing_and_leaves_no_file()
    {
        using var server = new SshdServer();
        await using var fs = await server.ConnectAsync();
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await using (var stream = await fs.OpenWriteAsync("cancelled.bin"))
        {
            await stream.WriteAsync(RandomBytes(1000, 5));
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => stream.CommitAsync(cancelled.Token));
        }

        Assert.Empty(Directory.GetFileSystemEntries(server.DataDirectory));
        await fs.WriteAllAsync("after.bin", [1, 2, 3]); // the channel is still in step
        Assert.Equal([1, 2, 3], File.ReadAllBytes(server.Local("after.bin")));
    }

    [SshdFact]
    public async Task Requests_sent_in_one_write_are_each_answered_in_order()
    {
        using var server = new SshdServer();
        File.WriteAllText(server.Local("present.txt"), "here");
        var channel = await SftpChannel.StartAsync(new SshCommand(server.Endpoint(), server.Options(), SftpSettings.Parse(server.Options().Settings)),
            TimeSpan.FromSeconds(30), TimeProvider.System, CancellationToken.None);
        await using var _ = channel;

        using var present = SftpRequests.StatRequest(server.Local("present.txt"), followLinks: true);
        using var missing = SftpRequests.StatRequest(server.Local("missing.txt"), followLinks: true);
        using var open = SftpRequests.OpenRequest(server.Local("present.txt"), SftpOpenFlags.Read);
        var sent = channel.Send([present, missing, open], CancellationToken.None);
        using var openAnswer = await sent[2].Task;
        var handle = openAnswer.ReadHandle();
        await channel.CloseAsync(handle, CancellationToken.None);

        Assert.True(sent[0].Task.IsCompleted && sent[1].Task.IsCompleted, "an earlier request was not answered before a later one");
        using (var answer = await sent[0].Task) Assert.Equal(4, SftpRequests.ReadStat(answer)!.Value.Size);
        using (var answer = await sent[1].Task) Assert.Null(SftpRequests.ReadStat(answer));
        Assert.Equal(0, channel.Outstanding);
    }
}
