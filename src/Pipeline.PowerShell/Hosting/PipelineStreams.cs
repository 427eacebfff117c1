using System.Diagnostics;
using System.Management.Automation;
using Pipeline.Core.Execution;
using Pipeline.Core.Observability;

namespace Pipeline.PowerShell.Hosting;

/// <summary>
/// Turns engine events into PowerShell streams, on the cmdlet's thread through its <see cref="CmdletQueue"/>:
/// failures to Write-Error, warnings to Write-Warning, the <c>log</c> step's messages to Write-Information, the
/// rest to Write-Verbose, and run progress to Write-Progress at most a few times a second, with a Completed record
/// at the end.
/// </summary>
internal sealed class PipelineStreams : IPipelineEventSink
{
    private static readonly long ProgressInterval = Stopwatch.Frequency / 4;
    private static int _nextActivityId = 0x5049;

    private readonly PSCmdlet _cmdlet;
    private readonly CmdletQueue _queue;
    private readonly bool _verbose;
    private readonly int _activityId = Interlocked.Increment(ref _nextActivityId);
    private readonly object _gate = new();
    private long _lastProgress;
    private string? _activity;
    private bool _progressWritten;

    public PipelineStreams(PSCmdlet cmdlet, CmdletQueue queue, bool verbose)
    {
        _cmdlet = cmdlet;
        _queue = queue;
        _verbose = verbose;
    }

    public void OnEvent(PipelineEvent e)
    {
        switch (e.Kind)
        {
            case PipelineEventKind.StepFailed:
                _queue.Post(() => _cmdlet.WriteError(ErrorRecords.StepFailed(e.StepId!, e.ErrorKind ?? ErrorKind.Unknown, e.Message)));
                break;
            case PipelineEventKind.RollbackFailed:
                _queue.Post(() => _cmdlet.WriteError(ErrorRecords.RollbackFailed(e.StepId!, e.ErrorKind ?? ErrorKind.Unknown, e.Message)));
                break;
            case PipelineEventKind.StepLog when e.Level == LogLevel.Information:
                _queue.Post(() => _cmdlet.WriteInformation(e.Message, ["Pipeline", e.StepId ?? e.PipelineId]));
                break;
            case PipelineEventKind.StepLog when e.Level == LogLevel.Error:
                _queue.Post(() => _cmdlet.WriteError(ErrorRecords.StepLoggedError(e.StepId, e.Message)));
                break;
            case PipelineEventKind.RunFinished:
                if (_verbose) _queue.Post(() => _cmdlet.WriteVerbose(e.Message));
                break;
            default:
                if (e.Level is LogLevel.Warning or LogLevel.Error) _queue.Post(() => _cmdlet.WriteWarning(e.Message));
                else if (_verbose) _queue.Post(() => _cmdlet.WriteVerbose(e.Message));
                break;
        }
        if (e.RunProgress is { } progress) Progress(e, progress.Done, progress.Total);
    }

    /// <summary>Writes the Completed progress record, if progress was shown.</summary>
    public void Complete()
    {
        lock (_gate)
        {
            if (!_progressWritten) return;
            _progressWritten = false;
        }
        var record = new ProgressRecord(_activityId, _activity ?? "Pipeline", "Done") { RecordType = ProgressRecordType.Completed };
        _queue.Post(() => _cmdlet.WriteProgress(record));
    }

    private void Progress(PipelineEvent e, int done, int total)
    {
        lock (_gate)
        {
            var now = Stopwatch.GetTimestamp();
            if (_progressWritten && now - _lastProgress < ProgressInterval) return;
            _lastProgress = now;
            _progressWritten = true;
            _activity ??= $"Pipeline '{e.PipelineId}' (run {e.RunId})";
        }
        var record = new ProgressRecord(_activityId, _activity, $"{done} of {total} steps finished")
        {
            CurrentOperation = e.Message,
            PercentComplete = total == 0 ? 0 : Math.Clamp(done * 100 / total, 0, 100),
        };
        _queue.Post(() => _cmdlet.WriteProgress(record));
    }
}
