namespace Pipeline.Core.State;

/// <summary>The outcome of a run or a step attempt.</summary>
public enum RunStatus
{
    /// <summary>Not started yet.</summary>
    Pending,
    /// <summary>Running now.</summary>
    Running,
    /// <summary>Finished successfully.</summary>
    Succeeded,
    /// <summary>Finished with a failure.</summary>
    Failed,
    /// <summary>Stopped by the user or the host.</summary>
    Cancelled,
    /// <summary>Not run: its trigger or condition said no, or an upstream step failed.</summary>
    Skipped,
    /// <summary>A run whose process died before it could record an end (found when its lock was taken over).</summary>
    Abandoned,
}

/// <summary>One run of a pipeline as recorded by the store.</summary>
public sealed record RunRecord
{
    /// <summary>The run's id.</summary>
    public required string RunId { get; init; }
    /// <summary>The pipeline's id.</summary>
    public required string PipelineId { get; init; }
    /// <summary>The status.</summary>
    public RunStatus Status { get; init; }
    /// <summary>When the run started.</summary>
    public DateTimeOffset StartedAt { get; init; }
    /// <summary>When the run ended, if it did.</summary>
    public DateTimeOffset? EndedAt { get; init; }
    /// <summary>The caller's variables (values of secrets never appear here).</summary>
    public IReadOnlyDictionary<string, string> Variables { get; init; } = new Dictionary<string, string>();
    /// <summary>The definition file, when the run came from one.</summary>
    public string? DefinitionPath { get; init; }
    /// <summary>The definition text as it was when the run started (so a resume runs the same pipeline).</summary>
    public string? DefinitionText { get; init; }
    /// <summary>The run this one resumes, if any.</summary>
    public string? ResumedFrom { get; init; }
    /// <summary>The first error of a failed run (masked).</summary>
    public string? Error { get; init; }
    /// <summary>The machine that ran it.</summary>
    public string Host { get; init; } = Environment.MachineName;
    /// <summary>The process that ran it.</summary>
    public int ProcessId { get; init; } = Environment.ProcessId;
}

/// <summary>One attempt of one step.</summary>
public sealed record StepAttemptRecord
{
    /// <summary>The run's id.</summary>
    public required string RunId { get; init; }
    /// <summary>The step's id.</summary>
    public required string StepId { get; init; }
    /// <summary>The attempt number, from 1 (0 for a step that never ran: skipped).</summary>
    public int Attempt { get; init; }
    /// <summary>The outcome.</summary>
    public RunStatus Status { get; init; }
    /// <summary>When the attempt started.</summary>
    public DateTimeOffset StartedAt { get; init; }
    /// <summary>When it ended.</summary>
    public DateTimeOffset? EndedAt { get; init; }
    /// <summary>The error kind's snake_case name, for failures.</summary>
    public string? ErrorKind { get; init; }
    /// <summary>The error message (masked).</summary>
    public string? ErrorMessage { get; init; }
    /// <summary>Rows handled.</summary>
    public long Rows { get; init; }
    /// <summary>Bytes handled.</summary>
    public long Bytes { get; init; }
    /// <summary>Other metrics and outputs, as JSON text.</summary>
    public string? MetricsJson { get; init; }
    /// <summary>Whether this was a rollback action rather than the step itself.</summary>
    public bool IsRollback { get; init; }
    /// <summary>The duration, when ended.</summary>
    public TimeSpan? Duration => EndedAt - StartedAt;
}

/// <summary>Which runs to list.</summary>
public sealed record RunQuery
{
    /// <summary>Only this pipeline.</summary>
    public string? PipelineId { get; init; }
    /// <summary>Only this status.</summary>
    public RunStatus? Status { get; init; }
    /// <summary>Only runs started at or after this.</summary>
    public DateTimeOffset? Since { get; init; }
    /// <summary>At most this many, newest first.</summary>
    public int Limit { get; init; } = 50;
}

/// <summary>
/// Runs, step attempts, checkpoints, watermarks and run locks. The default store is SQLite in a per-user
/// location; implementations must make lock acquisition atomic across processes.
/// </summary>
public interface IRunStore : IAsyncDisposable
{
    /// <summary>
    /// Takes one of the <paramref name="concurrency"/> run slots of a pipeline, or throws
    /// <see cref="RunLockedException"/> naming the holders. A slot whose holder stopped heart-beating for longer
    /// than the store's heartbeat timeout is taken over, and that holder's run is marked abandoned.
    /// </summary>
    Task<RunLock> AcquireLockAsync(string pipelineId, string runId, int concurrency, CancellationToken cancellationToken = default);

    /// <summary>Records a new run (status Running).</summary>
    Task StartRunAsync(RunRecord run, CancellationToken cancellationToken = default);

    /// <summary>Records the end of a run.</summary>
    Task FinishRunAsync(string runId, RunStatus status, DateTimeOffset endedAt, string? error, CancellationToken cancellationToken = default);

    /// <summary>Records (inserts or updates) one step attempt, keyed by run, step, attempt and rollback flag.</summary>
    Task RecordAttemptAsync(StepAttemptRecord attempt, CancellationToken cancellationToken = default);

    /// <summary>Records several attempts at once (in one transaction where the store can).</summary>
    async Task RecordAttemptsAsync(IReadOnlyList<StepAttemptRecord> attempts, CancellationToken cancellationToken = default)
    {
        foreach (var attempt in attempts)
            await RecordAttemptAsync(attempt, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A run by id, or null.</summary>
    Task<RunRecord?> GetRunAsync(string runId, CancellationToken cancellationToken = default);

    /// <summary>Runs matching a query, newest first.</summary>
    Task<IReadOnlyList<RunRecord>> GetRunsAsync(RunQuery query, CancellationToken cancellationToken = default);

    /// <summary>Every attempt of a run, in the order they started.</summary>
    Task<IReadOnlyList<StepAttemptRecord>> GetAttemptsAsync(string runId, CancellationToken cancellationToken = default);

    /// <summary>Saves a step's checkpoint value (for example the last committed batch), replacing any earlier one.</summary>
    Task SaveCheckpointAsync(string runId, string stepId, string key, string value, CancellationToken cancellationToken = default);

    /// <summary>A step's checkpoint value, or null.</summary>
    Task<string?> GetCheckpointAsync(string runId, string stepId, string key, CancellationToken cancellationToken = default);

    /// <summary>Sets a pipeline's named watermark (for example the last processed timestamp), kept across runs.</summary>
    Task SetWatermarkAsync(string pipelineId, string name, string value, CancellationToken cancellationToken = default);

    /// <summary>A pipeline's named watermark, or null.</summary>
    Task<string?> GetWatermarkAsync(string pipelineId, string name, CancellationToken cancellationToken = default);
}

/// <summary>A held run slot. Dispose to release it; while held it is kept alive by a heartbeat.</summary>
public abstract class RunLock : IAsyncDisposable
{
    /// <summary>The pipeline.</summary>
    public abstract string PipelineId { get; }

    /// <summary>The run holding the slot.</summary>
    public abstract string RunId { get; }

    /// <summary>Runs that were abandoned by dead holders and taken over when this lock was acquired.</summary>
    public IReadOnlyList<string> TakenOverFrom { get; init; } = [];

    /// <summary>
    /// Cancelled when the slot is lost while still held: another run took it over because this holder had not
    /// heart-beaten for longer than the store's timeout (a suspended process or machine). The run should stop.
    /// Never cancelled by a store that cannot tell.
    /// </summary>
    public virtual CancellationToken Lost => CancellationToken.None;

    /// <summary>Releases the slot.</summary>
    public abstract ValueTask DisposeAsync();
}

/// <summary>Another run holds every slot of the pipeline.</summary>
public sealed class RunLockedException : Exception
{
    /// <summary>Creates the exception.</summary>
    public RunLockedException(string pipelineId, IReadOnlyList<RunLockHolder> holders)
        : base($"The pipeline '{pipelineId}' is already running: " +
               string.Join("; ", holders.Select(h => $"run {h.RunId} on {h.Host} (process {h.ProcessId}) since {h.AcquiredAt:u}")) +
               ". Wait for it to finish, or raise 'concurrency' in the definition.")
    {
        PipelineId = pipelineId;
        Holders = holders;
    }

    /// <summary>The pipeline.</summary>
    public string PipelineId { get; }

    /// <summary>Who holds the slots.</summary>
    public IReadOnlyList<RunLockHolder> Holders { get; }
}

/// <summary>A holder of a run slot.</summary>
/// <param name="RunId">The holding run.</param>
/// <param name="Host">Its machine.</param>
/// <param name="ProcessId">Its process.</param>
/// <param name="AcquiredAt">When it took the slot.</param>
/// <param name="HeartbeatAt">Its last heartbeat.</param>
public sealed record RunLockHolder(string RunId, string Host, int ProcessId, DateTimeOffset AcquiredAt, DateTimeOffset HeartbeatAt);
