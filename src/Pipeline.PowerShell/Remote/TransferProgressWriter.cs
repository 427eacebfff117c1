using System.Globalization;
using System.Management.Automation;
using Pipeline.PowerShell.Hosting;
using Pipeline.RemoteFs.Transfers;

namespace Pipeline.PowerShell.Remote;

/// <summary>
/// Turns a transfer's progress reports (already throttled to a few a second, raised on worker threads) into
/// Write-Progress records posted to the cmdlet's thread, so that <c>$ProgressPreference</c> decides what is shown;
/// and makes sure a Completed record ends the activity even when the transfer fails.
/// </summary>
internal sealed class TransferProgressWriter : IProgress<TransferProgress>
{
    private static int _nextActivityId = 0x5246;

    private readonly Cmdlet _cmdlet;
    private readonly CmdletQueue _queue;
    private readonly string _activity;
    private readonly int _activityId = Interlocked.Increment(ref _nextActivityId);
    private int _written;
    private int _completed;

    public TransferProgressWriter(Cmdlet cmdlet, CmdletQueue queue, string activity)
    {
        _cmdlet = cmdlet;
        _queue = queue;
        _activity = activity;
    }

    /// <inheritdoc />
    public void Report(TransferProgress value)
    {
        var record = Describe(value);
        if (value.Completed && Interlocked.Exchange(ref _completed, 1) == 1) return;
        Interlocked.Exchange(ref _written, 1);
        _queue.Post(() => _cmdlet.WriteProgress(record));
    }

    /// <summary>On the cmdlet's thread: writes the Completed record if progress was shown and has not ended.</summary>
    public void Finish()
    {
        _queue.RunPending();
        if (Volatile.Read(ref _written) == 0 || Interlocked.Exchange(ref _completed, 1) == 1) return;
        try
        {
            _cmdlet.WriteProgress(new ProgressRecord(_activityId, _activity, "Done") { RecordType = ProgressRecordType.Completed });
        }
        catch (PipelineStoppedException)
        {
            // The pipeline is stopping: nothing more can be shown.
        }
    }

    internal ProgressRecord Describe(TransferProgress progress)
    {
        var status = string.Create(CultureInfo.InvariantCulture,
            $"{progress.FilesDone} of {progress.FilesTotal} files, {Size(progress.BytesTransferred)}{(progress.TotalBytes is { } total ? " of " + Size(total) : "")}, {Size((long)progress.BytesPerSecond)}/s");
        var record = new ProgressRecord(_activityId, _activity, status)
        {
            PercentComplete = progress.PercentComplete,
            RecordType = progress.Completed ? ProgressRecordType.Completed : ProgressRecordType.Processing,
        };
        if (progress.Path.Length > 0) record.CurrentOperation = progress.Path;
        if (progress.Remaining is { } remaining) record.SecondsRemaining = (int)Math.Min(int.MaxValue, Math.Ceiling(remaining.TotalSeconds));
        return record;
    }

    internal static string Size(long bytes)
    {
        string[] units = ["B", "KiB", "MiB", "GiB", "TiB"];
        double value = bytes;
        var unit = 0;
        while (value >= 1024 && unit < units.Length - 1)
        {
            value /= 1024;
            unit++;
        }
        return unit == 0 ? string.Create(CultureInfo.InvariantCulture, $"{bytes} B") : string.Create(CultureInfo.InvariantCulture, $"{value:0.0} {units[unit]}");
    }
}
