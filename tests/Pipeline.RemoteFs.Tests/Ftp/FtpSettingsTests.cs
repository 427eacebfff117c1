using System.Net;
using System.Security.Authentication;
using Pipeline.RemoteFs.Ftp;

namespace Pipeline.RemoteFs.Tests.Ftp;

public sealed class FtpSettingsTests
{
    private static FtpSettings From(string uri, Dictionary<string, string>? settings = null, string? pin = null) =>
        FtpSettings.From(RemoteEndpoint.Parse(uri), new RemoteConnectionOptions
        {
            Credential = new NetworkCredential("u", "secret-password"),
            Settings = settings ?? new Dictionary<string, string>(),
            PinnedFingerprint = pin,
        });

    [Theory]
    [InlineData("ftp://h", "None", 21)]
    [InlineData("ftps://h", "Implicit", 990)]
    [InlineData("ftpes://h", "Explicit", 21)]
    [InlineData("ftp://h?tls=explicit", "Explicit", 21)]
    [InlineData("ftps://h:2121", "Implicit", 2121)]
    public void Scheme_and_tls_setting_choose_the_tls_mode_and_default_port(string uri, string tls, int port)
    {
        var settings = From(uri);
        Assert.Equal(tls, settings.Tls.ToString());
        Assert.Equal(port, settings.Port);
    }

    [Fact]
    public void Explicit_tls_and_active_mode_come_from_options_settings()
    {
        var settings = From("ftp://h", new() { ["tls"] = "explicit", ["mode"] = "active" });
        Assert.Equal(FtpTlsMode.Explicit, settings.Tls);
        Assert.Equal(FtpDataMode.Active, settings.DataMode);
        Assert.Equal(SslProtocols.Tls12, settings.TlsProtocols);
    }

    [Theory]
    [InlineData("mode", "sideways")]
    [InlineData("tls", "maybe")]
    [InlineData("tls_protocols", "ssl3")]
    public void Invalid_setting_is_refused_with_its_name(string name, string value)
    {
        var ex = Assert.Throws<ArgumentException>(() => From("ftp://h", new() { [name] = value }));
        Assert.Contains($"{name}='{value}'", ex.Message);
    }

    [Fact]
    public void Pipelining_is_on_unless_the_setting_turns_it_off()
    {
        Assert.True(From("ftp://h").Pipelining);
        Assert.False(From("ftp://h", new() { ["pipelining"] = "false" }).Pipelining);
        Assert.False(From("ftp://h?pipelining=off").Pipelining);
        Assert.NotEqual(From("ftp://h").PoolKey, From("ftp://h?pipelining=no").PoolKey);
        var ex = Assert.Throws<ArgumentException>(() => From("ftp://h", new() { ["pipelining"] = "sometimes" }));
        Assert.Contains("pipelining='sometimes'", ex.Message);
    }

    [Fact]
    public void Plain_tls_on_the_ftps_scheme_is_a_contradiction()
    {
        var ex = Assert.Throws<ArgumentException>(() => From("ftps://h", new() { ["tls"] = "none" }));
        Assert.Contains("ftps://", ex.Message);
    }

    [Fact]
    public void Settings_never_print_the_password()
    {
        var settings = From("ftp://u@h/");
        Assert.DoesNotContain("secret-password", settings.ToString());
        Assert.DoesNotContain("secret-password", settings.PoolKey);
    }

    [Fact]
    public void Pool_key_differs_by_password()
    {
        var a = FtpSettings.From(RemoteEndpoint.Parse("ftp://h"), new RemoteConnectionOptions { Credential = new NetworkCredential("u", "one") });
        var b = FtpSettings.From(RemoteEndpoint.Parse("ftp://h"), new RemoteConnectionOptions { Credential = new NetworkCredential("u", "two") });
        Assert.NotEqual(a.PoolKey, b.PoolKey);
    }

    [Fact]
    public void Missing_user_logs_in_anonymously()
    {
        var settings = FtpSettings.From(RemoteEndpoint.Parse("ftp://h"), new RemoteConnectionOptions());
        Assert.Equal("anonymous", settings.UserName);
    }

    [Theory]
    [InlineData("ab:CD:ef:01:23:45:67:89:ab:cd:ef:01:23:45:67:89:ab:cd:ef:01:23:45:67:89:ab:cd:ef:01:23:45:67:89")]
    [InlineData("ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789")]
    [InlineData("SHA256:q83vASNFZ4mrze8BI0VniavN7wEjRWeJq83vASNFZ4k")]
    public void Pinned_thumbprint_is_accepted_as_hex_with_or_without_colons_or_as_base64(string text) =>
        Assert.Equal("ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789", FtpCertificatePolicy.NormalizeThumbprint(text));

    [Fact]
    public void Pinned_thumbprint_that_is_not_sha256_is_refused()
    {
        var ex = Assert.Throws<ArgumentException>(() => FtpCertificatePolicy.NormalizeThumbprint("AB:CD"));
        Assert.Contains("SHA-256", ex.Message);
    }
}
