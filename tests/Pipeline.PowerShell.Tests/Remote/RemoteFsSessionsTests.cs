using System.Net;
using Pipeline.PowerShell.Remote;
using Pipeline.RemoteFs;
using Pipeline.RemoteFs.Local;

namespace Pipeline.PowerShell.Tests.Remote;

// The registry is process-wide, as in PowerShell: these tests run one at a time and close what they open.
[Collection("RemoteFsSessions")]
public sealed class RemoteFsSessionsTests : IDisposable
{
    private readonly List<RemoteFsSession> _opened = [];

    private RemoteFsSession Open(string uri, string? user = null)
    {
        var endpoint = RemoteEndpoint.Parse(uri);
        var options = new RemoteConnectionOptions { Credential = user is null ? null : new NetworkCredential(user, "never-printed") };
        // A real file system stands in for the connection: matching never touches it.
        var session = RemoteFsSessions.Add(endpoint, options, new LocalFileSystem(), DateTimeOffset.UnixEpoch, out var replaced);
        if (replaced is not null) _opened.Remove(replaced);
        _opened.Add(session);
        return session;
    }

    public void Dispose()
    {
        foreach (var session in _opened) RemoteFsSessions.Remove(session);
    }

    [Fact]
    public void A_URI_is_served_by_the_session_with_the_longest_matching_prefix()
    {
        var server = Open("sftp://etl@files.example.com:2222/srv");
        var data = Open("sftp://etl@files.example.com:2222/srv/data");

        Assert.Same(data, RemoteFsSessions.Serving(RemoteEndpoint.Parse("sftp://etl@files.example.com:2222/srv/data/in/a.csv")));
        Assert.Same(server, RemoteFsSessions.Serving(RemoteEndpoint.Parse("sftp://etl@files.example.com:2222/srv/database")));
        Assert.Same(data, RemoteFsSessions.Serving(RemoteEndpoint.Parse("sftp://etl@files.example.com:2222/srv/data")));
    }

    [Fact]
    public void A_URI_may_leave_out_the_user_and_port_of_its_session_but_not_contradict_them()
    {
        var session = Open("sftp://etl@files.example.com:2222/srv");

        Assert.Same(session, RemoteFsSessions.Serving(RemoteEndpoint.Parse("sftp://files.example.com/srv/x")));
        Assert.Null(RemoteFsSessions.Serving(RemoteEndpoint.Parse("sftp://other@files.example.com/srv/x")));
        Assert.Null(RemoteFsSessions.Serving(RemoteEndpoint.Parse("sftp://files.example.com:22/srv/x")));
        Assert.Null(RemoteFsSessions.Serving(RemoteEndpoint.Parse("ftp://files.example.com/srv/x")));
        Assert.Null(RemoteFsSessions.Serving(RemoteEndpoint.Parse("sftp://elsewhere.example.com/srv/x")));
    }

    [Fact]
    public void A_path_outside_every_session_still_finds_the_server_s_credentials()
    {
        var session = Open("ftp://files.example.com/in", user: "etl");

        Assert.Null(RemoteFsSessions.Serving(RemoteEndpoint.Parse("ftp://files.example.com/out/a.csv")));
        Assert.Same(session, RemoteFsSessions.ForServer(RemoteEndpoint.Parse("ftp://etl@files.example.com/out/a.csv")));
        Assert.Equal("etl", session.UserName);
    }

    [Fact]
    public void Pipeline_steps_get_the_options_of_the_session_that_serves_their_URI()
    {
        var session = Open("sftp://etl@files.example.com/srv", user: "etl");

        Assert.Same(session.Options, RemoteFsSessions.ConnectionOptionsFor(RemoteEndpoint.Parse("sftp://files.example.com/srv/out/orders.csv")));
        Assert.Same(session.Options, RemoteFsSessions.ConnectionOptionsFor(RemoteEndpoint.Parse("sftp://files.example.com/elsewhere.csv")));
        Assert.Null(RemoteFsSessions.ConnectionOptionsFor(RemoteEndpoint.Parse("sftp://other.example.com/x")).Credential);
    }

    [Fact]
    public void Connecting_to_the_same_URI_again_replaces_the_session()
    {
        var first = Open("s3://bucket/prefix");
        var second = RemoteFsSessions.Add(RemoteEndpoint.Parse("s3://bucket/prefix"), new RemoteConnectionOptions(), new LocalFileSystem(), DateTimeOffset.UnixEpoch, out var replaced);
        _opened.Add(second);

        Assert.Same(first, replaced);
        Assert.DoesNotContain(first, RemoteFsSessions.All);
        Assert.Contains(second, RemoteFsSessions.All);
        Assert.NotEqual(first.Id, second.Id);
    }

    [Fact]
    public void An_object_store_key_is_not_shown_as_a_user_name()
    {
        var session = Open("s3://bucket", user: "AKIAEXAMPLE");

        Assert.Null(session.UserName);
        Assert.Equal("s3://bucket", session.Uri);
    }

    [Fact]
    public void A_session_prints_no_secret_from_its_URI()
    {
        var session = Open("az://account/container?sig=SECRET-SIGNATURE&sv=2024-01-01");

        Assert.DoesNotContain("SECRET", session.Uri);
        Assert.DoesNotContain("SECRET", session.ToString());
    }

    [Theory]
    [InlineData("sftp://etl:hunter2@files.example.com/x")]
    [InlineData("ftp://etl:hunter2@files.example.com:21/x?x=1")]
    public void A_typed_password_is_redacted_from_what_errors_show(string uri) =>
        Assert.DoesNotContain("hunter2", RemoteFsLocations.Redact(uri));

    [Theory]
    [InlineData("sftp://host/x", true)]
    [InlineData("s3://bucket", true)]
    [InlineData("file:///tmp/x", false)]
    [InlineData("/tmp/x", false)]
    [InlineData("C:\\data\\x", false)]
    [InlineData("relative/dir", false)]
    public void URIs_of_remote_endpoints_are_told_from_local_paths(string text, bool remote) =>
        Assert.Equal(remote, RemoteFsLocations.IsRemote(text));
}

[CollectionDefinition("RemoteFsSessions", DisableParallelization = true)]
public sealed class RemoteFsSessionsCollection;
