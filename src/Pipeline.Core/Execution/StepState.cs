using Pipeline.Core.Planning;
using Pipeline.Core.Records;
using Pipeline.Core.State;

namespace Pipeline.Core.Execution;

/// <summary>What the executor knows of one step during a run. Touched only by the scheduler loop, except the
/// fields a running step fills before it reports completion.</summary>
internal sealed class StepState(PlannedStep planned)
{
    public PlannedStep Planned { get; } = planned;
    public RunStatus Status { get; set; } = RunStatus.Pending;
    public bool Started { get; set; }
    /// <summary>Waiting in the ready queue: it must not be queued again by another upstream step finishing.</summary>
    public bool Queued { get; set; }
    public bool Finished { get; set; }
    public bool CountsAsFailed { get; set; }
    public bool Resumed { get; set; }
    public string? Reason { get; set; }
    public int Attempts { get; set; }
    public DateTimeOffset? StartedAt { get; set; }
    public DateTimeOffset? EndedAt { get; set; }
    public long Rows { get; set; }
    public long Bytes { get; set; }
    public long Files { get; set; }
    public ErrorKind? ErrorKind { get; set; }
    public string? Error { get; set; }
    public IReadOnlyDictionary<string, object?> Outputs { get; set; } = new Dictionary<string, object?>();
    public RunStatus? RollbackStatus { get; set; }
    public RecordBroadcast? Output { get; set; }
    /// <summary>The named outputs some step reads, by name.</summary>
    public Dictionary<string, RecordBroadcast> Ports { get; } = new(StringComparer.Ordinal);
    /// <summary>The step's checkpoints, made on its first attempt.</summary>
    public Steps.StepCheckpoints? Checkpoints { get; set; }
    /// <summary>Batches written to the main and named outputs: a step that wrote any cannot be retried.</summary>
    public long BatchesWritten => (Output?.Batches ?? 0) + Ports.Values.Sum(p => p.Batches);

    /// <summary>Ends the main and named outputs, with <paramref name="error"/> when the step failed.</summary>
    public void CompleteOutputs(Exception? error = null)
    {
        if (error is null) Output?.Complete();
        else Output?.Complete(error);
        foreach (var port in Ports.Values)
        {
            if (error is null) port.Complete();
            else port.Complete(error);
        }
    }
    public IReadOnlyDictionary<string, IAsyncEnumerable<RecordBatch>> Inputs { get; set; } = new Dictionary<string, IAsyncEnumerable<RecordBatch>>();
    public int PendingControl { get; set; }
    public int PendingInputs { get; set; }
    public int PendingGate { get; set; }
    public string? InputUnavailable { get; set; }
    public int FinishOrder { get; set; }
}
