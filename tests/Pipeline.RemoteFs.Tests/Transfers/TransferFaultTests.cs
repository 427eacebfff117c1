using Pipeline.RemoteFs.Local;
using Pipeline.RemoteFs.S3;
using Pipeline.RemoteFs.Tests.S3;
using Pipeline.RemoteFs.Transfers;

namespace Pipeline.RemoteFs.Tests.Transfers;

/// <summary>What a transfer does when things go wrong: servers that stop, bad credentials, missing buckets, sources that
/// change, cancellations, interrupted downloads.</summary>
public sealed class TransferFaultTests(TransferServers servers) : IClassFixture<TransferServers>, IDisposable
{
    private readonly string _local = Directory.CreateTempSubdirectory("pipeline-transfer-faults-").FullName;
    private readonly LocalFileSystem _fs = new();

    public void Dispose() => Directory.Delete(_local, recursive: true);

    private string Local(string relative) => Path.Combine(_local, relative.Replace('/', Path.DirectorySeparatorChar));

    private string WriteLocal(string relative, byte[] content)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Local(relative))!);
        File.WriteAllBytes(Local(relative), content);
        return Local(relative);
    }

    private IEnumerable<string> LeftOvers(string directory) =>
        Directory.Exists(directory) ? Directory.EnumerateFileSystemEntries(directory, "*", SearchOption.AllDirectories) : [];

    [TransferTheory]
    [InlineData("download")]
    [InlineData("upload")]
    public async Task A_server_stopped_mid_transfer_is_retried_then_fails_as_transient(string direction)
    {
        var server = await S3rverServer.StartAsync();
        try
        {
            await using var s3 = await TransferServers.OpenS3Async(server);
            var content = TestData.Random(6 * 1024 * 1024, 5);
            if (direction == "download") await s3.WriteAsync("big.bin", content);
            else WriteLocal("big.bin", content);
            var stopped = 0;
            var options = new TransferOptions
            {
                MaxAttempts = 3,
                RetryDelay = TimeSpan.Zero,
                ProgressInterval = TimeSpan.Zero,
                Progress = new ProgressRecorder(p =>
                {
                    if (p.BytesTransferred > 0 && Interlocked.Exchange(ref stopped, 1) == 0)
                        server.DisposeAsync().AsTask().GetAwaiter().GetResult();
                }),
            };
            var result = direction == "download"
                ? await new RemoteTransfer(options).CopyAsync(s3.Fs, s3.Path("big.bin"), _fs, Local("out/big.bin"))
                : await new RemoteTransfer(options).CopyAsync(_fs, Local("big.bin"), s3.Fs, s3.Path("up/big.bin"));

            var failure = Assert.Single(result.Failures);
            Assert.Equal(RemoteErrorKind.Transient, failure.Error.Kind);
            Assert.Equal(3, failure.Attempts);
            Assert.Contains("big.bin", failure.Error.Message);
            Assert.Empty(LeftOvers(Local("out")));
        }
        finally
        {
            await server.DisposeAsync();
        }
    }

    [TransferTheory]
    [InlineData("s3")]
    [InlineData("azure")]
    public async Task Wrong_credentials_fail_as_an_authentication_error_without_the_secret_in_the_message(string kind)
    {
        // s3rver checks the access key but not SigV4 signatures, so the S3 case uses a wrong key pair.
        var secret = Convert.ToBase64String(TestData.Random(64, 12));
        await using var provider = new S3FileSystemProvider();
        using var azureProvider = new Pipeline.RemoteFs.Azure.AzureBlobFileSystemProvider();
        WriteLocal("a.txt", "a"u8.ToArray());
        // Connecting may already find out (Azure checks the container); otherwise the transfer does.
        var error = await Assert.ThrowsAsync<RemoteFsException>(async () =>
        {
            await using var fs = kind == "s3"
                ? await provider.ConnectAsync(servers.S3!.Endpoint(),
                    servers.S3.Options(accessKey: "OTHER", secret: secret, settings: new Dictionary<string, string> { ["check_bucket"] = "false" }))
                : await azureProvider.ConnectAsync(servers.Azurite!.Endpoint("wrongkey"), servers.Azurite.Options(secret));
            (await new RemoteTransfer().CopyAsync(_fs, Local("a.txt"), fs, "/x/a.txt")).ThrowIfFailed();
        });
        Assert.Equal(RemoteErrorKind.Authentication, error.Kind);
        Assert.DoesNotContain(secret, error.ToString());
    }

    [TransferFact]
    public async Task A_missing_bucket_fails_as_not_found_naming_the_bucket()
    {
        var server = servers.S3!;
        await using var provider = new S3FileSystemProvider();
        await using var fs = await provider.ConnectAsync(server.Endpoint(bucket: "no-such-bucket"),
            server.Options(settings: new Dictionary<string, string> { ["check_bucket"] = "false" }));
        WriteLocal("a.txt", "a"u8.ToArray());
        var error = await Assert.ThrowsAsync<RemoteFsException>(async () => (await new RemoteTransfer().CopyAsync(_fs, Local("a.txt"), fs, "/x/a.txt")).ThrowIfFailed());
        Assert.Equal(RemoteErrorKind.NotFound, error.Kind);
        Assert.Contains("no-such-bucket", error.Message);
    }

    [TransferFact]
    public async Task A_download_damaged_on_the_way_is_detected_as_it_streams_and_nothing_is_left()
    {
        await using var backend = await servers.OpenAsync("s3");
        var content = TestData.Random(300_000, 21);
        await backend.WriteAsync("damaged.bin", content);

        // Intact: one GET, checked against the ETag while it streams, no second read of the object or of the file.
        var intact = new ReadRecordingFileSystem(backend.Fs);
        var good = await new RemoteTransfer().CopyAsync(intact, backend.Path("damaged.bin"), _fs, Local("good/damaged.bin"));
        Assert.True(good.Succeeded, string.Join("; ", good.Failures.Select(f => f.Error.Message)));
        Assert.Equal(content, File.ReadAllBytes(Local("good/damaged.bin")));
        Assert.Equal([(backend.Path("damaged.bin"), 0L, (long?)null)], intact.Reads);
        Assert.True(Assert.Single(good.Transferred).Checksum!.Native);

        // The server now sends one byte changed under the same length and ETag.
        servers.S3!.DamageStoredObject(backend.Path("damaged.bin").TrimStart('/'), 123_456);
        var result = await new RemoteTransfer(new TransferOptions { Overwrite = true }).CopyAsync(backend.Fs, backend.Path("damaged.bin"), _fs, Local("good/damaged.bin"));
        var failure = Assert.Single(result.Failures);
        Assert.Equal(RemoteErrorKind.Io, failure.Error.Kind);
        Assert.Contains("damaged", failure.Error.Message);
        Assert.Equal(1, failure.Attempts);
        // The good copy from before is untouched, and no temporary file is left beside it.
        Assert.Equal(content, File.ReadAllBytes(Local("good/damaged.bin")));
        Assert.Equal([Local("good/damaged.bin")], LeftOvers(Local("good")));
    }

    [TransferTheory]
    [InlineData("s3")]
    [InlineData("azure")]
    public async Task An_object_changed_during_download_is_detected_and_nothing_is_left(string kind)
    {
        await using var backend = await servers.OpenAsync(kind);
        await backend.WriteAsync("moving.bin", TestData.Random(2 * 1024 * 1024, 6));
        var changed = 0;
        var options = new TransferOptions
        {
            ParallelPartThreshold = 1024 * 1024,
            PartSize = 256 * 1024,
            PartParallelism = 2,
            ProgressInterval = TimeSpan.Zero,
            Progress = new ProgressRecorder(p =>
            {
                if (p.BytesTransferred > 0 && Interlocked.Exchange(ref changed, 1) == 0)
                    backend.WriteAsync("moving.bin", TestData.Random(2 * 1024 * 1024, 7)).GetAwaiter().GetResult();
            }),
        };
        var result = await new RemoteTransfer(options).CopyAsync(backend.Fs, backend.Path("moving.bin"), _fs, Local("out/moving.bin"));
        var failure = Assert.Single(result.Failures);
        Assert.Equal(RemoteErrorKind.Conflict, failure.Error.Kind);
        Assert.Contains("changed while it was copied", failure.Error.Message);
        Assert.Empty(LeftOvers(Local("out")));
    }

    [TransferTheory]
    [InlineData("s3")]
    [InlineData("azure")]
    [InlineData("local")]
    public async Task Cancellation_mid_upload_leaves_nothing_under_the_final_name(string kind)
    {
        await using var backend = await servers.OpenAsync(kind);
        WriteLocal("big.bin", TestData.Random(12 * 1024 * 1024, 8));
        using var cancel = new CancellationTokenSource();
        var options = new TransferOptions
        {
            ProgressInterval = TimeSpan.Zero,
            Progress = new ProgressRecorder(p =>
            {
                if (p.BytesTransferred > 7 * 1024 * 1024) cancel.Cancel();
            }),
        };
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            new RemoteTransfer(options).CopyAsync(_fs, Local("big.bin"), backend.Fs, backend.Path("up/big.bin"), cancel.Token));
        Assert.Null(await backend.Fs.StatAsync(backend.Path("up/big.bin")));
        if (backend.Fs is LocalFileSystem) Assert.Empty(LeftOvers(backend.Path("up")));
    }

    [TransferTheory]
    [InlineData("s3", false)]
    [InlineData("s3", true)]
    [InlineData("azure", false)]
    [InlineData("azure", true)]
    public async Task An_interrupted_download_resumes_from_where_it_stopped(string kind, bool parallel)
    {
        await using var backend = await servers.OpenAsync(kind);
        var content = TestData.Random(6 * 1024 * 1024, 9);
        await backend.WriteAsync("resume.bin", content);
        var destination = Local("out/resume.bin");
        using var cancel = new CancellationTokenSource();
        var options = new TransferOptions
        {
            Resume = true,
            ParallelPartThreshold = parallel ? 1024 * 1024 : long.MaxValue,
            PartSize = 512 * 1024,
            PartParallelism = 2,
            ProgressInterval = TimeSpan.Zero,
            Progress = new ProgressRecorder(p =>
            {
                if (p.BytesTransferred > 3 * 1024 * 1024) cancel.Cancel();
            }),
        };
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            new RemoteTransfer(options).CopyAsync(backend.Fs, backend.Path("resume.bin"), _fs, destination, cancel.Token));
        Assert.False(File.Exists(destination));
        var partial = Local("out/.resume.bin.partial");
        Assert.True(File.Exists(partial), "the partial download is kept for resuming");
        Assert.True(File.Exists(partial + ".source"));

        var recording = new ReadRecordingFileSystem(backend.Fs);
        var reports = new ProgressRecorder();
        var result = await new RemoteTransfer(options with { Progress = reports }).CopyAsync(recording, backend.Path("resume.bin"), _fs, destination);
        Assert.True(result.Succeeded, string.Join("; ", result.Failures.Select(f => f.Error.Message)));
        Assert.Equal(content, File.ReadAllBytes(destination));
        Assert.False(File.Exists(partial));
        Assert.False(File.Exists(partial + ".source"));
        var fetched = recording.Reads.Sum(r => r.Length ?? content.Length - r.Offset);
        Assert.True(fetched <= content.Length - 2 * 1024 * 1024, $"the second run fetched {fetched} of {content.Length} bytes");
        if (!parallel) Assert.True(Assert.Single(recording.Reads).Offset > 0);
        Assert.Equal(content.Length, reports.Reports.Last().BytesTransferred);
    }

    [TransferFact]
    public async Task A_partial_download_of_another_version_is_not_resumed()
    {
        await using var backend = await servers.OpenAsync("s3");
        await backend.WriteAsync("v.bin", TestData.Random(1024 * 1024, 10));
        Directory.CreateDirectory(Local("out"));
        File.WriteAllBytes(Local("out/.v.bin.partial"), TestData.Random(4096, 11));
        File.WriteAllText(Local("out/.v.bin.partial.source"), "1048576|\"some-other-etag\"||sequential\n");
        var recording = new ReadRecordingFileSystem(backend.Fs);
        var result = await new RemoteTransfer(new TransferOptions { Resume = true }).CopyAsync(recording, backend.Path("v.bin"), _fs, Local("out/v.bin"));
        Assert.True(result.Succeeded);
        Assert.Equal(TestData.Random(1024 * 1024, 10), File.ReadAllBytes(Local("out/v.bin")));
        Assert.Equal(0, Assert.Single(recording.Reads).Offset);
    }
}
