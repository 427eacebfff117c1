using Pipeline.Core.Definitions;
using Pipeline.Core.Records;
using Pipeline.Core.State;
using Pipeline.Core.Templates;
using Pipeline.RemoteFs;

namespace Pipeline.Core.Execution;

/// <summary>What to run and how: the request a host (cmdlet, CLI, C# caller) builds for the engine.</summary>
public sealed record RunRequest
{
    /// <summary>The pipeline; may be null when resuming (the original run's definition is used).</summary>
    public PipelineDefinition? Definition { get; init; }

    /// <summary>The caller's variables; they override the pipeline's.</summary>
    public IReadOnlyDictionary<string, string> Variables { get; init; } = new Dictionary<string, string>();

    /// <summary>Run ready steps at once (up to <see cref="ThrottleLimit"/>); otherwise one at a time in plan order.</summary>
    public bool Parallel { get; init; }

    /// <summary>How many steps run at once with <see cref="Parallel"/>; 0 takes the definition's max_parallel,
    /// else the processor count.</summary>
    public int ThrottleLimit { get; init; }

    /// <summary>Resume this run: rerun only what did not succeed, with its variables.</summary>
    public string? ResumeRunId { get; init; }

    /// <summary>The run store; null runs without history, locks or resume.</summary>
    public IRunStore? Store { get; init; }

    /// <summary>Secrets for <c>{secret:NAME}</c>.</summary>
    public SecretStore Secrets { get; init; } = new();

    /// <summary>Records fed to the pipeline (the reserved input <c>input</c>), for example from the PowerShell pipeline.</summary>
    public IAsyncEnumerable<RecordBatch>? Input { get; init; }

    /// <summary>Receives the output step's records as they are produced.</summary>
    public Func<RecordBatch, CancellationToken, ValueTask>? Output { get; init; }

    /// <summary>The step whose records are the pipeline's output; by default the step <c>output</c>, else the last
    /// step that produces records and has no consumer.</summary>
    public string? OutputStep { get; init; }

    /// <summary>The directory relative paths resolve against; by default the definition's directory.</summary>
    public string? WorkingDirectory { get; init; }

    /// <summary>Connection options per endpoint (credentials, key files) from the host.</summary>
    public Func<RemoteEndpoint, RemoteConnectionOptions>? ConnectionOptions { get; init; }

    /// <summary>Rows per batch for steps that produce records.</summary>
    public int QueueDepth { get; init; } = 4;
}
