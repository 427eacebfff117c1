using System.Collections.Concurrent;
using System.Security.Cryptography;
using Pipeline.RemoteFs.Ftp;
using static Pipeline.RemoteFs.Tests.Ftp.FtpOperationsTests;

namespace Pipeline.RemoteFs.Tests.Ftp;

/// <summary>Certificate trust and TLS session reuse against a real vsftpd with a self-signed certificate.</summary>
public sealed class FtpTlsTests
{
    [VsftpdFact]
    public async Task Unpinned_self_signed_certificate_is_refused_with_the_thumbprint_to_pin()
    {
        await using var server = await VsftpdServer.StartAsync(VsftpdTls.Implicit);
        await using var provider = new FtpFileSystemProvider();
        var ex = await AssertKind(RemoteErrorKind.HostVerification, () => provider.ConnectAsync(server.Endpoint(), server.Options(pin: false)));
        Assert.Contains(FtpCertificatePolicy.Format(VsftpdServer.Thumbprint), ex.Message);
        Assert.Contains("not trusted", ex.Message);
    }

    [VsftpdFact]
    public async Task Explicit_tls_refuses_an_unpinned_self_signed_certificate_before_sending_the_password()
    {
        await using var server = await VsftpdServer.StartAsync(VsftpdTls.Explicit);
        var trace = new ConcurrentQueue<string>();
        await using var provider = new FtpFileSystemProvider(null, trace.Enqueue);
        await AssertKind(RemoteErrorKind.HostVerification, () => provider.ConnectAsync(server.Endpoint(), server.Options(pin: false)));
        Assert.Contains("> AUTH TLS", trace);
        Assert.DoesNotContain(trace, l => l.StartsWith("> USER", StringComparison.Ordinal) || l.StartsWith("> PASS", StringComparison.Ordinal));
    }

    [VsftpdFact]
    public async Task A_different_pinned_thumbprint_is_refused()
    {
        await using var server = await VsftpdServer.StartAsync(VsftpdTls.Implicit);
        await using var provider = new FtpFileSystemProvider();
        var options = server.Options() with { PinnedFingerprint = Convert.ToHexString(SHA256.HashData("another certificate"u8)) };
        var ex = await AssertKind(RemoteErrorKind.HostVerification, () => provider.ConnectAsync(server.Endpoint(), options));
        Assert.Contains("not the pinned one", ex.Message);
    }

    [VsftpdFact]
    public async Task Pinned_thumbprint_is_accepted_with_colons_and_lower_case()
    {
        await using var server = await VsftpdServer.StartAsync(VsftpdTls.Implicit);
        await using var provider = new FtpFileSystemProvider();
        var options = server.Options() with { PinnedFingerprint = FtpCertificatePolicy.Format(VsftpdServer.Thumbprint).ToLowerInvariant() };
        await using var fs = await provider.ConnectAsync(server.Endpoint(), options);
        await fs.WriteAllAsync("/a.txt", [1, 2, 3]);
        Assert.Equal([1, 2, 3], await fs.ReadAllAsync("/a.txt"));
    }

    [VsftpdFact]
    public async Task Ftp_scheme_with_the_tls_setting_explicit_uses_auth_tls()
    {
        await using var server = await VsftpdServer.StartAsync(VsftpdTls.Explicit);
        var trace = new ConcurrentQueue<string>();
        await using var provider = new FtpFileSystemProvider(null, trace.Enqueue);
        var options = server.Options();
        options = options with { Settings = new Dictionary<string, string>(options.Settings) { ["tls"] = "explicit" } };
        await using var fs = await provider.ConnectAsync(RemoteEndpoint.Parse($"ftp://{VsftpdServer.User}@localhost:{server.Port}/"), options);
        await fs.WriteAllAsync("/e.txt", [5]);
        Assert.Equal([5], await fs.ReadAllAsync("/e.txt"));
        Assert.Contains("> AUTH TLS", trace);
        Assert.Contains("> PROT P", trace);
    }

    [VsftpdFact]
    public async Task Concurrent_transfers_on_pooled_connections_all_reuse_a_tls_session()
    {
        // require_ssl_reuse=YES: every data connection of every pooled control connection must resume a session.
        await using var server = await VsftpdServer.StartAsync(VsftpdTls.Explicit, requireSslReuse: true);
        await using var provider = new FtpFileSystemProvider();
        await using var fs = await provider.ConnectAsync(server.Endpoint(), server.Options());
        var content = RandomNumberGenerator.GetBytes(256 * 1024);
        await Task.WhenAll(Enumerable.Range(0, 6).Select(i => fs.WriteAllAsync($"/p/{i}.bin", content)));
        var downloads = await Task.WhenAll(Enumerable.Range(0, 6).Select(i => fs.ReadAllAsync($"/p/{i}.bin")));
        Assert.All(downloads, d => Assert.Equal(content, d));
        Assert.Contains("reused", server.ReadLog());
        Assert.DoesNotContain("No SSL session reuse", server.ReadLog());
    }

    [VsftpdFact]
    public async Task Tls13_cannot_satisfy_a_server_that_requires_session_reuse_and_says_so()
    {
        // Documents why TLS 1.2 is the default: with TLS 1.3 the second data connection finds no session to resume.
        await using var server = await VsftpdServer.StartAsync(VsftpdTls.Explicit, requireSslReuse: true);
        await using var provider = new FtpFileSystemProvider();
        var options = server.Options() with { Settings = new Dictionary<string, string> { ["tls_protocols"] = "tls13" }, MaxAttempts = 1 };
        await using var fs = await provider.ConnectAsync(server.Endpoint(), options);
        var ex = await Assert.ThrowsAsync<RemoteFsException>(async () =>
        {
            for (var i = 0; i < 3; i++) await fs.WriteAllAsync($"/t{i}.bin", [1]);
        });
        Assert.Contains("522", ex.Message);
    }

    [VsftpdFact]
    public async Task Two_servers_under_one_host_name_keep_their_tls_sessions_apart()
    {
        // .NET caches one TLS session per spelling of the host name; each server's data connections must resume its own.
        await using var a = await VsftpdServer.StartAsync(VsftpdTls.Explicit);
        await using var b = await VsftpdServer.StartAsync(VsftpdTls.Implicit);
        await using var provider = new FtpFileSystemProvider();
        await using var fsA = await provider.ConnectAsync(a.Endpoint(), a.Options());
        await using var fsB = await provider.ConnectAsync(b.Endpoint(), b.Options());
        for (var i = 0; i < 3; i++)
        {
            await fsA.WriteAllAsync($"/a{i}.bin", [1]);
            await fsB.WriteAllAsync($"/b{i}.bin", [2]);
        }
        Assert.Equal([1], await fsA.ReadAllAsync("/a2.bin"));
        Assert.Equal([2], await fsB.ReadAllAsync("/b2.bin"));
    }

    [Fact]
    public void Each_live_connection_gets_its_own_spelling_of_the_server_name()
    {
        var first = FtpTlsSessionNames.Acquire("Files.Example");
        var second = FtpTlsSessionNames.Acquire("files.example");
        Assert.NotEqual(first, second, StringComparer.Ordinal);
        Assert.Equal(first, second, StringComparer.OrdinalIgnoreCase);
        FtpTlsSessionNames.Release(first);
        Assert.Equal(first, FtpTlsSessionNames.Acquire("FILES.EXAMPLE"), StringComparer.Ordinal);
        FtpTlsSessionNames.Release(first);
        FtpTlsSessionNames.Release(second);
        Assert.Equal("10.0.0.1", FtpTlsSessionNames.Acquire("10.0.0.1"));
    }
}
