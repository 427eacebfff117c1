using Pipeline.RemoteFs.Local;
using Pipeline.RemoteFs.Transfers;

namespace Pipeline.RemoteFs.Tests.Transfers;

/// <summary>Progress is throttled by the injected clock (no sleeps) and always ends with one completed report.</summary>
public sealed class ProgressTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("pipeline-transfer-progress-").FullName;
    private readonly LocalFileSystem _fs = new();

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private long MakeFiles(int count, int size)
    {
        Directory.CreateDirectory(Path.Combine(_root, "src"));
        for (var i = 0; i < count; i++) File.WriteAllBytes(Path.Combine(_root, "src", $"f{i:D3}.bin"), TestData.Random(size, i));
        return (long)count * size;
    }

    [Fact]
    public async Task A_clock_that_stands_still_gives_one_report_and_the_completed_one()
    {
        var total = MakeFiles(40, 3 * 1024 * 1024 / 2);
        var reports = new ProgressRecorder();
        var options = new TransferOptions { Progress = reports, TimeProvider = new SteppingTimeProvider(TimeSpan.Zero), Parallelism = 2 };
        var result = await new RemoteTransfer(options).CopyAsync(_fs, Path.Combine(_root, "src"), _fs, Path.Combine(_root, "dst"));
        Assert.True(result.Succeeded);
        Assert.Equal(2, reports.Reports.Count);
        var last = reports.Reports.Last();
        Assert.True(last.Completed);
        Assert.Equal(total, last.BytesTransferred);
        Assert.Equal(40, last.FilesDone);
        Assert.Equal(40, last.FilesTotal);
        Assert.Equal(100, last.PercentComplete);
    }

    [Fact]
    public async Task Reports_come_at_most_once_per_interval_of_the_clock_with_rate_and_time_left()
    {
        var total = MakeFiles(30, 2 * 1024 * 1024);
        var reports = new ProgressRecorder();
        // Each reading of the clock moves it 50 ms: with a 250 ms interval about one event in five is reported.
        var clock = new SteppingTimeProvider(TimeSpan.FromMilliseconds(50));
        var options = new TransferOptions { Progress = reports, TimeProvider = clock, ProgressInterval = TimeSpan.FromMilliseconds(250), Parallelism = 1 };
        var result = await new RemoteTransfer(options).CopyAsync(_fs, Path.Combine(_root, "src"), _fs, Path.Combine(_root, "dst"));
        Assert.True(result.Succeeded);

        var events = 30 * 2 /* 1 MiB chunks */ + 30 /* files done */;
        var all = reports.Reports.ToList();
        Assert.InRange(all.Count, 5, events / 4);
        Assert.Single(all, r => r.Completed);
        Assert.True(all[^1].Completed);
        var middle = all[all.Count / 2];
        Assert.True(middle.BytesPerSecond > 0);
        Assert.NotNull(middle.Remaining);
        Assert.Equal(total, middle.TotalBytes);
        Assert.True(all.Zip(all.Skip(1)).All(p => p.First.BytesTransferred <= p.Second.BytesTransferred), "bytes only grow");
    }

    [Fact]
    public void Invalid_options_are_refused_by_name_before_anything_moves()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new RemoteTransfer(new TransferOptions { Parallelism = 0 }));
        Assert.Equal("Parallelism", error.ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => new RemoteSync(new TransferOptions { Gzip = GzipMode.Compress }));
    }
}
