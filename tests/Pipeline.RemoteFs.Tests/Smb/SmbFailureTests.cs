using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Pipeline.RemoteFs.Smb;

namespace Pipeline.RemoteFs.Tests.Smb;

/// <summary>Refused credentials and shares, dropped connections, cancellation and broken responses.</summary>
public sealed class SmbFailureTests
{
    [SambaFact]
    public async Task Wrong_password_is_an_authentication_error_without_the_password_in_its_message()
    {
        await using var server = await SambaServer.StartAsync();
        await using var provider = new SmbFileSystemProvider();
        const string wrong = "not-the-password-42";
        var ex = await Assert.ThrowsAsync<RemoteFsException>(() => provider.ConnectAsync(server.Endpoint(), server.Options(password: wrong)));
        Assert.Equal(RemoteErrorKind.Authentication, ex.Kind);
        Assert.Contains("STATUS_LOGON_FAILURE", ex.Message);
        Assert.DoesNotContain(wrong, ex.ToString());
        Assert.False(ex.IsTransient);
    }

    [SambaFact]
    public async Task Missing_share_is_not_found()
    {
        await using var server = await SambaServer.StartAsync();
        await using var provider = new SmbFileSystemProvider();
        var ex = await Assert.ThrowsAsync<RemoteFsException>(() => provider.ConnectAsync(server.Endpoint("nosuchshare"), server.Options()));
        Assert.Equal(RemoteErrorKind.NotFound, ex.Kind);
        Assert.Contains("STATUS_BAD_NETWORK_NAME", ex.Message);
    }

    [Fact]
    public async Task Guest_is_refused_unless_asked_and_a_URI_without_a_share_is_refused()
    {
        await using var provider = new SmbFileSystemProvider();
        var guest = await Assert.ThrowsAsync<ArgumentException>(() => provider.ConnectAsync(RemoteEndpoint.Parse("smb://127.0.0.1:1/share"), new RemoteConnectionOptions()));
        Assert.Contains("guest=true", guest.Message);
        var noShare = await Assert.ThrowsAsync<ArgumentException>(() => provider.ConnectAsync(RemoteEndpoint.Parse("smb://u@127.0.0.1:1/"), new RemoteConnectionOptions()));
        Assert.Contains("no share", noShare.Message);
        var dialect = Assert.Throws<ArgumentException>(() => SmbSettings.From(RemoteEndpoint.Parse("smb://u@h/s?max_dialect=1.0"), new RemoteConnectionOptions()));
        Assert.Equal("max_dialect", dialect.ParamName);
    }

    [Fact]
    public void Background_flushes_come_every_64_MiB_by_default_can_be_set_or_turned_off_and_bad_values_are_named()
    {
        Assert.Equal(64 * 1024 * 1024, SmbSettings.From(RemoteEndpoint.Parse("smb://u@h/s"), new RemoteConnectionOptions()).FlushEvery);
        Assert.Equal(0, SmbSettings.From(RemoteEndpoint.Parse("smb://u@h/s?flush_every=0"), new RemoteConnectionOptions()).FlushEvery);
        var set = new RemoteConnectionOptions { Settings = new Dictionary<string, string> { ["flush_every"] = "16777216" } };
        Assert.Equal(16 * 1024 * 1024, SmbSettings.From(RemoteEndpoint.Parse("smb://u@h/s?flush_every=0"), set).FlushEvery);
        foreach (var bad in new[] { "-1", "64MB", "4294967296" })
        {
            var ex = Assert.Throws<ArgumentException>(() => SmbSettings.From(RemoteEndpoint.Parse($"smb://u@h/s?flush_every={bad}"), new RemoteConnectionOptions()));
            Assert.Equal("flush_every", ex.ParamName);
            Assert.Contains($"flush_every='{bad}'", ex.Message);
        }
    }

    [Fact]
    public void Domain_user_port_share_and_path_are_read_from_the_URI()
    {
        var settings = SmbSettings.From(RemoteEndpoint.Parse("smb://CORP;alice@files.example.com:1445/Data/in/today"), new RemoteConnectionOptions());
        Assert.Equal(("CORP", "alice", "files.example.com", 1445, "Data", "/in/today"),
            (settings.Domain, settings.UserName, settings.Host, settings.Port, settings.Share, settings.BasePath));
        var backslash = SmbSettings.From(RemoteEndpoint.Parse("smb://h/s"), new RemoteConnectionOptions { Credential = new NetworkCredential(@"CORP\bob", "pw") });
        Assert.Equal(("CORP", "bob", 445), (backslash.Domain, backslash.UserName, backslash.Port));
    }

    [SambaFact]
    public async Task Server_killed_mid_download_is_transient_and_the_download_resumes_from_its_offset()
    {
        await using var server = await SambaServer.StartAsync();
        await using var provider = new SmbFileSystemProvider();
        var content = RandomNumberGenerator.GetBytes(48 * 1024 * 1024);
        await File.WriteAllBytesAsync(Path.Combine(server.DataRoot, "big.bin"), content);
        await using var fs = await provider.ConnectAsync(server.Endpoint(), server.Options());
        var received = new MemoryStream();
        var buffer = new byte[64 * 1024];
        var ex = await Assert.ThrowsAsync<RemoteFsException>(async () =>
        {
            await using var stream = await fs.OpenReadAsync("/big.bin");
            int read;
            var killed = false;
            while ((read = await stream.ReadAsync(buffer)) > 0)
            {
                received.Write(buffer, 0, read);
                if (received.Length >= 1024 * 1024 && !killed)
                {
                    server.Kill();
                    killed = true;
                }
            }
        });
        Assert.True(ex.IsTransient, $"{ex.Kind}: {ex.Message}");
        Assert.True(received.Length < content.Length);

        await server.StartProcessAsync();
        await using (var rest = await fs.OpenReadAsync("/big.bin", offset: received.Length))
            await rest.CopyToAsync(received);
        Assert.Equal(content, received.ToArray());
    }

    [SambaFact]
    public async Task Session_processes_killed_mid_download_are_replaced_and_the_read_continues()
    {
        await using var server = await SambaServer.StartAsync();
        await using var provider = new SmbFileSystemProvider();
        var content = RandomNumberGenerator.GetBytes(32 * 1024 * 1024);
        await File.WriteAllBytesAsync(Path.Combine(server.DataRoot, "big.bin"), content);
        await using var fs = await provider.ConnectAsync(server.Endpoint(), server.Options());
        var received = new MemoryStream();
        await using (var stream = await fs.OpenReadAsync("/big.bin"))
        {
            var buffer = new byte[64 * 1024];
            int read;
            var killed = false;
            while ((read = await stream.ReadAsync(buffer)) > 0)
            {
                received.Write(buffer, 0, read);
                if (received.Length >= 2 * 1024 * 1024 && !killed)
                {
                    server.KillSessions();
                    killed = true;
                }
            }
        }
        Assert.Equal(content, received.ToArray());
        Assert.Equal(2, ((SmbFileSystem)fs).Pool.Opened);
        // Later operations use the new session too.
        Assert.NotNull(await fs.StatAsync("/big.bin"));
    }

    [SambaFact]
    public async Task Server_killed_mid_upload_is_transient_and_a_resumable_upload_continues_where_it_stopped()
    {
        await using var server = await SambaServer.StartAsync();
        await using var provider = new SmbFileSystemProvider();
        await using var fs = await provider.ConnectAsync(server.Endpoint(), server.Options());
        var content = RandomNumberGenerator.GetBytes(24 * 1024 * 1024);

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
        Assert.False(File.Exists(Path.Combine(server.DataRoot, "up.bin")));

        await server.StartProcessAsync();
        await using (var resumed = await fs.OpenWriteAsync("/up.bin", new WriteOptions { Resume = true }))
        {
            Assert.InRange(resumed.Position, 1, content.Length - 1);
            await resumed.WriteAsync(content.AsMemory((int)resumed.Position));
            await resumed.CommitAsync();
        }
        Assert.Equal(content, File.ReadAllBytes(Path.Combine(server.DataRoot, "up.bin")));
        Assert.Empty(Directory.GetFiles(server.DataRoot, "*.partial"));
    }

    [SambaTheory]
    [InlineData("67108864")] // the default: no background FLUSH yet
    [InlineData("1048576")]  // background FLUSHes in flight when the upload is cancelled
    public async Task Cancelled_upload_leaves_no_file_under_the_final_name_nor_a_temporary(string flushEvery)
    {
        await using var server = await SambaServer.StartAsync();
        await using var provider = new SmbFileSystemProvider();
        await using var fs = await provider.ConnectAsync(server.Endpoint(), server.Options(settings: new Dictionary<string, string> { ["flush_every"] = flushEvery }));
        using var cancel = new CancellationTokenSource();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await using var stream = await fs.OpenWriteAsync("/c.bin", cancellationToken: cancel.Token);
            var chunk = new byte[1024 * 1024];
            for (var i = 0; i < 64; i++)
            {
                if (i == 3) cancel.Cancel();
                await stream.WriteAsync(chunk, cancel.Token);
            }
            await stream.CommitAsync(cancel.Token);
        });
        Assert.Empty(Directory.GetFileSystemEntries(server.DataRoot));
        // The session is still usable after the cancellation.
        await fs.WriteAllAsync("/after.txt", "ok"u8.ToArray());
        Assert.Equal("ok", File.ReadAllText(Path.Combine(server.DataRoot, "after.txt")));
    }

    [SambaFact]
    public async Task Cancelled_download_throws_and_the_session_stays_usable()
    {
        await using var server = await SambaServer.StartAsync();
        await File.WriteAllBytesAsync(Path.Combine(server.DataRoot, "f.bin"), new byte[8 * 1024 * 1024]);
        await using var provider = new SmbFileSystemProvider();
        await using var fs = await provider.ConnectAsync(server.Endpoint(), server.Options());
        using var cancel = new CancellationTokenSource();
        cancel.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => fs.OpenReadAsync("/f.bin", cancellationToken: cancel.Token));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => fs.StatAsync("/f.bin", cancel.Token));
        Assert.Equal(8 * 1024 * 1024, (await fs.StatAsync("/f.bin"))!.Length);
    }

    [SambaFact]
    public async Task Upload_disposed_without_commit_deletes_its_temporary_file()
    {
        await using var server = await SambaServer.StartAsync();
        await using var provider = new SmbFileSystemProvider();
        await using var fs = await provider.ConnectAsync(server.Endpoint(), server.Options());
        await using (var stream = await fs.OpenWriteAsync("/d/never.bin"))
        {
            await stream.WriteAsync(new byte[3 * 1024 * 1024]);
            Assert.Single(Directory.GetFiles(Path.Combine(server.DataRoot, "d")));
        }
        Assert.Empty(Directory.GetFiles(Path.Combine(server.DataRoot, "d")));
    }

    [SambaFact]
    public async Task File_created_by_someone_else_before_commit_is_a_conflict_and_the_temporary_is_removed()
    {
        await using var server = await SambaServer.StartAsync();
        await using var provider = new SmbFileSystemProvider();
        await using var fs = await provider.ConnectAsync(server.Endpoint(), server.Options());
        var ex = await Assert.ThrowsAsync<RemoteFsException>(async () =>
        {
            await using var stream = await fs.OpenWriteAsync("/race.txt", new WriteOptions { Overwrite = false });
            await stream.WriteAsync("mine"u8.ToArray());
            File.WriteAllText(Path.Combine(server.DataRoot, "race.txt"), "theirs");
            await stream.CommitAsync();
        });
        Assert.Equal(RemoteErrorKind.Conflict, ex.Kind);
        Assert.Equal("theirs", File.ReadAllText(Path.Combine(server.DataRoot, "race.txt")));
        Assert.Equal(["race.txt"], Directory.GetFiles(server.DataRoot).Select(Path.GetFileName));
    }

    [Fact]
    public async Task Truncated_negotiate_response_is_a_protocol_error()
    {
        // A fake server (no real server can be made to send a broken response): it answers NEGOTIATE with a header
        // and two bytes of body.
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var fake = Task.Run(async () =>
        {
            using var client = await listener.AcceptTcpClientAsync();
            var stream = client.GetStream();
            var length = new byte[4];
            await stream.ReadExactlyAsync(length);
            await stream.ReadExactlyAsync(new byte[BinaryPrimitives.ReadInt32BigEndian(length)]);
            var reply = new byte[4 + 64 + 2];
            BinaryPrimitives.WriteInt32BigEndian(reply, 66);
            reply[4] = 0xFE; reply[5] = (byte)'S'; reply[6] = (byte)'M'; reply[7] = (byte)'B';
            reply[8] = 64;
            reply[20] = 1; // server-to-client
            reply[18] = 1; // one credit
            await stream.WriteAsync(reply);
            await Task.Delay(2000);
        });
        await using var provider = new SmbFileSystemProvider();
        var ex = await Assert.ThrowsAsync<RemoteFsException>(() => provider.ConnectAsync(
            RemoteEndpoint.Parse($"smb://u@127.0.0.1:{port}/s"), new RemoteConnectionOptions { Credential = new NetworkCredential("u", "p") }));
        Assert.Equal(RemoteErrorKind.Protocol, ex.Kind);
        Assert.Contains("truncated", ex.Message);
        await fake;
    }

    [Fact]
    public async Task Server_that_never_answers_times_out()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        await using var provider = new SmbFileSystemProvider();
        var ex = await Assert.ThrowsAsync<RemoteFsException>(() => provider.ConnectAsync(
            RemoteEndpoint.Parse($"smb://u@127.0.0.1:{port}/s"),
            new RemoteConnectionOptions { Credential = new NetworkCredential("u", "p"), ConnectTimeout = TimeSpan.FromMilliseconds(500) }));
        Assert.Equal(RemoteErrorKind.Timeout, ex.Kind);
    }
}
