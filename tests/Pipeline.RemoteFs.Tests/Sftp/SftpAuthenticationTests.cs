using System.Net;
using System.Text;
using Pipeline.RemoteFs.Sftp;

namespace Pipeline.RemoteFs.Tests.Sftp;

/// <summary>Key, passphrase and password logins; refused credentials; secrets kept off command lines and environments.</summary>
[Collection("sshd")]
public sealed class SftpAuthenticationTests(SshdServer server)
{
    [SshdFact]
    public async Task Key_file_logs_in()
    {
        await using var fs = await server.ConnectAsync();

        Assert.NotNull(await fs.StatAsync("."));
    }

    [SshdFact]
    public async Task Passphrase_protected_key_logs_in_with_the_passphrase_from_the_credential()
    {
        var options = server.Options() with { KeyFile = server.PassphraseKey, Credential = new NetworkCredential("", SshdServer.Passphrase) };

        await using var fs = await server.ConnectAsync(options);

        Assert.NotNull(await fs.StatAsync("."));
    }

    [SshdFact]
    public async Task Passphrase_protected_key_without_its_passphrase_is_an_authentication_error()
    {
        var options = server.Options() with { KeyFile = server.PassphraseKey, Credential = new NetworkCredential("", "wrong passphrase") };

        var error = await Assert.ThrowsAsync<RemoteFsException>(() => server.ConnectAsync(options));

        Assert.Equal(RemoteErrorKind.Authentication, error.Kind);
        Assert.DoesNotContain("wrong passphrase", error.ToString());
    }

    [SshdFact]
    public async Task Key_the_server_does_not_know_is_an_authentication_error()
    {
        var options = server.Options() with { KeyFile = server.StrangerKey };

        var error = await Assert.ThrowsAsync<RemoteFsException>(() => server.ConnectAsync(options));

        Assert.Equal(RemoteErrorKind.Authentication, error.Kind);
        Assert.Contains("Permission denied", error.Message);
        Assert.Contains("127.0.0.1", error.Message);
        Assert.Empty(SshdServer.ChildSshProcesses());
    }

    [SshdPasswordFact]
    public async Task Password_from_the_credential_logs_in()
    {
        var options = server.Options() with { KeyFile = null, Credential = new NetworkCredential(SshdServer.PasswordUser, SshdServer.PasswordUserPassword) };

        await using var fs = await server.ConnectAsync(options, server.Endpoint(SshdServer.PasswordUser));
        await fs.WriteAllAsync("by-password.txt", Encoding.UTF8.GetBytes("hi"));

        Assert.Equal("hi", File.ReadAllText(server.Local("by-password.txt")));
    }

    [SshdPasswordFact]
    public async Task Wrong_password_is_an_authentication_error_that_does_not_show_it()
    {
        var options = server.Options() with { KeyFile = null, Credential = new NetworkCredential(SshdServer.PasswordUser, "not-the-password") };

        var error = await Assert.ThrowsAsync<RemoteFsException>(() => server.ConnectAsync(options, server.Endpoint(SshdServer.PasswordUser)));

        Assert.Equal(RemoteErrorKind.Authentication, error.Kind);
        Assert.DoesNotContain("not-the-password", error.ToString());
    }

    [SshdPasswordFact]
    public async Task Password_reaches_ssh_neither_on_its_command_line_nor_in_its_environment_and_its_file_is_gone()
    {
        var options = server.Options() with { KeyFile = null, Credential = new NetworkCredential(SshdServer.PasswordUser, SshdServer.PasswordUserPassword) };
        var before = Directory.GetDirectories(Path.GetTempPath(), "pipeline-ssh-*");

        await using var fs = await server.ConnectAsync(options, server.Endpoint(SshdServer.PasswordUser));

        var pid = Assert.Single(fs.ProcessIds);
        var commandLine = File.ReadAllText($"/proc/{pid}/cmdline");
        var environment = File.ReadAllText($"/proc/{pid}/environ");
        Assert.DoesNotContain(SshdServer.PasswordUserPassword, commandLine);
        Assert.DoesNotContain(SshdServer.PasswordUserPassword, environment);
        Assert.Contains("SSH_ASKPASS_REQUIRE=force", environment);
        Assert.Equal(before, Directory.GetDirectories(Path.GetTempPath(), "pipeline-ssh-*"));
    }

    [SshdPasswordFact]
    public async Task Account_without_write_access_gets_PermissionDenied()
    {
        var locked = server.Local("root-only-" + Guid.NewGuid().ToString("N")[..6]);
        Directory.CreateDirectory(locked);
        SshdServer.SetMode(locked, 0x1ED); // 0755, owned by root
        // The authorized_keys file serves every account of this sshd, so the test account can log in with the key too.
        await using var fs = await server.ConnectAsync(endpoint: server.Endpoint(SshdServer.PasswordUser));

        var error = await Assert.ThrowsAsync<RemoteFsException>(() => fs.WriteAllAsync(locked + "/x.txt", [1]));

        Assert.Equal(RemoteErrorKind.PermissionDenied, error.Kind);
        Assert.Contains("x.txt", error.Message);
    }

    [Fact]
    public async Task Missing_ssh_client_is_a_clear_NotSupported_error()
    {
        var options = new RemoteConnectionOptions { Settings = new Dictionary<string, string> { ["ssh_path"] = "/nonexistent/ssh" } };

        var error = await Assert.ThrowsAsync<RemoteFsException>(() =>
            new SftpFileSystemProvider().ConnectAsync(RemoteEndpoint.Parse("sftp://u@127.0.0.1:1/"), options));

        Assert.Equal(RemoteErrorKind.NotSupported, error.Kind);
        Assert.Contains("ssh_path", error.Message);
    }

    [Theory]
    [InlineData("max_connections", "0", "max_connections")]
    [InlineData("fsync", "perhaps", "fsync")]
    [InlineData("ssh_options", "-oProxyCommand=x", "ssh_options")]
    [InlineData("colour", "blue", "colour")]
    public async Task Invalid_setting_fails_before_anything_starts_naming_the_setting(string key, string value, string named)
    {
        var options = new RemoteConnectionOptions { Settings = new Dictionary<string, string> { [key] = value } };

        var error = await Assert.ThrowsAsync<ArgumentException>(() =>
            new SftpFileSystemProvider().ConnectAsync(RemoteEndpoint.Parse("sftp://u@127.0.0.1:1/"), options));

        Assert.Contains($"'{named}'", error.Message);
    }

    [Fact]
    public void Secrets_never_appear_in_ssh_arguments()
    {
        var options = new RemoteConnectionOptions { Credential = new NetworkCredential("etl", "s3cret-pw") };
        var command = new SshCommand(RemoteEndpoint.Parse("sftp://etl@files.example.com:2222/out"), options, SftpSettings.Parse(options.Settings));

        var arguments = command.BuildArguments(null);

        Assert.DoesNotContain(arguments, a => a.Contains("s3cret-pw"));
        Assert.Equal(["-s", "--", "files.example.com", "sftp"], arguments.TakeLast(4));
        Assert.Contains("BatchMode=no", arguments);
        Assert.Contains("PreferredAuthentications=password,keyboard-interactive", arguments);
    }
}
