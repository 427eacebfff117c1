using System.Buffers.Binary;
using Pipeline.RemoteFs.Smb;
using Pipeline.RemoteFs.Tests.Ftp;

namespace Pipeline.RemoteFs.Tests.Smb;

/// <summary>The shared session's keep-alive and the SET_INFO/QUERY_INFO commands the interface does not expose.</summary>
public sealed class SmbSessionTests
{
    [SambaFact]
    public async Task Idle_session_is_checked_with_echo_and_a_dead_one_is_replaced()
    {
        await using var server = await SambaServer.StartAsync();
        var clock = new ManualTimeProvider();
        await using var provider = new SmbFileSystemProvider(clock);
        await using var fs = (SmbFileSystem)await provider.ConnectAsync(server.Endpoint(), server.Options());
        File.WriteAllText(Path.Combine(server.DataRoot, "f.txt"), "f");
        Assert.NotNull(await fs.StatAsync("/f.txt"));

        clock.Advance(TimeSpan.FromSeconds(31));
        Assert.NotNull(await fs.StatAsync("/f.txt")); // ECHO answered: the same session goes on
        Assert.Equal(1, fs.Pool.Opened);

        clock.Advance(TimeSpan.FromSeconds(31));
        server.KillSessions();
        Assert.NotNull(await fs.StatAsync("/f.txt")); // ECHO failed: a new session
        Assert.Equal(2, fs.Pool.Opened);
    }

    [SambaTheory]
    [InlineData("SMB2_02")]
    [InlineData("SMB3_11")]
    public async Task End_of_file_is_set_and_queried_with_set_info_and_query_info(string protocol)
    {
        await using var server = await SambaServer.StartAsync(protocol, protocol);
        await using var provider = new SmbFileSystemProvider();
        await using var fs = (SmbFileSystem)await provider.ConnectAsync(server.Endpoint(), server.Options());
        var c = await fs.Pool.GetAsync(default);
        var handle = await c.CreateAsync("/sized.bin", SmbAccess.Read | SmbAccess.Write, SmbAccess.Create, SmbAccess.NonDirectoryFile, default);
        await handle.SetLengthAsync(5_000_000_123, default);
        var standard = await handle.QueryInfoAsync(5, 24, default); // FileStandardInformation
        Assert.Equal(5_000_000_123, BinaryPrimitives.ReadInt64LittleEndian(standard.AsSpan(8)));
        await handle.CloseAsync(default);
        Assert.Equal(5_000_000_123, new FileInfo(Path.Combine(server.DataRoot, "sized.bin")).Length);
        var exists = await Assert.ThrowsAsync<SmbStatusException>(() => c.CreateAsync("/sized.bin", SmbAccess.Read, SmbAccess.Create, 0, default));
        Assert.Equal(SmbStatus.ObjectNameCollision, exists.Status);
        Assert.Equal(RemoteErrorKind.Conflict, SmbStatus.Kind(exists.Status));
    }
}
