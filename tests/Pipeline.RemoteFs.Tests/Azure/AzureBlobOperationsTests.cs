using System.Security.Cryptography;
using System.Text;
using Pipeline.RemoteFs.Azure;
using Xunit.Abstractions;
using Pipeline.RemoteFs.Tests.Support;

namespace Pipeline.RemoteFs.Tests.Azure;

/// <summary>Every file system operation against a real Azurite; each test uses its own container.</summary>
public sealed class AzureBlobOperationsTests(AzuriteFixture azurite, ITestOutputHelper output) : IClassFixture<AzuriteFixture>
{
    private static string NewContainer() => "c" + Guid.NewGuid().ToString("N")[..20];

    private readonly System.Collections.Concurrent.ConcurrentQueue<string> _trace = new();

    private async Task<(AzureBlobFileSystemProvider Provider, IRemoteFileSystem Fs)> ConnectAsync(string? container = null, params (string, string)[] settings)
    {
        var provider = new AzureBlobFileSystemProvider(null, _trace.Enqueue);
        var fs = await provider.ConnectAsync(azurite.Server.Endpoint(container ?? NewContainer()),
            azurite.Server.Options(AzuriteServer.Key, [("create_container", "true"), .. settings]));
        return (provider, fs);
    }

    private static async Task Upload(IRemoteFileSystem fs, string path, byte[] content, int chunk = 100_000)
    {
        await using var stream = await fs.OpenWriteAsync(path);
        for (var i = 0; i < content.Length; i += chunk)
            await stream.WriteAsync(content.AsMemory(i, Math.Min(chunk, content.Length - i)));
        await stream.CommitAsync();
    }

    private static async Task<byte[]> Download(IRemoteFileSystem fs, string path, long offset = 0, long? length = null)
    {
        await using var stream = await fs.OpenReadAsync(path, offset, length);
        using var memory = new MemoryStream();
        await stream.CopyToAsync(memory);
        return memory.ToArray();
    }

    private static async Task<List<RemoteItem>> ToList(IAsyncEnumerable<RemoteItem> items)
    {
        var list = new List<RemoteItem>();
        await foreach (var item in items) list.Add(item);
        return list;
    }

    [AzuriteFact]
    public async Task A_uri_path_that_starts_with_the_container_names_the_same_blob_as_the_path_within_it()
    {
        var container = NewContainer();
        var (provider, fs) = await ConnectAsync(container);
        using var _ = provider;
        await using var __ = fs;

        // What steps and cmdlets pass for az://account/CONTAINER/in/a.txt.
        await Upload(fs, $"/{container}/in/a.txt", Encoding.UTF8.GetBytes("uri"));

        Assert.Equal("uri", Encoding.UTF8.GetString(await Download(fs, "/in/a.txt")));
        Assert.Equal($"/{container}/in/a.txt", (await fs.StatAsync($"/{container}/in/a.txt"))?.Path);
        Assert.Equal("/in/a.txt", (await fs.StatAsync("/in/a.txt"))?.Path);
        Assert.Equal([$"/{container}/in/a.txt"], (await ToList(fs.ListAsync($"/{container}/in"))).Select(i => i.Path));
        Assert.Equal(["/in"], (await ToList(fs.ListAsync("/"))).Select(i => i.Path));
    }

    [AzuriteFact]
    public async Task Upload_stat_read_list_copy_move_and_delete_work()
    {
        var (provider, fs) = await ConnectAsync();
        using var _ = provider;
        await using var __ = fs;

        await fs.CreateDirectoryAsync("/in/deep");
        var content = RandomNumberGenerator.GetBytes(300_000);
        await Upload(fs, "/in/data file.bin", content);
        await Upload(fs, "/in/empty.txt", []);
        await Upload(fs, "/in/deep/Ünïcødé ✓ name.txt", Encoding.UTF8.GetBytes("hello"));

        var stat = await fs.StatAsync("/in/data file.bin");
        Assert.NotNull(stat);
        Assert.False(stat.IsDirectory);
        Assert.Equal(300_000, stat.Length);
        Assert.NotNull(stat.LastWriteTime);
        Assert.True((await fs.StatAsync("/in/deep"))!.IsDirectory);
        Assert.Null(await fs.StatAsync("/in/nothing"));
        Assert.Equal(0, (await fs.StatAsync("/in/empty.txt"))!.Length);

        Assert.Equal(content, await Download(fs, "/in/data file.bin"));
        Assert.Empty(await Download(fs, "/in/empty.txt"));
        Assert.Equal("hello", Encoding.UTF8.GetString(await Download(fs, "/in/deep/Ünïcødé ✓ name.txt")));

        var top = await ToList(fs.ListAsync("/in"));
        Assert.Equal(["/in/data file.bin", "/in/deep", "/in/empty.txt"], top.Select(i => i.Path).Order(StringComparer.Ordinal));
        Assert.True(top.Single(i => i.Name == "deep").IsDirectory);
        var all = await ToList(fs.ListAsync("/", new ListOptions { Recursive = true }));
        Assert.Equal(["/in", "/in/data file.bin", "/in/deep", "/in/deep/Ünïcødé ✓ name.txt", "/in/empty.txt"], all.Select(i => i.Path).Order(StringComparer.Ordinal));
        var filtered = await ToList(fs.ListAsync("/in", new ListOptions { Recursive = true, Filter = "**/*.txt", IncludeDirectories = false }));
        Assert.Equal(["/in/deep/Ünïcødé ✓ name.txt", "/in/empty.txt"], filtered.Select(i => i.Path).Order(StringComparer.Ordinal));

        await fs.CopyAsync("/in/data file.bin", "/out/copy.bin");
        Assert.Equal(content, await Download(fs, "/out/copy.bin"));
        var conflict = await Assert.ThrowsAsync<RemoteFsException>(() => fs.CopyAsync("/in/empty.txt", "/out/copy.bin"));
        Assert.Equal(RemoteErrorKind.Conflict, conflict.Kind);
        await fs.CopyAsync("/in/empty.txt", "/out/copy.bin", overwrite: true);
        Assert.Empty(await Download(fs, "/out/copy.bin"));

        await fs.MoveAsync("/in/deep/Ünïcødé ✓ name.txt", "/out/moved ✓.txt");
        Assert.Null(await fs.StatAsync("/in/deep/Ünïcødé ✓ name.txt"));
        Assert.Equal("hello", Encoding.UTF8.GetString(await Download(fs, "/out/moved ✓.txt")));

        await fs.DeleteFileAsync("/out/copy.bin");
        Assert.Null(await fs.StatAsync("/out/copy.bin"));
        var missing = await Assert.ThrowsAsync<RemoteFsException>(() => fs.DeleteFileAsync("/out/copy.bin"));
        Assert.Equal(RemoteErrorKind.NotFound, missing.Kind);
        Assert.Contains("Delete blob", missing.Message);
        Assert.Contains($"az://{AzuriteServer.Account}/", missing.Message);
        Assert.Contains("/out/copy.bin", missing.Message);

        var notEmpty = await Assert.ThrowsAsync<RemoteFsException>(() => fs.DeleteDirectoryAsync("/in"));
        Assert.Equal(RemoteErrorKind.Conflict, notEmpty.Kind);
        await fs.DeleteDirectoryAsync("/in", recursive: true);
        Assert.Null(await fs.StatAsync("/in"));
        Assert.Equal(["/out/moved ✓.txt"], (await ToList(fs.ListAsync("/", new ListOptions { Recursive = true, IncludeDirectories = false }))).Select(i => i.Path));
    }

    [AzuriteFact]
    public async Task Listing_follows_continuation_markers_past_a_small_page()
    {
        var (provider, fs) = await ConnectAsync(null, ("max_results", "3"));
        using var _ = provider;
        await using var __ = fs;
        for (var i = 0; i < 10; i++)
            await Upload(fs, $"/many/f{i:D2}.txt", [(byte)i]);
        await Upload(fs, "/many/sub/x.txt", [1]);

        var flat = await ToList(fs.ListAsync("/many"));
        Assert.Equal(11, flat.Count);
        Assert.Equal(Enumerable.Range(0, 10).Select(i => $"/many/f{i:D2}.txt").Append("/many/sub"), flat.Select(i => i.Path).Order(StringComparer.Ordinal));
        var recursive = await ToList(fs.ListAsync("/many", new ListOptions { Recursive = true, IncludeDirectories = false }));
        Assert.Equal(11, recursive.Count);
        await fs.DeleteDirectoryAsync("/many", recursive: true);
        Assert.Empty(await ToList(fs.ListAsync("/", new ListOptions { Recursive = true })));
    }

    [AzuriteFact]
    public async Task Large_file_is_uploaded_as_parallel_blocks_and_stored_with_its_md5()
    {
        var (provider, fs) = await ConnectAsync(null, ("block_size", "65536"), ("parallel_blocks", "4"));
        using var _ = provider;
        await using var __ = fs;
        var content = RandomNumberGenerator.GetBytes(10 * 65536 + 1234); // eleven blocks, the last one short
        await Upload(fs, "/big.bin", content, chunk: 50_000);

        // Eleven Put Block requests, at most four in flight, overlapping; then one Put Block List and no Put Blob.
        var trace = _trace.ToArray();
        Assert.Equal(11, trace.Count(l => l == "> Put block /big.bin"));
        Assert.Equal(11, trace.Count(l => l == "< 201 Put block /big.bin"));
        Assert.Single(trace, l => l == "> Put block list /big.bin");
        Assert.DoesNotContain(trace, l => l.StartsWith("> Put blob ", StringComparison.Ordinal));
        int inFlight = 0, maxInFlight = 0;
        foreach (var line in trace)
        {
            if (line == "> Put block /big.bin") maxInFlight = Math.Max(maxInFlight, ++inFlight);
            else if (line == "< 201 Put block /big.bin") inFlight--;
        }
        output.WriteLine($"blocks in flight at most: {maxInFlight}");
        Assert.InRange(maxInFlight, 2, 4);

        Assert.Equal(content, await Download(fs, "/big.bin"));
        var md5 = await fs.GetChecksumAsync("/big.bin", ChecksumAlgorithm.Md5);
        Assert.True(md5.Native);
        Assert.Equal(Convert.ToHexString(MD5.HashData(content)).ToLowerInvariant(), md5.Hex);
        var sha = await fs.GetChecksumAsync("/big.bin");
        Assert.False(sha.Native);
        Assert.Equal(Convert.ToHexString(SHA256.HashData(content)).ToLowerInvariant(), sha.Hex);
    }

    [AzuriteFact]
    public async Task Small_file_checksum_comes_from_its_content_md5()
    {
        var (provider, fs) = await ConnectAsync();
        using var _ = provider;
        await using var __ = fs;
        await Upload(fs, "/small.txt", Encoding.UTF8.GetBytes("checksum me"));
        await Upload(fs, "/zero", []);
        var md5 = await fs.GetChecksumAsync("/small.txt", ChecksumAlgorithm.Md5);
        Assert.True(md5.Native);
        Assert.Equal(Convert.ToHexString(MD5.HashData(Encoding.UTF8.GetBytes("checksum me"))).ToLowerInvariant(), md5.Hex);
        Assert.Equal("d41d8cd98f00b204e9800998ecf8427e", (await fs.GetChecksumAsync("/zero", ChecksumAlgorithm.Md5)).Hex);
    }

    [AzuriteFact]
    public async Task Names_with_url_special_characters_round_trip()
    {
        var (provider, fs) = await ConnectAsync();
        using var _ = provider;
        await using var __ = fs;
        string[] names = ["/odd/a+b #1 %20 & c=d;e.txt", "/odd/日本語 ファイル.csv", "/odd/[x] (y) {z}'!~.bin"];
        foreach (var name in names)
            await Upload(fs, name, Encoding.UTF8.GetBytes(name));
        foreach (var name in names)
            Assert.Equal(name, Encoding.UTF8.GetString(await Download(fs, name)));
        Assert.Equal(names.Order(StringComparer.Ordinal), (await ToList(fs.ListAsync("/odd"))).Select(i => i.Path).Order(StringComparer.Ordinal));
        await fs.CopyAsync(names[0], "/odd/copy of " + RemotePath.GetName(names[0]));
        Assert.Equal(names[0], Encoding.UTF8.GetString(await Download(fs, "/odd/copy of " + RemotePath.GetName(names[0]))));
    }

    [AzuriteFact]
    public async Task Ranged_reads_return_the_requested_bytes()
    {
        var (provider, fs) = await ConnectAsync();
        using var _ = provider;
        await using var __ = fs;
        var content = RandomNumberGenerator.GetBytes(100_000);
        await Upload(fs, "/r.bin", content);
        Assert.Equal(content[1000..1100], await Download(fs, "/r.bin", 1000, 100));
        Assert.Equal(content[99_000..], await Download(fs, "/r.bin", 99_000));
        Assert.Empty(await Download(fs, "/r.bin", 100_000));
        Assert.Empty(await Download(fs, "/r.bin", 5, 0));
    }

    [AzuriteFact]
    public async Task Write_stream_disposed_without_commit_leaves_no_blob()
    {
        var (provider, fs) = await ConnectAsync(null, ("block_size", "4096"));
        using var _ = provider;
        await using var __ = fs;
        await using (var stream = await fs.OpenWriteAsync("/abandoned.bin"))
        {
            await stream.WriteAsync(RandomNumberGenerator.GetBytes(5 * 4096)); // blocks are staged on the server
        }
        Assert.Null(await fs.StatAsync("/abandoned.bin"));
        Assert.Empty(await ToList(fs.ListAsync("/", new ListOptions { Recursive = true })));

        // Overwrite=false refuses an existing blob; a committed write replaces it by default.
        await Upload(fs, "/kept.txt", [1, 2, 3]);
        var conflict = await Assert.ThrowsAsync<RemoteFsException>(() => fs.OpenWriteAsync("/kept.txt", new WriteOptions { Overwrite = false }));
        Assert.Equal(RemoteErrorKind.Conflict, conflict.Kind);
        await Upload(fs, "/kept.txt", [4]);
        Assert.Equal([4], await Download(fs, "/kept.txt"));
    }

    [AzuriteFact]
    public async Task Sas_token_authorizes_requests_and_never_appears_in_errors_or_the_trace()
    {
        var container = NewContainer();
        var (keyed, setup) = await ConnectAsync(container);
        using var _ = keyed;
        await setup.DisposeAsync();
        var sas = AccountSas.Create(AzuriteServer.Account, AzuriteServer.Key);
        using var provider = new AzureBlobFileSystemProvider(null, _trace.Enqueue);
        var options = azurite.Server.Options(key: null, ("sas", sas));
        await using var fs = await provider.ConnectAsync(azurite.Server.Endpoint(container), options);
        await Upload(fs, "/via sas.txt", Encoding.UTF8.GetBytes("sas"));
        Assert.Equal("sas", Encoding.UTF8.GetString(await Download(fs, "/via sas.txt")));
        await fs.CopyAsync("/via sas.txt", "/copied.txt");
        Assert.Equal(2, (await ToList(fs.ListAsync("/"))).Count);
        var missing = await Assert.ThrowsAsync<RemoteFsException>(() => fs.OpenReadAsync("/none"));
        var signature = Uri.UnescapeDataString(sas.Split('&').Single(p => p.StartsWith("sig=", StringComparison.Ordinal))[4..]);
        Assert.DoesNotContain(signature, missing.ToString());
        Assert.DoesNotContain(_trace, l => l.Contains(signature, StringComparison.Ordinal) || l.Contains("sig=", StringComparison.Ordinal));

        var forged = sas.Replace("sig=", "sig=AAAA", StringComparison.Ordinal);
        var refused = await Assert.ThrowsAsync<RemoteFsException>(() => provider.ConnectAsync(azurite.Server.Endpoint(container), azurite.Server.Options(key: null, ("sas", forged))));
        Assert.Equal(RemoteErrorKind.Authentication, refused.Kind);
    }

    [AzuriteFact]
    public async Task Connection_string_with_the_development_account_connects()
    {
        var container = NewContainer();
        using var provider = new AzureBlobFileSystemProvider();
        var options = new RemoteConnectionOptions
        {
            Settings = new Dictionary<string, string>
            {
                ["connection_string"] = $"DefaultEndpointsProtocol=http;AccountName={AzuriteServer.Account};AccountKey={AzuriteServer.Key};BlobEndpoint={azurite.Server.ServiceUrl};",
                ["create_container"] = "true",
            },
        };
        await using var fs = await provider.ConnectAsync(azurite.Server.Endpoint(container, "/base"), options);
        await Upload(fs, "relative.txt", [7]);
        Assert.Equal([7], await Download(fs, "/base/relative.txt"));
    }

    [AzuriteFact]
    public async Task Wrong_key_is_an_authentication_error_that_never_shows_the_key()
    {
        var container = NewContainer();
        var (provider, fs) = await ConnectAsync(container);
        using var _ = provider;
        await fs.DisposeAsync();
        var wrongKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(64));
        var ex = await Assert.ThrowsAsync<RemoteFsException>(() => provider.ConnectAsync(azurite.Server.Endpoint(container), azurite.Server.Options(wrongKey)));
        output.WriteLine(ex.Message);
        Assert.Equal(RemoteErrorKind.Authentication, ex.Kind);
        Assert.DoesNotContain(wrongKey, ex.ToString());
        Assert.Contains(container, ex.Message);
    }

    [AzuriteFact]
    public async Task Missing_container_and_missing_blob_are_not_found()
    {
        using var provider = new AzureBlobFileSystemProvider();
        var container = NewContainer();
        var ex = await Assert.ThrowsAsync<RemoteFsException>(() => provider.ConnectAsync(azurite.Server.Endpoint(container), azurite.Server.Options()));
        Assert.Equal(RemoteErrorKind.NotFound, ex.Kind);
        Assert.Contains(container, ex.Message);

        var (p2, fs) = await ConnectAsync();
        using var _ = p2;
        await using var __ = fs;
        var read = await Assert.ThrowsAsync<RemoteFsException>(() => fs.OpenReadAsync("/nope.bin"));
        Assert.Equal(RemoteErrorKind.NotFound, read.Kind);
        Assert.Contains("/nope.bin", read.Message);
        var copy = await Assert.ThrowsAsync<RemoteFsException>(() => fs.CopyAsync("/nope.bin", "/x"));
        Assert.Equal(RemoteErrorKind.NotFound, copy.Kind);
    }

    [AzuriteFact]
    public async Task Stopped_service_is_retried_then_a_transient_error()
    {
        var (provider, fs) = await ConnectAsync();
        using var _ = provider;
        await using var __ = fs;
        // A port where nothing listens stands for a stopped service: connection refused.
        var attempts = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var dead = new AzureBlobFileSystemProvider(null, attempts.Enqueue);
        using var ___ = dead;
        var options = azurite.Server.Options();
        options = options with { Settings = new Dictionary<string, string>(options.Settings) { ["endpoint"] = $"http://127.0.0.1:{ServerProcess.FreePort()}/devstoreaccount1" } };
        var ex = await Assert.ThrowsAsync<RemoteFsException>(() => dead.ConnectAsync(azurite.Server.Endpoint("c"), options));
        Assert.Equal(RemoteErrorKind.Transient, ex.Kind);
        Assert.Contains("Get container properties", ex.Message);
        Assert.DoesNotContain(AzuriteServer.Key, ex.ToString());
        // Retried (MaxAttempts = 2) before the typed error.
        Assert.Equal(2, attempts.Count(l => l == "> Get container properties /"));
    }

}
