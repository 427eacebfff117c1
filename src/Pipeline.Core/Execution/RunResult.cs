using Pipeline.Core.Observability;
using Pipeline.Core.State;

namespace Pipeline.Core.Execution;

/// <summary>The outcome of one step in a run.</summary>
public sealed record StepResult
{
    /// <summary>The step's id.</summary>
    public required string StepId { get; init; }
    /// <summary>The display name.</summary>
    public required string Name { get; init; }
    /// <summary>The step type.</summary>
    public required string Type { get; init; }
    /// <summary>The outcome.</summary>
    public RunStatus Status { get; init; }
    /// <summary>Attempts made (0 when it did not run).</summary>
    public int Attempts { get; init; }
    /// <summary>When the first attempt started.</summary>
    public DateTimeOffset? StartedAt { get; init; }
    /// <summary>When the last attempt ended.</summary>
    public DateTimeOffset? EndedAt { get; init; }
    /// <summary>From the first start to the last end.</summary>
    public TimeSpan? Duration => EndedAt - StartedAt;
    /// <summary>Rows handled.</summary>
    public long Rows { get; init; }
    /// <summary>Bytes handled.</summary>
    public long Bytes { get; init; }
    /// <summary>Files handled.</summary>
    public long Files { get; init; }
    /// <summary>The kind of the last failure.</summary>
    public ErrorKind? ErrorKind { get; init; }
    /// <summary>The last failure's message (masked).</summary>
    public string? Error { get; init; }
    /// <summary>Why the step was skipped or not run.</summary>
    public string? Reason { get; init; }
    /// <summary>Values the step published.</summary>
    public IReadOnlyDictionary<string, object?> Outputs { get; init; } = new Dictionary<string, object?>();
    /// <summary>Whether the result was carried over from the run being resumed.</summary>
    public bool Resumed { get; init; }
    /// <summary>The outcome of this step's rollback action, if one ran.</summary>
    public RunStatus? RollbackStatus { get; init; }
}

/// <summary>The outcome of a run.</summary>
public sealed record RunResult
{
    /// <summary>The run's id.</summary>
    public required string RunId { get; init; }
    /// <summary>The pipeline's id.</summary>
    public required string PipelineId { get; init; }
    /// <summary>The outcome.</summary>
    public RunStatus Status { get; init; }
    /// <summary>When it started.</summary>
    public DateTimeOffset StartedAt { get; init; }
    /// <summary>When it ended.</summary>
    public DateTimeOffset EndedAt { get; init; }
    /// <summary>How long it took.</summary>
    public TimeSpan Duration => EndedAt - StartedAt;
    /// <summary>Every step in plan order.</summary>
    public IReadOnlyList<StepResult> Steps { get; init; } = [];
    /// <summary>The first failure (masked).</summary>
    public string? Error { get; init; }
    /// <summary>The run this one resumed.</summary>
    public string? ResumedFrom { get; init; }
    /// <summary>Figures and alerts.</summary>
    public required RunSummary Summary { get; init; }
    /// <summary>Whether the run succeeded.</summary>
    public bool Succeeded => Status == RunStatus.Succeeded;
}
