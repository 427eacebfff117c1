using Pipeline.RemoteFs.Sftp;

namespace Pipeline.RemoteFs.Tests.Sftp;

/// <summary>The SFTP provider's settings: defaults, values, and errors that name the setting.</summary>
public sealed class SftpSettingsTests
{
    private static SftpSettings Parse(params (string Key, string Value)[] pairs) =>
        SftpSettings.Parse(pairs.ToDictionary(p => p.Key, p => p.Value, StringComparer.OrdinalIgnoreCase));

    [Fact]
    public void Defaults_keep_eight_small_transfers_on_a_connection_and_open_at_most_four()
    {
        var settings = Parse();

        Assert.Equal(8, settings.TransfersPerConnection);
        Assert.Equal(4, settings.MaxConnections);
        Assert.True(settings.Fsync);
    }

    [Fact]
    public void Transfers_per_connection_is_read_whatever_the_key_case()
    {
        Assert.Equal(2, Parse(("Transfers_Per_Connection", "2")).TransfersPerConnection);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("many")]
    [InlineData("1025")]
    public void An_invalid_transfers_per_connection_fails_with_the_setting_name_and_the_value(string value)
    {
        var error = Assert.Throws<ArgumentException>(() => Parse(("transfers_per_connection", value)));

        Assert.Contains("'transfers_per_connection'", error.Message);
        Assert.Contains($"'{value}'", error.Message);
    }

    [Fact]
    public void An_unknown_setting_fails_and_lists_the_known_ones()
    {
        var error = Assert.Throws<ArgumentException>(() => Parse(("transfers_per_connexion", "2")));

        Assert.Contains("'transfers_per_connexion'", error.Message);
        Assert.Contains("transfers_per_connection", error.Message);
    }
}
