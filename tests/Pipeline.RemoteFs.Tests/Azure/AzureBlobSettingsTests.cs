using System.Net;
using Pipeline.RemoteFs.Azure;

namespace Pipeline.RemoteFs.Tests.Azure;

public sealed class AzureBlobSettingsTests
{
    private static RemoteConnectionOptions With(params (string, string)[] settings) => new()
    {
        Settings = settings.ToDictionary(s => s.Item1, s => s.Item2, StringComparer.OrdinalIgnoreCase),
    };

    [Fact]
    public void Development_storage_connection_string_points_at_azurite_with_the_published_key()
    {
        var settings = AzureBlobSettings.From(RemoteEndpoint.Parse("az://devstoreaccount1/c/base"), With(("connection_string", "UseDevelopmentStorage=true")));
        Assert.Equal("http://127.0.0.1:10000/devstoreaccount1", settings.ServiceUri.AbsoluteUri.TrimEnd('/'));
        Assert.Equal("c", settings.Container);
        Assert.Equal("/base", settings.BasePath);
        Assert.NotNull(settings.SharedKey);
    }

    [Fact]
    public void Cloud_connection_string_builds_the_blob_endpoint_from_protocol_account_and_suffix()
    {
        var settings = AzureBlobSettings.From(RemoteEndpoint.Parse("az://acct/c"),
            With(("connection_string", "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=AAAA;EndpointSuffix=core.chinacloudapi.cn")));
        Assert.Equal("https://acct.blob.core.chinacloudapi.cn/", settings.ServiceUri.AbsoluteUri);
    }

    [Fact]
    public void Connection_string_for_another_account_is_refused_without_printing_the_key()
    {
        var ex = Assert.Throws<ArgumentException>(() => AzureBlobSettings.From(RemoteEndpoint.Parse("az://acct/c"),
            With(("connection_string", "AccountName=other;AccountKey=c2VjcmV0LWtleQ=="))));
        Assert.Contains("other", ex.Message);
        Assert.DoesNotContain("c2VjcmV0LWtleQ", ex.Message);
    }

    [Fact]
    public void Credential_password_is_the_account_key_when_no_setting_names_one()
    {
        var settings = AzureBlobSettings.From(RemoteEndpoint.Parse("az://acct/c"), new RemoteConnectionOptions { Credential = new NetworkCredential("acct", "AAAA") });
        Assert.NotNull(settings.SharedKey);
    }

    [Fact]
    public void Missing_credential_and_container_are_reported_by_name()
    {
        Assert.Contains("No credential", Assert.Throws<ArgumentException>(() => AzureBlobSettings.From(RemoteEndpoint.Parse("az://acct/c"), With())).Message);
        Assert.Contains("no container", Assert.Throws<ArgumentException>(() => AzureBlobSettings.From(RemoteEndpoint.Parse("az://acct"), With(("sas", "sig=x")))).Message);
        Assert.Contains("block_size", Assert.Throws<ArgumentException>(() => AzureBlobSettings.From(RemoteEndpoint.Parse("az://acct/c"), With(("sas", "sig=x"), ("block_size", "12")))).Message);
    }

    [Fact]
    public void Sas_in_the_uri_is_used_and_never_printed()
    {
        var endpoint = RemoteEndpoint.Parse("az://acct/c?sv=2021-12-02&sp=rl&sig=SECRETSIG");
        var settings = AzureBlobSettings.From(endpoint, With());
        Assert.Contains("sig=SECRETSIG", settings.Sas);
        Assert.DoesNotContain("SECRETSIG", endpoint.ToString());
    }
}
