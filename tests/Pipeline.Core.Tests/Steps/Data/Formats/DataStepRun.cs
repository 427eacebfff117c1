using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Pipeline.Core.Execution;
using Pipeline.Core.Observability;
using Pipeline.Core.Records;
using Pipeline.Core.Steps;

namespace Pipeline.Core.Tests.Steps.Data.Formats;

/// <summary>Runs a data step handler as the engine would: options, real files, record inputs, collected output.</summary>
internal sealed class DataStepRun
{
    private readonly IStepHandler _handler;
    private readonly string _directory;
    private readonly Dictionary<string, object?> _options = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, IAsyncEnumerable<RecordBatch>> _inputs = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentQueue<(LogLevel Level, string Message)> _log = new();

    public DataStepRun(IStepHandler handler, string directory)
    {
        _handler = handler;
        _directory = directory;
    }

    public CollectingRecordWriter Output { get; } = new();

    public StepContext? Context { get; private set; }

    public IEnumerable<string> Messages(LogLevel level) => _log.Where(e => e.Level == level).Select(e => e.Message);

    public object? Result(string name) => Context!.Outputs.TryGetValue(name, out var v) ? v : null;

    public List<object?[]> Rows => Output.Rows.ToList();

    public RecordSchema Schema => Output.Batches[^1].Schema;

    public DataStepRun With(string name, object? value)
    {
        _options[name] = value;
        return this;
    }

    public DataStepRun Input(string name, params RecordBatch[] batches)
    {
        _inputs[name] = Stream(batches);
        return this;
    }

    private static async IAsyncEnumerable<RecordBatch> Stream(RecordBatch[] batches, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        foreach (var batch in batches)
        {
            await Task.Yield();
            cancellationToken.ThrowIfCancellationRequested();
            yield return batch;
        }
    }

    public async Task<DataStepRun> ExecuteAsync(CancellationToken cancellationToken = default)
    {
        Context = new StepContext("pipeline", "run-1", "step", 1, new StepOptions(_options), new Dictionary<string, string>(), (l, m) => _log.Enqueue((l, m)))
        {
            WorkingDirectory = _directory,
            Inputs = _inputs,
            Output = Output,
        };
        await _handler.ExecuteAsync(Context, cancellationToken);
        return this;
    }

    public async Task<StepException> FailsAsync(ErrorKind kind = ErrorKind.Validation)
    {
        var ex = await Assert.ThrowsAsync<StepException>(() => ExecuteAsync());
        Assert.True(kind == ex.Kind, $"Expected a {kind} failure, got {ex.Kind}: {ex.Message}");
        return ex;
    }
}
