using System.Security.Cryptography;
using System.Text;
using Pipeline.RemoteFs.S3;

namespace Pipeline.RemoteFs.Tests.S3;

/// <summary>Every file system operation against a real s3rver on 127.0.0.1.</summary>
public sealed class S3FileSystemTests
{
    private static async Task<List<RemoteItem>> ToList(IAsyncEnumerable<RemoteItem> items)
    {
        var list = new List<RemoteItem>();
        await foreach (var item in items) list.Add(item);
        return list;
    }

    private static Dictionary<string, string> Settings(params (string Key, string Value)[] pairs) =>
        pairs.ToDictionary(p => p.Key, p => p.Value, StringComparer.OrdinalIgnoreCase);

    [S3rverFact]
    public async Task Every_operation_works_against_s3rver()
    {
        await using var server = await S3rverServer.StartAsync();
        await using var provider = new S3FileSystemProvider();
        await using var fs = await provider.ConnectAsync(server.Endpoint(), server.Options());
        Assert.True(fs.Capabilities.HasFlag(RemoteCapabilities.ServerSideCopy));
        Assert.True(fs.Capabilities.HasFlag(RemoteCapabilities.RangedRead));

        var content = Encoding.UTF8.GetBytes("hello, object store\n");
        await fs.CreateDirectoryAsync("/in/empty");
        await fs.WriteAllAsync("/in/a.txt", content);
        await fs.WriteAllAsync("/in/sub/b.csv", [1, 2, 3]);

        var stat = await fs.StatAsync("/in/a.txt");
        Assert.NotNull(stat);
        Assert.False(stat.IsDirectory);
        Assert.Equal(content.Length, stat.Length);
        Assert.NotNull(stat.LastWriteTime);
        Assert.True((await fs.StatAsync("/in/sub"))!.IsDirectory);
        Assert.True((await fs.StatAsync("/in/empty"))!.IsDirectory);
        Assert.Null(await fs.StatAsync("/in/missing.txt"));

        var top = await ToList(fs.ListAsync("/in"));
        Assert.Equal(["/in/a.txt", "/in/empty", "/in/sub"], top.Select(i => i.Path).Order(StringComparer.Ordinal));
        Assert.Equal([false, true, true], top.OrderBy(i => i.Path, StringComparer.Ordinal).Select(i => i.IsDirectory));
        var all = await ToList(fs.ListAsync("/", new ListOptions { Recursive = true }));
        Assert.Equal(["/in", "/in/a.txt", "/in/empty", "/in/sub", "/in/sub/b.csv"], all.Select(i => i.Path).Order(StringComparer.Ordinal));
        var csv = await ToList(fs.ListAsync("/in", new ListOptions { Recursive = true, Filter = "**/*.csv" }));
        Assert.Equal("/in/sub/b.csv", Assert.Single(csv).Path);
        var filesOnly = await ToList(fs.ListAsync("/in", new ListOptions { Recursive = true, IncludeDirectories = false }));
        Assert.Equal(["/in/a.txt", "/in/sub/b.csv"], filesOnly.Select(i => i.Path).Order(StringComparer.Ordinal));
        var missing = await Assert.ThrowsAsync<RemoteFsException>(() => ToList(fs.ListAsync("/nowhere")));
        Assert.Equal(RemoteErrorKind.NotFound, missing.Kind);

        Assert.Equal(content, await fs.ReadAllAsync("/in/a.txt"));
        Assert.Equal(content[7..12], await fs.ReadAllAsync("/in/a.txt", 7, 5));
        Assert.Equal(content[7..], await fs.ReadAllAsync("/in/a.txt", 7));
        Assert.Empty(await fs.ReadAllAsync("/in/a.txt", content.Length));
        var notThere = await Assert.ThrowsAsync<RemoteFsException>(() => fs.ReadAllAsync("/in/missing.txt"));
        Assert.Equal(RemoteErrorKind.NotFound, notThere.Kind);
        Assert.Contains("pipeline-test/in/missing.txt", notThere.Message);
        Assert.Contains(server.ServiceUrl, notThere.Message);

        var md5 = await fs.GetChecksumAsync("/in/a.txt", ChecksumAlgorithm.Md5);
        Assert.True(md5.Native);
        Assert.True(md5.Matches(Convert.ToHexString(MD5.HashData(content))));
        var sha = await fs.GetChecksumAsync("/in/a.txt");
        Assert.False(sha.Native);
        Assert.True(sha.Matches(Convert.ToHexString(SHA256.HashData(content))));

        await fs.CopyAsync("/in/a.txt", "/out/copy.txt");
        Assert.Equal(content, await fs.ReadAllAsync("/out/copy.txt"));
        var exists = await Assert.ThrowsAsync<RemoteFsException>(() => fs.CopyAsync("/in/a.txt", "/out/copy.txt"));
        Assert.Equal(RemoteErrorKind.Conflict, exists.Kind);
        await fs.CopyAsync("/in/sub/b.csv", "/out/copy.txt", overwrite: true);
        Assert.Equal([1, 2, 3], await fs.ReadAllAsync("/out/copy.txt"));

        await fs.MoveAsync("/in/a.txt", "/out/moved.txt");
        Assert.Null(await fs.StatAsync("/in/a.txt"));
        Assert.Equal(content, await fs.ReadAllAsync("/out/moved.txt"));
        await fs.MoveAsync("/in/sub", "/moved-sub");
        Assert.Null(await fs.StatAsync("/in/sub"));
        Assert.Equal([1, 2, 3], await fs.ReadAllAsync("/moved-sub/b.csv"));
        var nothingToMove = await Assert.ThrowsAsync<RemoteFsException>(() => fs.MoveAsync("/in/sub", "/elsewhere"));
        Assert.Equal(RemoteErrorKind.NotFound, nothingToMove.Kind);

        await fs.DeleteFileAsync("/out/moved.txt");
        Assert.Null(await fs.StatAsync("/out/moved.txt"));
        var gone = await Assert.ThrowsAsync<RemoteFsException>(() => fs.DeleteFileAsync("/out/moved.txt"));
        Assert.Equal(RemoteErrorKind.NotFound, gone.Kind);
        var isDirectory = await Assert.ThrowsAsync<RemoteFsException>(() => fs.DeleteFileAsync("/out"));
        Assert.Equal(RemoteErrorKind.Conflict, isDirectory.Kind);

        var notEmpty = await Assert.ThrowsAsync<RemoteFsException>(() => fs.DeleteDirectoryAsync("/out"));
        Assert.Equal(RemoteErrorKind.Conflict, notEmpty.Kind);
        await fs.DeleteDirectoryAsync("/in/empty");
        Assert.Null(await fs.StatAsync("/in/empty"));
        await fs.DeleteDirectoryAsync("/out", recursive: true);
        Assert.Null(await fs.StatAsync("/out"));
        var noDirectory = await Assert.ThrowsAsync<RemoteFsException>(() => fs.DeleteDirectoryAsync("/out"));
        Assert.Equal(RemoteErrorKind.NotFound, noDirectory.Kind);
    }

    [S3rverFact]
    public async Task Keys_with_unicode_and_spaces_and_empty_objects_round_trip()
    {
        await using var server = await S3rverServer.StartAsync();
        await using var provider = new S3FileSystemProvider();
        await using var fs = await provider.ConnectAsync(server.Endpoint("/base dir"), server.Options(settings: S3rverServer.SerialDeletes));
        const string name = "Données clients/résumé 2026 – 東京 #1.txt";
        var content = Encoding.UTF8.GetBytes("ünïcödé");
        await fs.WriteAllAsync(name, content);
        await fs.WriteAllAsync("Données clients/empty.bin", []);

        Assert.Equal(content, await fs.ReadAllAsync(name));
        var items = await ToList(fs.ListAsync("Données clients"));
        Assert.Equal(["/base dir/Données clients/empty.bin", "/base dir/Données clients/résumé 2026 – 東京 #1.txt"],
            items.Select(i => i.Path).Order(StringComparer.Ordinal));
        var empty = await fs.StatAsync("Données clients/empty.bin");
        Assert.Equal(0, empty!.Length);
        Assert.Empty(await fs.ReadAllAsync("Données clients/empty.bin"));
        Assert.Empty(await fs.ReadAllAsync("Données clients/empty.bin", 0, 0));
        Assert.True((await fs.GetChecksumAsync("Données clients/empty.bin", ChecksumAlgorithm.Md5)).Matches(Convert.ToHexString(MD5.HashData([]))));

        // s3rver decodes the copy source with decodeURI, which leaves %23 ('#') encoded: copy a key without one.
        await fs.WriteAllAsync("Données clients/été 2026.txt", content);
        await fs.CopyAsync("Données clients/été 2026.txt", "copie é.txt");
        Assert.Equal(content, await fs.ReadAllAsync("copie é.txt"));
        await fs.MoveAsync("copie é.txt", "Données clients/déplacé.txt");
        Assert.Equal(content, await fs.ReadAllAsync("Données clients/déplacé.txt"));
        await fs.DeleteDirectoryAsync("Données clients", recursive: true);
        Assert.Null(await fs.StatAsync("/Données clients"));
    }

    [S3rverTheory]
    [InlineData("2")]
    [InlineData("1")]
    public async Task Listing_pages_through_more_keys_than_one_page_holds(string listVersion)
    {
        await using var server = await S3rverServer.StartAsync();
        await using var provider = new S3FileSystemProvider();
        var settings = new Dictionary<string, string>(S3rverServer.SerialDeletes) { ["page_size"] = "2", ["list_version"] = listVersion };
        await using var fs = await provider.ConnectAsync(server.Endpoint(), server.Options(settings: settings));
        var expected = new List<string>();
        for (var i = 0; i < 7; i++)
        {
            await fs.WriteAllAsync($"/many/f{i}.txt", [(byte)i]);
            expected.Add($"/many/f{i}.txt");
        }
        for (var i = 0; i < 3; i++)
        {
            await fs.WriteAllAsync($"/many/d{i}/x.txt", [(byte)i]);
            expected.Add($"/many/d{i}");
        }

        var flat = await ToList(fs.ListAsync("/many"));
        Assert.Equal(expected.Order(StringComparer.Ordinal), flat.Select(i => i.Path).Order(StringComparer.Ordinal));
        var deep = await ToList(fs.ListAsync("/many", new ListOptions { Recursive = true, IncludeDirectories = false }));
        Assert.Equal(10, deep.Count);

        await fs.DeleteDirectoryAsync("/many", recursive: true);
        Assert.Null(await fs.StatAsync("/many"));
    }

    [S3rverFact]
    public async Task A_file_larger_than_a_part_goes_up_in_parallel_parts_and_reads_back_by_range()
    {
        await using var server = await S3rverServer.StartAsync();
        await using var provider = new S3FileSystemProvider();
        await using var fs = await provider.ConnectAsync(server.Endpoint(), server.Options(settings: Settings(("part_size", "5M"), ("upload_concurrency", "2"))));
        var content = RandomNumberGenerator.GetBytes(12 * 1024 * 1024);

        await using (var stream = (S3WriteStream)await fs.OpenWriteAsync("/big/file.bin"))
        {
            // Odd-sized writes cross part boundaries.
            for (var offset = 0; offset < content.Length; offset += 1_000_003)
                await stream.WriteAsync(content.AsMemory(offset, Math.Min(1_000_003, content.Length - offset)));
            Assert.NotNull(stream.UploadId);
            Assert.Null(await fs.StatAsync("/big/file.bin"));
            await stream.CommitAsync();
        }

        var stat = await fs.StatAsync("/big/file.bin");
        Assert.Equal(content.Length, stat!.Length);
        Assert.Equal(content, await fs.ReadAllAsync("/big/file.bin"));
        var across = 5 * 1024 * 1024 - 100;
        Assert.Equal(content.AsSpan(across, 300).ToArray(), await fs.ReadAllAsync("/big/file.bin", across, 300));
        // AWS gives a multipart object an ETag of "<md5 of part md5s>-<parts>" (so MD5 is computed by reading);
        // s3rver stores the assembled object and gives it its plain MD5. Either way the checksum is the content's.
        var md5 = await fs.GetChecksumAsync("/big/file.bin", ChecksumAlgorithm.Md5);
        Assert.True(md5.Matches(Convert.ToHexString(MD5.HashData(content))));
    }

    [S3rverFact]
    public async Task A_write_disposed_without_commit_leaves_no_object_and_no_pending_upload()
    {
        await using var server = await S3rverServer.StartAsync();
        await using var provider = new S3FileSystemProvider();
        await using var fs = (S3FileSystem)await provider.ConnectAsync(server.Endpoint(), server.Options(settings: Settings(("part_size", "5M"))));

        await using (var stream = (S3WriteStream)await fs.OpenWriteAsync("/cancelled/big.bin"))
        {
            await stream.WriteAsync(RandomNumberGenerator.GetBytes(11 * 1024 * 1024));
            Assert.NotNull(stream.UploadId);
        }
        await using (var stream = await fs.OpenWriteAsync("/cancelled/small.bin"))
            await stream.WriteAsync(new byte[1000]);

        Assert.Null(await fs.StatAsync("/cancelled/big.bin"));
        Assert.Null(await fs.StatAsync("/cancelled/small.bin"));
        Assert.Empty(await ToList(fs.ListAsync("/", new ListOptions { Recursive = true })));
    }

    [S3rverFact]
    public async Task An_upload_cancelled_midway_leaves_no_object_under_its_name()
    {
        await using var server = await S3rverServer.StartAsync();
        await using var provider = new S3FileSystemProvider();
        await using var fs = await provider.ConnectAsync(server.Endpoint(), server.Options(settings: Settings(("part_size", "5M"))));
        await fs.WriteAllAsync("/kept.bin", [1, 2, 3]);
        using var cancel = new CancellationTokenSource();

        await using (var stream = await fs.OpenWriteAsync("/kept.bin"))
        {
            await stream.WriteAsync(RandomNumberGenerator.GetBytes(5 * 1024 * 1024), cancel.Token);
            await cancel.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await stream.WriteAsync(RandomNumberGenerator.GetBytes(5 * 1024 * 1024), cancel.Token));
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => stream.CommitAsync(cancel.Token));
        }

        // The earlier object under that name is untouched: an unfinished multipart upload replaces nothing.
        Assert.Equal([1, 2, 3], await fs.ReadAllAsync("/kept.bin"));
        Assert.Single(await ToList(fs.ListAsync("/", new ListOptions { Recursive = true })));
    }

    [S3rverFact]
    public async Task A_write_that_must_not_overwrite_is_refused_when_the_object_exists()
    {
        await using var server = await S3rverServer.StartAsync();
        await using var provider = new S3FileSystemProvider();
        await using var fs = await provider.ConnectAsync(server.Endpoint(), server.Options());
        await fs.WriteAllAsync("/x.txt", [1]);
        var refused = await Assert.ThrowsAsync<RemoteFsException>(() => fs.OpenWriteAsync("/x.txt", new WriteOptions { Overwrite = false }));
        Assert.Equal(RemoteErrorKind.Conflict, refused.Kind);
        await fs.WriteAllAsync("/x.txt", [2]);
        Assert.Equal([2], await fs.ReadAllAsync("/x.txt"));
    }

    [S3rverFact]
    public async Task A_wrong_access_key_is_an_authentication_error_that_does_not_show_the_secret()
    {
        // s3rver checks the access key but not SigV4 signatures, so a wrong secret alone passes there.
        await using var server = await S3rverServer.StartAsync();
        await using var provider = new S3FileSystemProvider();
        var error = await Assert.ThrowsAsync<RemoteFsException>(() => provider.ConnectAsync(server.Endpoint(), server.Options(accessKey: "NOT-A-KEY", secret: "not-the-secret-xyz")));
        Assert.Equal(RemoteErrorKind.Authentication, error.Kind);
        Assert.Contains("InvalidAccessKeyId", error.Message);
        Assert.Contains(server.ServiceUrl, error.Message);
        Assert.DoesNotContain("not-the-secret-xyz", error.ToString());
    }

    [S3rverFact]
    public async Task A_missing_bucket_is_not_found()
    {
        await using var server = await S3rverServer.StartAsync();
        await using var provider = new S3FileSystemProvider();
        var error = await Assert.ThrowsAsync<RemoteFsException>(() => provider.ConnectAsync(server.Endpoint(bucket: "no-such-bucket"), server.Options()));
        Assert.Equal(RemoteErrorKind.NotFound, error.Kind);
        Assert.Contains("NoSuchBucket", error.Message);
        Assert.Contains("no-such-bucket", error.Message);

        var unchecked_ = await provider.ConnectAsync(server.Endpoint(bucket: "no-such-bucket"), server.Options(settings: Settings(("check_bucket", "false"))));
        var stat = await Assert.ThrowsAsync<RemoteFsException>(() => unchecked_.StatAsync("/a.txt"));
        Assert.Equal(RemoteErrorKind.NotFound, stat.Kind);
    }

    [S3rverFact]
    public async Task A_stopped_server_is_a_transient_error()
    {
        var server = await S3rverServer.StartAsync();
        await using var provider = new S3FileSystemProvider();
        await using var fs = await provider.ConnectAsync(server.Endpoint(), server.Options());
        await server.DisposeAsync();
        var error = await Assert.ThrowsAsync<RemoteFsException>(() => fs.StatAsync("/a.txt"));
        Assert.Equal(RemoteErrorKind.Transient, error.Kind);
        Assert.True(error.IsTransient);
    }

    [Fact]
    public async Task A_server_that_never_answers_is_a_timeout()
    {
        // A real socket that accepts and then stays silent, like a hung server.
        using var silent = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        silent.Start();
        var accepted = new List<System.Net.Sockets.Socket>();
        var accepting = Task.Run(async () =>
        {
            try
            {
                while (true) accepted.Add(await silent.AcceptSocketAsync());
            }
            catch (Exception ex) when (ex is System.Net.Sockets.SocketException or ObjectDisposedException)
            {
            }
        });
        await using var provider = new S3FileSystemProvider();
        var options = new RemoteConnectionOptions
        {
            Credential = new System.Net.NetworkCredential("KEY", "SECRET"),
            Settings = Settings(("endpoint", $"http://127.0.0.1:{((System.Net.IPEndPoint)silent.LocalEndpoint).Port}"), ("check_bucket", "false")),
            OperationTimeout = TimeSpan.FromSeconds(1),
            MaxAttempts = 1,
        };
        await using var fs = await provider.ConnectAsync(RemoteEndpoint.Parse("s3://bucket/"), options);
        var error = await Assert.ThrowsAsync<RemoteFsException>(() => fs.StatAsync("/a.txt"));
        Assert.Equal(RemoteErrorKind.Timeout, error.Kind);
        Assert.True(error.IsTransient);
        Assert.Contains("bucket/a.txt", error.Message);
        silent.Stop();
        await accepting;
        foreach (var socket in accepted) socket.Dispose();
    }

    [S3rverTheory]
    [InlineData("true")]
    [InlineData("false")]
    public async Task Reads_by_presigned_get_and_through_the_sdk_give_the_same_bytes_and_errors(string presigned)
    {
        await using var server = await S3rverServer.StartAsync();
        await using var provider = new S3FileSystemProvider();
        await using var fs = await provider.ConnectAsync(server.Endpoint(), server.Options(settings: Settings(("presigned_reads", presigned))));
        var content = new byte[300_000];
        Random.Shared.NextBytes(content);
        await fs.WriteAllAsync("/r/object.bin", content);
        await fs.WriteAllAsync("/r/empty.bin", []);

        Assert.Equal(content, await fs.ReadAllAsync("/r/object.bin"));
        Assert.Equal(content[1000..1100], await fs.ReadAllAsync("/r/object.bin", 1000, 100));
        Assert.Equal(content[299_000..], await fs.ReadAllAsync("/r/object.bin", 299_000));
        Assert.Empty(await fs.ReadAllAsync("/r/object.bin", content.Length));
        Assert.Empty(await fs.ReadAllAsync("/r/empty.bin"));
        await using (var whole = await fs.OpenReadAsync("/r/object.bin"))
        {
            Assert.Equal(content.Length, whole.Length);
            await whole.CopyToAsync(Stream.Null);
            var checkedStream = Assert.IsAssignableFrom<IMd5CheckedReadStream>(whole);
            Assert.Equal(Convert.ToHexString(MD5.HashData(content)).ToLowerInvariant(), checkedStream.VerifiedMd5);
        }

        var missing = await Assert.ThrowsAsync<RemoteFsException>(() => fs.ReadAllAsync("/r/missing.bin"));
        Assert.Equal(RemoteErrorKind.NotFound, missing.Kind);
        Assert.Contains("NoSuchKey", missing.Message);
        Assert.Contains("pipeline-test/r/missing.bin", missing.Message);
        await using var wrong = await provider.ConnectAsync(server.Endpoint(),
            server.Options(accessKey: "NOT-A-KEY", secret: "not-the-secret-xyz", settings: Settings(("presigned_reads", presigned), ("check_bucket", "false"))));
        var denied = await Assert.ThrowsAsync<RemoteFsException>(() => wrong.ReadAllAsync("/r/object.bin"));
        Assert.Equal(RemoteErrorKind.Authentication, denied.Kind);
        Assert.Contains("InvalidAccessKeyId", denied.Message);
        Assert.DoesNotContain("not-the-secret-xyz", denied.ToString());
        Assert.DoesNotContain("X-Amz-Signature", denied.ToString());
    }

    [S3rverFact]
    public async Task Objects_are_read_by_presigned_get_by_default()
    {
        await using var server = await S3rverServer.StartAsync();
        await using var relay = new PresignRefusingRelay(server.Port);
        await using var provider = new S3FileSystemProvider();
        await using var fs = await provider.ConnectAsync(server.Endpoint(), server.Options(settings: Settings(("endpoint", relay.ServiceUrl))));
        await fs.WriteAllAsync("/p/a.txt", "presigned"u8.ToArray());
        Assert.Equal(0, relay.PresignedRequests);

        Assert.Equal("presigned"u8.ToArray(), await fs.ReadAllAsync("/p/a.txt"));
        Assert.Equal(1, relay.PresignedRequests);
    }

    [S3rverFact]
    public async Task A_server_that_refuses_presigned_gets_is_read_through_the_sdk_from_then_on()
    {
        await using var server = await S3rverServer.StartAsync();
        await using var relay = new PresignRefusingRelay(server.Port) { RefusePresigned = true };
        await using var provider = new S3FileSystemProvider();
        await using var fs = await provider.ConnectAsync(server.Endpoint(), server.Options(settings: Settings(("endpoint", relay.ServiceUrl))));
        await fs.WriteAllAsync("/p/a.txt", "refused"u8.ToArray());
        await fs.WriteAllAsync("/p/b.txt", "then sdk"u8.ToArray());

        Assert.Equal("refused"u8.ToArray(), await fs.ReadAllAsync("/p/a.txt"));
        Assert.Equal(1, relay.PresignedRequests);
        Assert.Equal("then sdk"u8.ToArray(), await fs.ReadAllAsync("/p/b.txt"));
        Assert.Equal(1, relay.PresignedRequests);
    }

    [S3rverTheory]
    [InlineData("true")]
    [InlineData("false")]
    public async Task A_whole_object_whose_bytes_do_not_match_its_etag_fails_to_read_as_damaged(string presigned)
    {
        await using var server = await S3rverServer.StartAsync();
        await using var provider = new S3FileSystemProvider();
        await using var fs = await provider.ConnectAsync(server.Endpoint(), server.Options(settings: Settings(("presigned_reads", presigned))));
        var content = new byte[200_000];
        Random.Shared.NextBytes(content);
        await fs.WriteAllAsync("/d/object.bin", content);
        Assert.Equal(content, await fs.ReadAllAsync("/d/object.bin"));

        server.DamageStoredObject("d/object.bin", 150_000);
        var error = await Assert.ThrowsAsync<RemoteFsException>(() => fs.ReadAllAsync("/d/object.bin"));
        Assert.Equal(RemoteErrorKind.Io, error.Kind);
        Assert.Contains("damaged", error.Message);
        Assert.Contains("pipeline-test/d/object.bin", error.Message);
        Assert.Contains(Convert.ToHexString(MD5.HashData(content)).ToLowerInvariant(), error.Message);
        // A range has nothing to be compared with: it is read as it comes.
        Assert.Equal(content[..1000], await fs.ReadAllAsync("/d/object.bin", 0, 1000));
    }

    [S3rverFact]
    public async Task Clients_are_pooled_per_server_and_credential()
    {
        await using var server = await S3rverServer.StartAsync();
        await using var provider = new S3FileSystemProvider();
        await using var first = await provider.ConnectAsync(server.Endpoint(), server.Options());
        await first.WriteAllAsync("/p.txt", [9]);
        await using var second = await provider.ConnectAsync(server.Endpoint("/sub"), server.Options());
        Assert.Equal([9], await second.ReadAllAsync("/p.txt"));
        var wrong = await Assert.ThrowsAsync<RemoteFsException>(() => provider.ConnectAsync(server.Endpoint(), server.Options(accessKey: "OTHER")));
        Assert.Equal(RemoteErrorKind.Authentication, wrong.Kind);
    }
}
