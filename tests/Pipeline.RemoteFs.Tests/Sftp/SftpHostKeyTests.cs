namespace Pipeline.RemoteFs.Tests.Sftp;

/// <summary>Host key policies: Strict, AcceptNew and a pinned fingerprint; unknown and changed keys.</summary>
[Collection("sshd")]
public sealed class SftpHostKeyTests(SshdServer server)
{
    private string EmptyKnownHosts()
    {
        var path = Path.Combine(server.Root, $"known_hosts-{Guid.NewGuid():N}");
        File.WriteAllText(path, "");
        return path;
    }

    /// <summary>A known_hosts that records another key for this server, as after a key change.</summary>
    private string KnownHostsWithAnotherKey()
    {
        var path = EmptyKnownHosts();
        File.WriteAllText(path, $"[127.0.0.1]:{server.Port} {File.ReadAllText(server.StrangerKey + ".pub").Trim()}\n");
        return path;
    }

    [SshdFact]
    public async Task Unknown_host_key_under_Strict_is_refused_with_the_fingerprint_to_pin()
    {
        var knownHosts = EmptyKnownHosts();

        var error = await Assert.ThrowsAsync<RemoteFsException>(() => server.ConnectAsync(server.Options(knownHosts)));

        Assert.Equal(RemoteErrorKind.HostVerification, error.Kind);
        Assert.Contains("not known", error.Message);
        Assert.Contains(server.HostKeyFingerprint, error.Message);
        Assert.Equal("", File.ReadAllText(knownHosts));
    }

    [SshdFact]
    public async Task AcceptNew_trusts_an_unknown_key_and_records_it()
    {
        var knownHosts = EmptyKnownHosts();
        var options = server.Options(knownHosts) with { HostKeyPolicy = HostKeyPolicy.AcceptNew };

        await using (var fs = await server.ConnectAsync(options))
            Assert.NotNull(await fs.StatAsync("."));

        Assert.Contains($"[127.0.0.1]:{server.Port}", SshdServer.KeyGen("-F", $"[127.0.0.1]:{server.Port}", "-f", knownHosts));
        await using var strict = await server.ConnectAsync(server.Options(knownHosts));
        Assert.NotNull(await strict.StatAsync("."));
    }

    [SshdFact]
    public async Task Changed_host_key_is_refused_under_Strict_and_AcceptNew()
    {
        foreach (var policy in new[] { HostKeyPolicy.Strict, HostKeyPolicy.AcceptNew })
        {
            var knownHosts = KnownHostsWithAnotherKey();
            var options = server.Options(knownHosts) with { HostKeyPolicy = policy };

            var error = await Assert.ThrowsAsync<RemoteFsException>(() => server.ConnectAsync(options));

            Assert.Equal(RemoteErrorKind.HostVerification, error.Kind);
            Assert.Contains("changed", error.Message);
            Assert.Contains(server.HostKeyFingerprint, error.Message);
        }
    }

    [SshdFact]
    public async Task Pinned_fingerprint_is_accepted_without_any_known_hosts_entry()
    {
        var knownHosts = KnownHostsWithAnotherKey();
        var options = server.Options(knownHosts) with { PinnedFingerprint = server.HostKeyFingerprint };

        await using var fs = await server.ConnectAsync(options);

        Assert.NotNull(await fs.StatAsync("."));
    }

    [SshdFact]
    public async Task Other_pinned_fingerprint_is_refused_naming_the_key_presented()
    {
        var other = SshdServer.KeyGen("-l", "-E", "sha256", "-f", server.StrangerKey + ".pub").Split(' ')[1];
        var options = server.Options() with { PinnedFingerprint = other };

        var error = await Assert.ThrowsAsync<RemoteFsException>(() => server.ConnectAsync(options));

        Assert.Equal(RemoteErrorKind.HostVerification, error.Kind);
        Assert.Contains(other, error.Message);
        Assert.Contains(server.HostKeyFingerprint, error.Message);
    }

    [Fact]
    public async Task Malformed_pin_fails_before_connecting()
    {
        var options = new RemoteConnectionOptions { PinnedFingerprint = "SHA256:'; rm -rf /" };

        var error = await Assert.ThrowsAsync<ArgumentException>(() =>
            new Pipeline.RemoteFs.Sftp.SftpFileSystemProvider().ConnectAsync(RemoteEndpoint.Parse("sftp://u@127.0.0.1:1/"), options));

        Assert.Contains("SHA256:", error.Message);
    }
}
