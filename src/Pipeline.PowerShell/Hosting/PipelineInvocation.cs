using System.Management.Automation;
using Pipeline.Core.Execution;
using Pipeline.Core.Observability;
using Pipeline.Core.Records;
using Pipeline.PowerShell.Scripts;

namespace Pipeline.PowerShell.Hosting;

/// <summary>
/// One run of the engine inside one Invoke-Pipeline, across its BeginProcessing, ProcessRecord and EndProcessing:
/// the run starts at once on the engine's threads; piped objects feed its input as they come; its output records
/// are written as they are produced; everything it has to say reaches PowerShell on the cmdlet's thread, which
/// drains the <see cref="CmdletQueue"/> whenever it waits.
/// </summary>
internal sealed class PipelineInvocation : IDisposable
{
    private readonly PSCmdlet _cmdlet;
    private readonly CmdletQueue _queue;
    private readonly PipelineStreams _streams;
    private readonly RecordFeed? _feed;
    private readonly CancellationTokenSource _cancellation = new();
    private Task<RunResult>? _run;
    private Exception? _outputFailure;

    public PipelineInvocation(PSCmdlet cmdlet, CmdletQueue queue, PipelineStreams streams, bool hasPipelineInput)
    {
        _cmdlet = cmdlet;
        _queue = queue;
        _streams = streams;
        if (hasPipelineInput) _feed = new RecordFeed();
    }

    /// <summary>Starts the run; its input is the piped objects, when there are any.</summary>
    public void Start(PipelineExecutor executor, RunRequest request, IPipelineEventSink events)
    {
        request = request with
        {
            Input = _feed?.Batches,
            Output = WriteOutputAsync,
        };
        _run = Task.Run(() => executor.RunAsync(request, events, _cancellation.Token));
        _queue.RunPending();
    }

    /// <summary>Feeds one piped object to the run (dropped once the run has ended), writing meanwhile whatever
    /// the run produces.</summary>
    public void Feed(object? item)
    {
        if (_feed is null || _run is null) return;
        if (_run.IsFaulted) _run.GetAwaiter().GetResult();
        if (!_run.IsCompleted && RecordObjects.TryGetFields(item, out var names, out var values))
        {
            var added = _feed.AddAsync(names, values, _cancellation.Token);
            if (!added.IsCompleted) _queue.RunUntil(Task.WhenAny(added.AsTask(), _run));
        }
        _queue.RunPending();
    }

    /// <summary>Ends the input and waits for the run, writing what it produces; returns its result.</summary>
    /// <exception cref="Exception">What the engine threw (invalid definition, run locked, ...).</exception>
    public RunResult Finish()
    {
        if (_run is null) throw new InvalidOperationException("The run was not started.");
        if (_feed is not null)
        {
            var completed = _feed.CompleteAsync(_cancellation.Token).AsTask();
            _queue.RunUntil(Task.WhenAny(completed, _run));
            _feed.Abandon();
        }
        _queue.RunUntil(_run);
        _streams.Complete();
        _queue.RunPending();
        var result = _run.GetAwaiter().GetResult();
        if (_outputFailure is not null) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(_outputFailure);
        return result;
    }

    /// <summary>Stops the run (StopProcessing): running steps are cancelled, rollbacks run, the run is recorded as cancelled.</summary>
    public void Stop() => _cancellation.Cancel();

    public void Dispose()
    {
        if (_run is { IsCompleted: false })
        {
            // The pipeline ended early (a downstream error, a stop): let the run unwind without writing anything.
            _cancellation.Cancel();
            _feed?.Abandon();
            try
            {
                _queue.RunUntil(_run);
            }
            catch (Exception)
            {
                // Nothing can be reported any more.
            }
        }
        _cancellation.Dispose();
    }

    private ValueTask WriteOutputAsync(RecordBatch batch, CancellationToken cancellationToken) =>
        new(_queue.InvokeAsync(() =>
        {
            if (_queue.Stopped || _outputFailure is not null) return true;
            try
            {
                foreach (var row in batch.Rows) _cmdlet.WriteObject(RecordObjects.ToObject(batch.Schema, row));
            }
            catch (PipelineStoppedException)
            {
                _cancellation.Cancel();
            }
            catch (Exception ex)
            {
                // A command further down the pipeline failed: stop the run, and rethrow once it has been recorded.
                _outputFailure ??= ex;
                _cancellation.Cancel();
            }
            return true;
        }, cancellationToken));
}
