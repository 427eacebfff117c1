using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Pipeline.RemoteFs.Azure;
using Pipeline.RemoteFs.Tests.Ftp;

namespace Pipeline.RemoteFs.Tests.Azure;

/// <summary>Cancellation, time limits and blobs the service stores without an MD5.</summary>
public sealed class AzureBlobFailureTests(AzuriteFixture azurite) : IClassFixture<AzuriteFixture>
{
    private async Task<IRemoteFileSystem> ConnectAsync(AzureBlobFileSystemProvider provider, string container, params (string, string)[] settings) =>
        await provider.ConnectAsync(azurite.Server.Endpoint(container), azurite.Server.Options(AzuriteServer.Key, [("create_container", "true"), .. settings]));

    private static string NewContainer() => "f" + Guid.NewGuid().ToString("N")[..20];

    [AzuriteFact]
    public async Task Upload_cancelled_before_commit_leaves_no_blob()
    {
        using var provider = new AzureBlobFileSystemProvider();
        await using var fs = await ConnectAsync(provider, NewContainer(), ("block_size", "4096"));
        using var cancel = new CancellationTokenSource();
        await using (var stream = await fs.OpenWriteAsync("/cancelled.bin"))
        {
            await stream.WriteAsync(RandomNumberGenerator.GetBytes(6 * 4096 + 5));
            await cancel.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => stream.CommitAsync(cancel.Token));
        }
        Assert.Null(await fs.StatAsync("/cancelled.bin"));
    }

    [AzuriteFact]
    public async Task Checksum_is_computed_when_the_blob_has_no_content_md5()
    {
        var container = NewContainer();
        using var provider = new AzureBlobFileSystemProvider();
        await using var fs = await ConnectAsync(provider, container);
        var settings = AzureBlobSettings.From(azurite.Server.Endpoint(container), azurite.Server.Options());
        using var http = AzureBlobClient.CreateHttpClient(settings);
        var client = new AzureBlobClient(settings, http);
        var content = Encoding.UTF8.GetBytes("committed without an MD5");
        var id = Convert.ToBase64String("block-0"u8.ToArray());
        await client.PutBlockAsync(container, "no-md5.txt", id, content, CancellationToken.None);
        await client.PutBlockListAsync(container, "no-md5.txt", [id], md5: null, overwrite: true, CancellationToken.None);
        Assert.Null((await client.GetPropertiesAsync(container, "no-md5.txt", CancellationToken.None))!.ContentMd5);

        var checksum = await fs.GetChecksumAsync("/no-md5.txt", ChecksumAlgorithm.Md5);
        Assert.False(checksum.Native);
        Assert.Equal(Convert.ToHexString(MD5.HashData(content)).ToLowerInvariant(), checksum.Hex);
    }

    [Fact]
    public async Task Service_that_never_answers_is_a_timeout_error()
    {
        // A real socket that accepts connections and never answers: the operation's time limit must end the wait.
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        var accepted = new List<Socket>();
        var accepting = Task.Run(async () =>
        {
            try
            {
                while (true)
                {
                    var socket = await silent.AcceptSocketAsync();
                    lock (accepted) accepted.Add(socket);
                }
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException or InvalidOperationException) // stopped by the test
            {
            }
        });
        var time = new ManualTimeProvider();
        using var provider = new AzureBlobFileSystemProvider(time);
        var options = new RemoteConnectionOptions
        {
            Settings = new Dictionary<string, string>
            {
                ["endpoint"] = $"http://127.0.0.1:{((IPEndPoint)silent.LocalEndpoint).Port}/{AzuriteServer.Account}",
                ["account_key"] = AzuriteServer.Key,
            },
            OperationTimeout = TimeSpan.FromSeconds(30),
            MaxAttempts = 1,
        };
        var connecting = provider.ConnectAsync(RemoteEndpoint.Parse($"az://{AzuriteServer.Account}/c"), options);
        while (!connecting.IsCompleted)
        {
            time.Advance(TimeSpan.FromSeconds(31));
            await Task.WhenAny(connecting, Task.Delay(20));
        }
        var ex = await Assert.ThrowsAsync<RemoteFsException>(() => connecting);
        Assert.Equal(RemoteErrorKind.Timeout, ex.Kind);
        Assert.Contains("Get container properties", ex.Message);
        silent.Stop();
        await accepting;
        lock (accepted)
        {
            foreach (var socket in accepted) socket.Dispose();
        }
    }
}
