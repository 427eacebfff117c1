using Pipeline.Core.Execution;
using Pipeline.Core.Steps;

namespace Pipeline.Core.Definitions;

/// <summary>What happens to the rest of a run when a step fails.</summary>
public enum FailurePolicy
{
    /// <summary>Start no new steps except those whose trigger handles failure; running steps finish.</summary>
    Stop,
    /// <summary>Independent branches keep running; only steps that depend on the failure are affected.</summary>
    Continue,
}

/// <summary>When a step runs, given the outcomes of the steps it depends on. Evaluated once every upstream
/// step has finished.</summary>
public enum TriggerRule
{
    /// <summary>Every upstream step succeeded (the default). A step with no upstream always runs.</summary>
    AllSuccess,
    /// <summary>Every upstream step finished, whatever the outcome ("always").</summary>
    AllDone,
    /// <summary>Every upstream step failed.</summary>
    AllFailed,
    /// <summary>At least one upstream step failed ("on failure").</summary>
    OneFailed,
    /// <summary>At least one upstream step succeeded.</summary>
    OneSuccess,
    /// <summary>No upstream step failed: each succeeded or was skipped.</summary>
    NoneFailed,
}

/// <summary>How the delay between attempts grows.</summary>
public enum BackoffKind
{
    /// <summary>The same delay every time.</summary>
    Constant,
    /// <summary>delay × attempt.</summary>
    Linear,
    /// <summary>delay × 2^(attempt-1).</summary>
    Exponential,
}

/// <summary>How a failed step is retried.</summary>
public sealed record RetryPolicy
{
    /// <summary>No retry: one attempt.</summary>
    public static RetryPolicy None { get; } = new();

    /// <summary>Attempts in all, from 1 (no retry).</summary>
    public int MaxAttempts { get; init; } = 1;

    /// <summary>How the delay grows.</summary>
    public BackoffKind Backoff { get; init; } = BackoffKind.Exponential;

    /// <summary>The first delay.</summary>
    public TimeSpan Delay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest delay, when capped.</summary>
    public TimeSpan? MaxDelay { get; init; }

    /// <summary>Randomise delays (±25%) so that many retrying clients do not retry in step.</summary>
    public bool Jitter { get; init; }

    /// <summary>Error kinds that are retried; empty means every kind but configuration, validation, authentication and cancelled.</summary>
    public IReadOnlyList<ErrorKind> RetryOn { get; init; } = [];

    /// <summary>Whether a failure of <paramref name="kind"/> is retried under this policy.</summary>
    public bool Retries(ErrorKind kind) =>
        RetryOn.Count == 0
            ? kind is not (ErrorKind.Configuration or ErrorKind.Validation or ErrorKind.Authentication or ErrorKind.Cancelled)
            : RetryOn.Contains(kind);

    /// <summary>The longest delay between attempts, whatever the backoff: one day.</summary>
    public static TimeSpan LongestDelay { get; } = TimeSpan.FromDays(1);

    /// <summary>The delay before attempt <paramref name="nextAttempt"/> (2 for the first retry), without jitter:
    /// never more than <see cref="MaxDelay"/> nor <see cref="LongestDelay"/>, and never an overflow however many
    /// attempts.</summary>
    public TimeSpan DelayBefore(int nextAttempt)
    {
        var n = Math.Max(1, nextAttempt - 1);
        var factor = Backoff switch
        {
            BackoffKind.Constant => 1.0,
            BackoffKind.Linear => n,
            _ => Math.Pow(2, Math.Min(n - 1, 62)),
        };
        var cap = MaxDelay is { } max && max < LongestDelay ? max : LongestDelay;
        var ticks = Delay.Ticks * factor;
        return ticks >= cap.Ticks ? cap : TimeSpan.FromTicks((long)ticks);
    }
}

/// <summary>Settings that apply to every step unless the step says otherwise.</summary>
public sealed record StepDefaults
{
    /// <summary>The timeout of each attempt; null for none.</summary>
    public TimeSpan? Timeout { get; init; }

    /// <summary>The retry policy.</summary>
    public RetryPolicy Retry { get; init; } = RetryPolicy.None;
}

/// <summary>One step of a pipeline. Immutable; built from YAML or by <c>New-PipelineStep</c>.</summary>
public sealed record StepDefinition
{
    /// <summary>The step's id, unique in its pipeline: letters, digits, '_' and '-'.</summary>
    public required string Id { get; init; }

    /// <summary>A display name (defaults to the id).</summary>
    public string? Name { get; init; }

    /// <summary>The step type (<c>file.copy</c>, ...).</summary>
    public required string Type { get; init; }

    /// <summary>Steps that must finish before this one.</summary>
    public IReadOnlyList<string> DependsOn { get; init; } = [];

    /// <summary>Steps whose records this step reads (they are dependencies too): a step id for its main output, or
    /// <c>ID.NAME</c> for one of its named outputs (<c>check.rejected</c>).</summary>
    public IReadOnlyList<string> Inputs { get; init; } = [];

    /// <summary>When the step runs given its upstream outcomes.</summary>
    public TriggerRule Trigger { get; init; } = TriggerRule.AllSuccess;

    /// <summary>A condition on variables and upstream results; the step is skipped when false.</summary>
    public string? When { get; init; }

    /// <summary>The timeout of each attempt; null to take the pipeline default.</summary>
    public TimeSpan? Timeout { get; init; }

    /// <summary>The retry policy; null to take the pipeline default.</summary>
    public RetryPolicy? Retry { get; init; }

    /// <summary>How long the step is expected to take; slower runs raise an alert in the summary.</summary>
    public TimeSpan? ExpectedDuration { get; init; }

    /// <summary>A step to run for this one when the run fails after this step succeeded.</summary>
    public StepDefinition? Rollback { get; init; }

    /// <summary>The step type's options; strings may hold templates.</summary>
    public IReadOnlyDictionary<string, object?> With { get; init; } = new Dictionary<string, object?>(StringComparer.Ordinal);

    /// <summary>A handler supplied by the host for this step alone (script blocks), instead of a registered type.</summary>
    public IStepHandler? Handler { get; init; }

    /// <summary>Where the step was defined, when it came from a file.</summary>
    public SourceLocation? Location { get; init; }

    /// <summary>Where each key of the step (and each <c>with.KEY</c>) was written, and each item of
    /// <c>depends_on</c> and <c>input</c> (as <c>depends_on.ID</c>, <c>input.ID</c>), when it came from a file.</summary>
    public IReadOnlyDictionary<string, SourceLocation> KeyLocations { get; init; } = new Dictionary<string, SourceLocation>();

    /// <summary>Where the value of each key of the step (and of each <c>with.KEY</c>) was written, when it came from
    /// a file: problems with a value are reported there.</summary>
    public IReadOnlyDictionary<string, SourceLocation> ValueLocations { get; init; } = new Dictionary<string, SourceLocation>();

    /// <summary>The name to show: <see cref="Name"/> or the id.</summary>
    public string DisplayName => Name ?? Id;

    /// <summary>Every step this one waits for: <see cref="DependsOn"/> and <see cref="Inputs"/>.</summary>
    public IEnumerable<string> Upstream => DependsOn.Concat(Inputs.Select(Execution.StepInputs.ProducerOf)).Distinct(StringComparer.Ordinal);
}

/// <summary>A whole pipeline. Immutable; built from YAML or objects.</summary>
public sealed record PipelineDefinition
{
    /// <summary>The pipeline's id: names its runs, its lock and its history.</summary>
    public required string PipelineId { get; init; }

    /// <summary>What it does.</summary>
    public string? Description { get; init; }

    /// <summary>Variables; values may hold templates referring to built-ins, environment and other variables.</summary>
    public IReadOnlyDictionary<string, string> Variables { get; init; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>Defaults for every step.</summary>
    public StepDefaults Defaults { get; init; } = new();

    /// <summary>How many steps run at once at most (with parallel execution); 0 for the host's default.</summary>
    public int MaxParallel { get; init; }

    /// <summary>What a failure does to the rest of the run.</summary>
    public FailurePolicy OnFailure { get; init; } = FailurePolicy.Stop;

    /// <summary>How many runs of this pipeline may run at once.</summary>
    public int Concurrency { get; init; } = 1;

    /// <summary>Assemblies that add step types.</summary>
    public IReadOnlyList<string> Plugins { get; init; } = [];

    /// <summary>The steps.</summary>
    public IReadOnlyList<StepDefinition> Steps { get; init; } = [];

    /// <summary>The file it was loaded from, if any.</summary>
    public string? SourcePath { get; init; }

    /// <summary>The text it was loaded from, if any (kept with runs so a resume runs the same definition).</summary>
    public string? SourceText { get; init; }

    /// <summary>Where each top-level key was written, when loaded from a file; also <c>defaults.KEY</c>,
    /// <c>variables.NAME</c> and <c>plugins.PATH</c>.</summary>
    public IReadOnlyDictionary<string, SourceLocation> KeyLocations { get; init; } = new Dictionary<string, SourceLocation>();

    /// <summary>Where the value of each top-level key (and of each <c>variables.NAME</c>) was written, when loaded
    /// from a file: problems with a value are reported there.</summary>
    public IReadOnlyDictionary<string, SourceLocation> ValueLocations { get; init; } = new Dictionary<string, SourceLocation>();

    /// <summary>The effective timeout of a step.</summary>
    public TimeSpan? TimeoutOf(StepDefinition step) => step.Timeout ?? Defaults.Timeout;

    /// <summary>The effective retry policy of a step.</summary>
    public RetryPolicy RetryOf(StepDefinition step) => step.Retry ?? Defaults.Retry;
}
