using Pipeline.Core.Execution;
using Pipeline.Core.Observability;
using Pipeline.Core.Records;
using Pipeline.Core.Templates;
using Pipeline.RemoteFs;

namespace Pipeline.Core.Steps;

/// <summary>Everything one attempt of a step may use: its options, the run's variables, logging, metrics,
/// records in and out, file systems and the clock.</summary>
public sealed class StepContext
{
    private readonly Action<LogLevel, string> _log;
    private readonly Dictionary<string, object?> _outputs = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Creates a context. The engine does this; tests of a handler may too.</summary>
    public StepContext(
        string pipelineId,
        string runId,
        string stepId,
        int attempt,
        StepOptions options,
        IReadOnlyDictionary<string, string> variables,
        Action<LogLevel, string> log)
    {
        PipelineId = pipelineId;
        RunId = runId;
        StepId = stepId;
        Attempt = attempt;
        Options = options;
        Variables = variables;
        _log = log;
    }

    /// <summary>The pipeline's id.</summary>
    public string PipelineId { get; }

    /// <summary>The run's id.</summary>
    public string RunId { get; }

    /// <summary>The step's id.</summary>
    public string StepId { get; }

    /// <summary>Which attempt this is, from 1.</summary>
    public int Attempt { get; }

    /// <summary>The step's resolved <c>with:</c> options.</summary>
    public StepOptions Options { get; }

    /// <summary>The run's resolved variables (secrets are not among them).</summary>
    public IReadOnlyDictionary<string, string> Variables { get; }

    /// <summary>The directory relative paths resolve against (the definition file's directory, or the caller's).</summary>
    public string WorkingDirectory { get; init; } = Directory.GetCurrentDirectory();

    /// <summary>The clock.</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>Opens remote and local file systems by URI.</summary>
    public RemoteFileSystems FileSystems
    {
        get => _fileSystems ??= RemoteFileSystems.CreateDefault();
        init => _fileSystems = value;
    }

    private RemoteFileSystems? _fileSystems;

    /// <summary>Connection options for remote endpoints by URI prefix, from the host (credentials, key files).</summary>
    public Func<RemoteEndpoint, RemoteConnectionOptions>? ConnectionOptions { get; init; }

    /// <summary>Record streams from the steps named in <c>input</c>, by step id.</summary>
    public IReadOnlyDictionary<string, IAsyncEnumerable<RecordBatch>> Inputs { get; init; } =
        new Dictionary<string, IAsyncEnumerable<RecordBatch>>();

    /// <summary>Where produced records go; null when nothing consumes this step's records.</summary>
    public IRecordWriter? Output { get; init; }

    /// <summary>
    /// The value of one template reference, for options the engine left unrendered
    /// (<see cref="StepOptionInfo.BindsTemplates"/>); null when the host resolves no templates. Throws
    /// <see cref="TemplateException"/> for a reference that cannot be resolved. Secrets it returns are masked in logs.
    /// </summary>
    public Func<TemplateReference, string>? ResolveTemplate { get; init; }

    /// <summary>The step's named outputs that some step reads, by name (see <see cref="StepTypeInfo.OutputPorts"/>).</summary>
    public IReadOnlyDictionary<string, IRecordWriter> NamedOutputs { get; init; } =
        new Dictionary<string, IRecordWriter>(StringComparer.Ordinal);

    /// <summary>
    /// Where records for the named output <paramref name="name"/> go (<c>rejected</c>, a <c>split</c> route), or
    /// null when no step reads it: a step then counts or logs what it would have written there.
    /// </summary>
    public IRecordWriter? GetOutput(string name) => NamedOutputs.GetValueOrDefault(name);

    /// <summary>
    /// The step's checkpoints: small values (the last committed batch, a file offset) kept in the run store, so that
    /// the step, rerun by a resume of a failed run, can continue where it stopped.
    /// </summary>
    public StepCheckpoints Checkpoints { get; init; } = StepCheckpoints.InMemory();

    /// <summary>Counters this attempt reports (rows, bytes).</summary>
    public StepMetrics Metrics { get; } = new();

    /// <summary>Values the step publishes for downstream <c>when</c> conditions and templates (<c>{steps.ID.NAME}</c>).</summary>
    public IReadOnlyDictionary<string, object?> Outputs => _outputs;

    /// <summary>Publishes an output value.</summary>
    public void SetOutput(string name, object? value) => _outputs[name] = value;

    /// <summary>Writes a message to the run's log (secrets are masked by the engine).</summary>
    public void Log(LogLevel level, string message) => _log(level, message);

    /// <summary>Resolves a local path against <see cref="WorkingDirectory"/>.</summary>
    public string ResolveLocalPath(string path) =>
        Path.GetFullPath(Environment.ExpandEnvironmentVariables(path.StartsWith("~/", StringComparison.Ordinal)
            ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), path[2..])
            : path), WorkingDirectory);
}

/// <summary>Counters of one step attempt.</summary>
public sealed class StepMetrics
{
    private long _rows;
    private long _bytes;
    private long _files;

    /// <summary>Rows produced or written.</summary>
    public long Rows => Interlocked.Read(ref _rows);

    /// <summary>Bytes read or written.</summary>
    public long Bytes => Interlocked.Read(ref _bytes);

    /// <summary>Files handled.</summary>
    public long Files => Interlocked.Read(ref _files);

    /// <summary>Adds rows.</summary>
    public void AddRows(long count) => Interlocked.Add(ref _rows, count);

    /// <summary>Adds bytes.</summary>
    public void AddBytes(long count) => Interlocked.Add(ref _bytes, count);

    /// <summary>Adds files.</summary>
    public void AddFiles(long count) => Interlocked.Add(ref _files, count);
}
