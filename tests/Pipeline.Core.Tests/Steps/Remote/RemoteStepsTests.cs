using System.IO.Compression;
using Pipeline.Core.Execution;
using Pipeline.Core.Observability;
using Pipeline.Core.Steps;
using Pipeline.Core.Steps.Remote;

namespace Pipeline.Core.Tests.Steps.Remote;

/// <summary>The remote.* steps run as the engine runs them, against real local files and a real s3rver.</summary>
public sealed class RemoteStepsTests(RemoteStepServer s3) : IClassFixture<RemoteStepServer>, IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private StepRun Run(IStepHandler handler, CollectingRecordWriter? output = null) =>
        new(handler, _dir.Path) { FileSystems = s3.FileSystems(), Output = output };

    [S3rverStepFact]
    public async Task Files_go_up_are_listed_as_records_and_come_back_down()
    {
        var prefix = RemoteStepServer.NewPrefix();
        _dir.Write("out/a.csv", "id\n1\n");
        _dir.Write("out/sub/b.csv", "id\n2\n");
        _dir.Write("out/sub/c.txt", new byte[200_000]);

        var up = await Run(new RemoteUploadStep()).With("source", "out").With("destination", prefix + "/in/").With("recursive", true).ExecuteAsync();
        Assert.Equal(3L, up.Result("files"));
        Assert.Equal(200_010L, up.Result("bytes"));
        Assert.Equal(3, up.Context.Metrics.Files);
        Assert.Contains(up.Messages(LogLevel.Information), m => m.StartsWith("Uploaded 3 files (195.3 KiB)", StringComparison.Ordinal));

        var records = new CollectingRecordWriter();
        var list = await Run(new RemoteListStep(), records).With("path", prefix + "/in").With("recursive", true).ExecuteAsync();
        Assert.Equal("path:String, name:String, relative_path:String, size:Integer, modified:Timestamp, is_directory:Boolean, etag:String",
            records.Batches.Single().Schema.ToString());
        var rows = records.Rows.OrderBy(r => (string)r[2]!, StringComparer.Ordinal).ToList();
        Assert.Equal(["a.csv", "sub", "sub/b.csv", "sub/c.txt"], rows.Select(r => (string)r[2]!));
        Assert.Equal(prefix + "/in/sub/b.csv", rows[2][0]);
        Assert.Equal("b.csv", rows[2][1]);
        Assert.Equal(5L, rows[2][3]);
        Assert.IsType<DateTimeOffset>(rows[2][4]);
        Assert.Equal(true, rows[1][5]);
        Assert.Matches("^[0-9a-f]{32}$", (string)rows[2][6]!);
        Assert.Equal(4L, list.Result("count"));

        var csvOnly = new CollectingRecordWriter();
        await Run(new RemoteListStep(), csvOnly).With("path", prefix + "/in").With("recursive", true).With("pattern", "**/*.csv").With("include_directories", false).ExecuteAsync();
        Assert.Equal(["a.csv", "sub/b.csv"], csvOnly.Rows.Select(r => (string)r[2]!).Order(StringComparer.Ordinal));

        var down = await Run(new RemoteDownloadStep()).With("source", prefix + "/in").With("destination", "back").With("recursive", true).ExecuteAsync();
        Assert.Equal(3L, down.Result("files"));
        Assert.Equal(["a.csv", "sub/b.csv", "sub/c.txt"], _dir.Files("back"));
        Assert.Equal("id\n2\n", _dir.Read("back/sub/b.csv"));
    }

    [S3rverStepFact]
    public async Task A_glob_is_compressed_on_the_way_up_and_decompressed_on_the_way_down()
    {
        var prefix = RemoteStepServer.NewPrefix();
        var text = string.Concat(Enumerable.Repeat("a,b,c\n", 5000));
        _dir.Write("x.csv", text);
        _dir.Write("y.csv", "y\n");
        _dir.Write("z.txt", "not matched");

        await Run(new RemoteUploadStep()).With("source", "*.csv").With("destination", prefix + "/gz/").With("gzip", "compress").ExecuteAsync();
        var records = new CollectingRecordWriter();
        await Run(new RemoteListStep(), records).With("path", prefix + "/gz").ExecuteAsync();
        Assert.Equal(["x.csv.gz", "y.csv.gz"], records.Rows.Select(r => (string)r[1]!).Order(StringComparer.Ordinal));
        Assert.True((long)records.Rows.Single(r => (string)r[1]! == "x.csv.gz")[3]! < text.Length / 10);

        var down = await Run(new RemoteDownloadStep()).With("source", prefix + "/gz/*.gz").With("destination", "plain/").With("gzip", "decompress").ExecuteAsync();
        Assert.Equal(2L, down.Result("files"));
        Assert.Equal(text, _dir.Read("plain/x.csv"));
        Assert.Equal("y\n", _dir.Read("plain/y.csv"));
    }

    [S3rverStepFact]
    public async Task An_existing_destination_fails_the_step_as_a_conflict_unless_overwrite_is_set()
    {
        var prefix = RemoteStepServer.NewPrefix();
        _dir.Write("a.txt", "first");
        await Run(new RemoteUploadStep()).With("source", "a.txt").With("destination", prefix + "/a.txt").ExecuteAsync();
        _dir.Write("a.txt", "second");

        var run = Run(new RemoteUploadStep()).With("source", "a.txt").With("destination", prefix + "/a.txt");
        var error = await run.FailsAsync(ErrorKind.Conflict);
        Assert.Contains("1 of 1 file could not be uploaded", error.Message);
        Assert.Contains(run.Messages(LogLevel.Error), m => m.Contains("a.txt", StringComparison.Ordinal));

        await Run(new RemoteUploadStep()).With("source", "a.txt").With("destination", prefix + "/a.txt").With("overwrite", true).ExecuteAsync();
        await Run(new RemoteDownloadStep()).With("source", prefix + "/a.txt").With("destination", "check.txt").ExecuteAsync();
        Assert.Equal("second", _dir.Read("check.txt"));
    }

    [S3rverStepFact]
    public async Task Upload_and_download_say_which_way_they_go()
    {
        var prefix = RemoteStepServer.NewPrefix();
        _dir.Write("a.txt", "a");
        var upload = await Run(new RemoteUploadStep()).With("source", prefix + "/a.txt").With("destination", prefix + "/b.txt").FailsAsync(ErrorKind.Configuration);
        Assert.Contains("remote.upload reads local files", upload.Message);
        var download = await Run(new RemoteDownloadStep()).With("source", "a.txt").With("destination", "b.txt").FailsAsync(ErrorKind.Configuration);
        Assert.Contains("use file.copy", download.Message);
        var directory = await Run(new RemoteUploadStep()).With("source", ".").With("destination", prefix + "/").FailsAsync(ErrorKind.Configuration);
        Assert.Contains("set recursive: true", directory.Message);
        var missing = await Run(new RemoteDownloadStep()).With("source", prefix + "/nothing.txt").With("destination", "x").FailsAsync(ErrorKind.NotFound);
        Assert.Contains("nothing.txt", missing.Message);
        var bucket = await Run(new RemoteUploadStep()).With("source", "a.txt").With("destination", "s3://no-such-bucket/a.txt").FailsAsync(ErrorKind.NotFound);
        Assert.Contains("no-such-bucket", bucket.Message);
        await Run(new RemoteUploadStep()).With("source", "a.txt").With("destination", prefix + "/").With("parallelism", 0).FailsAsync(ErrorKind.Configuration);
    }

    [S3rverStepFact]
    public async Task Move_between_endpoints_deletes_each_source_after_its_verified_copy_and_renames_within_one()
    {
        var prefix = RemoteStepServer.NewPrefix();
        _dir.Write("outbox/1.json", "{}");
        _dir.Write("outbox/2.json", "[]");

        var up = await Run(new RemoteMoveStep()).With("source", "outbox/*.json").With("destination", prefix + "/inbox/").ExecuteAsync();
        Assert.Equal(2L, up.Result("files"));
        Assert.Empty(_dir.Files("outbox"));

        var rename = await Run(new RemoteMoveStep()).With("source", prefix + "/inbox/1.json").With("destination", prefix + "/done/1.json").ExecuteAsync();
        Assert.Contains(rename.Messages(LogLevel.Verbose), m => m.Contains("renamed", StringComparison.Ordinal));
        var records = new CollectingRecordWriter();
        await Run(new RemoteListStep(), records).With("path", prefix).With("recursive", true).With("include_directories", false).ExecuteAsync();
        Assert.Equal(["done/1.json", "inbox/2.json"], records.Rows.Select(r => (string)r[2]!).Order(StringComparer.Ordinal));

        await Run(new RemoteDeleteStep()).With("path", prefix + "/inbox/*.json").ExecuteAsync();
        var after = new CollectingRecordWriter();
        await Run(new RemoteListStep(), after).With("path", prefix).With("recursive", true).With("include_directories", false).ExecuteAsync();
        Assert.Equal(["done/1.json"], after.Rows.Select(r => (string)r[2]!));
    }

    [S3rverStepFact]
    public async Task Sync_with_dry_run_lists_the_plan_and_changes_nothing_then_applies_it()
    {
        var prefix = RemoteStepServer.NewPrefix();
        _dir.Write("site/index.html", "<h1>new</h1>");
        _dir.Write("site/css/a.css", "a{}");
        await Run(new RemoteUploadStep()).With("source", "site/css/a.css").With("destination", prefix + "/site/css/a.css").ExecuteAsync();
        File.SetLastWriteTimeUtc(_dir["site/css/a.css"], DateTime.UtcNow.AddHours(-1));
        _dir.Write("old/gone.html", "old");
        await Run(new RemoteUploadStep()).With("source", "old/gone.html").With("destination", prefix + "/site/gone.html").ExecuteAsync();

        StepRun Sync() => Run(new RemoteSyncStep()).With("source", "site").With("destination", prefix + "/site").With("delete_extra", true);
        var dry = await Sync().With("dry_run", true).ExecuteAsync();
        Assert.Equal(
            ["Would Delete  gone.html  (not in the source)", "Would Copy    index.html  (missing at the destination)"],
            dry.Messages(LogLevel.Information).Where(m => m.StartsWith("Would", StringComparison.Ordinal)));
        Assert.Equal(1L, dry.Result("copied"));
        Assert.Equal(1L, dry.Result("skipped"));
        Assert.Equal(1L, dry.Result("deleted"));
        Assert.Equal(0L, dry.Result("files"));

        var real = await Sync().ExecuteAsync();
        Assert.Equal(1L, real.Result("files"));
        Assert.Equal(1L, real.Result("deleted"));
        var again = await Sync().ExecuteAsync();
        Assert.Equal(0L, again.Result("files"));
        Assert.Equal(2L, again.Result("skipped"));
    }

    [S3rverStepFact]
    public async Task Progress_is_logged_at_verbose_level_as_the_clock_allows()
    {
        var prefix = RemoteStepServer.NewPrefix();
        _dir.Write("big.bin", new byte[6 * 1024 * 1024]);
        var run = Run(new RemoteUploadStep()).With("source", "big.bin").With("destination", prefix + "/big.bin").With("progress_interval", "1s");
        run.Time = new SteppingTimeProvider(TimeSpan.FromSeconds(1));
        await run.ExecuteAsync();
        var progress = run.Messages(LogLevel.Verbose).Where(m => m.Contains("% ), ", StringComparison.Ordinal) || m.Contains("%), ", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(progress);
        Assert.Contains(progress, m => m.Contains("of 6.0 MiB", StringComparison.Ordinal) && m.Contains("0 of 1 files", StringComparison.Ordinal));
    }
}
