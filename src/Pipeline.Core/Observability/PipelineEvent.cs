using Pipeline.Core.Execution;
using Pipeline.Core.State;

namespace Pipeline.Core.Observability;

/// <summary>What an event reports.</summary>
public enum PipelineEventKind
{
    /// <summary>The run was planned: the message lists the levels.</summary>
    RunPlanned,
    /// <summary>The run started.</summary>
    RunStarted,
    /// <summary>A step attempt started.</summary>
    StepStarted,
    /// <summary>A step attempt failed; <see cref="PipelineEvent.Delay"/> is set when it will be retried.</summary>
    AttemptFailed,
    /// <summary>A step will be retried after <see cref="PipelineEvent.Delay"/>.</summary>
    StepRetrying,
    /// <summary>A step attempt ran past its timeout.</summary>
    StepTimedOut,
    /// <summary>A step succeeded.</summary>
    StepSucceeded,
    /// <summary>A step failed for good.</summary>
    StepFailed,
    /// <summary>A step was skipped (trigger, condition, or an upstream failure); the message says why.</summary>
    StepSkipped,
    /// <summary>A step was cancelled.</summary>
    StepCancelled,
    /// <summary>A step's result was carried over from the run being resumed.</summary>
    StepResumed,
    /// <summary>A step wrote to the log.</summary>
    StepLog,
    /// <summary>A step reported progress (<see cref="PipelineEvent.Progress"/>).</summary>
    StepProgress,
    /// <summary>A rollback action started.</summary>
    RollbackStarted,
    /// <summary>A rollback action succeeded.</summary>
    RollbackSucceeded,
    /// <summary>A rollback action failed.</summary>
    RollbackFailed,
    /// <summary>An alert for the summary (slow step, retries needed).</summary>
    Alert,
    /// <summary>The run finished; <see cref="PipelineEvent.Status"/> is its outcome.</summary>
    RunFinished,
}

/// <summary>
/// One decision or observation of the engine. Every message is masked before it is raised. Hosts turn events into
/// their own streams (Write-Progress, Write-Verbose, terminal lines, JSON lines).
/// </summary>
public sealed record PipelineEvent
{
    /// <summary>What happened.</summary>
    public required PipelineEventKind Kind { get; init; }
    /// <summary>When.</summary>
    public required DateTimeOffset Time { get; init; }
    /// <summary>The run.</summary>
    public required string RunId { get; init; }
    /// <summary>The pipeline.</summary>
    public required string PipelineId { get; init; }
    /// <summary>The step, when the event is about one.</summary>
    public string? StepId { get; init; }
    /// <summary>The attempt, from 1.</summary>
    public int? Attempt { get; init; }
    /// <summary>A human-readable message.</summary>
    public string Message { get; init; } = "";
    /// <summary>The severity.</summary>
    public LogLevel Level { get; init; } = LogLevel.Information;
    /// <summary>The outcome, for finished steps and runs.</summary>
    public RunStatus? Status { get; init; }
    /// <summary>The error kind, for failures.</summary>
    public ErrorKind? ErrorKind { get; init; }
    /// <summary>How long the step or run took, for finished ones.</summary>
    public TimeSpan? Duration { get; init; }
    /// <summary>The wait before a retry.</summary>
    public TimeSpan? Delay { get; init; }
    /// <summary>Completion ratio from 0 to 1, for progress events and step ends.</summary>
    public double? Progress { get; init; }
    /// <summary>Steps finished and steps in all, for a run-level progress bar.</summary>
    public (int Done, int Total)? RunProgress { get; init; }
}

/// <summary>Receives events. Called from any thread, possibly concurrently: implementations must be thread-safe
/// and quick.</summary>
public interface IPipelineEventSink
{
    /// <summary>Receives one event.</summary>
    void OnEvent(PipelineEvent pipelineEvent);
}

/// <summary>Forwards events to several sinks.</summary>
public sealed class CompositeEventSink(params IPipelineEventSink[] sinks) : IPipelineEventSink
{
    /// <inheritdoc />
    public void OnEvent(PipelineEvent pipelineEvent)
    {
        foreach (var sink in sinks) sink.OnEvent(pipelineEvent);
    }
}

/// <summary>A sink that calls a delegate.</summary>
public sealed class DelegateEventSink(Action<PipelineEvent> action) : IPipelineEventSink
{
    /// <inheritdoc />
    public void OnEvent(PipelineEvent pipelineEvent) => action(pipelineEvent);
}
