using System.Collections.Concurrent;
using Pipeline.Core.Execution;
using Pipeline.Core.Observability;
using Pipeline.Core.Records;
using Pipeline.Core.Steps;

namespace Pipeline.Core.Tests.Steps.Data.Transforms;

/// <summary>A table of rows to feed a transform: column names, then rows, cut into batches of a few rows so that
/// every test crosses batch boundaries.</summary>
internal sealed class Table
{
    private readonly List<object?[]> _rows = [];

    public Table(params string[] columns)
    {
        Schema = RecordSchema.Of(columns);
    }

    public Table(RecordSchema schema)
    {
        Schema = schema;
    }

    public RecordSchema Schema { get; }

    public IReadOnlyList<object?[]> Rows => _rows;

    public Table Row(params object?[] values)
    {
        Assert.Equal(Schema.Count, values.Length);
        _rows.Add(values);
        return this;
    }

    public Table AddRows(IEnumerable<object?[]> rows)
    {
        foreach (var row in rows) Row(row);
        return this;
    }

    public async IAsyncEnumerable<RecordBatch> Batches(int batchSize)
    {
        for (var i = 0; i < _rows.Count; i += batchSize)
        {
            await Task.Yield();
            yield return new RecordBatch(Schema, _rows.Skip(i).Take(batchSize).ToList());
        }
    }
}

/// <summary>Runs one transform as the engine would: a real <see cref="StepContext"/> with record inputs, the main
/// output and named outputs collected, every log message kept.</summary>
internal sealed class TransformRun
{
    private readonly IStepHandler _handler;
    private readonly Dictionary<string, object?> _options = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, IAsyncEnumerable<RecordBatch>> _inputs = new(StringComparer.Ordinal);
    private readonly Dictionary<string, IRecordWriter> _named = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<(LogLevel Level, string Message)> _log = new();
    private StepContext? _context;

    public TransformRun(IStepHandler handler)
    {
        _handler = handler;
    }

    public CollectingRecordWriter Output { get; } = new();

    public string WorkingDirectory { get; set; } = Path.GetTempPath();

    public int BatchSize { get; set; } = 2;

    public StepContext Context => _context ?? throw new InvalidOperationException("The step has not run.");

    public IReadOnlyList<(LogLevel Level, string Message)> Log => _log.ToArray();

    public List<object?[]> Rows => Output.Rows.ToList();

    public RecordSchema Schema => Output.Batches[0].Schema;

    public IEnumerable<string> Columns => Output.Batches[^1].Schema.Fields.Select(f => f.Name);

    public object? Result(string name) => Context.Outputs.TryGetValue(name, out var value) ? value : null;

    public TransformRun With(string name, object? value)
    {
        _options[name] = value;
        return this;
    }

    public TransformRun Input(string id, Table table)
    {
        _inputs[id] = table.Batches(BatchSize);
        return this;
    }

    public TransformRun Input(string id, IAsyncEnumerable<RecordBatch> batches)
    {
        _inputs[id] = batches;
        return this;
    }

    public CollectingRecordWriter Named(string output)
    {
        var writer = new CollectingRecordWriter();
        _named[output] = writer;
        return writer;
    }

    public async Task<TransformRun> RunAsync(CancellationToken cancellationToken = default)
    {
        _context = new StepContext("pipeline", "run-1", "step", 1, new StepOptions(_options), new Dictionary<string, string>(),
            (level, message) => _log.Enqueue((level, message)))
        {
            WorkingDirectory = WorkingDirectory,
            Inputs = _inputs,
            Output = Output,
            NamedOutputs = _named,
        };
        await _handler.ExecuteAsync(_context, cancellationToken);
        return this;
    }

    /// <summary>Runs the step, asserts it fails with <paramref name="kind"/>, and returns the failure.</summary>
    public async Task<StepException> FailsAsync(ErrorKind kind)
    {
        var ex = await Assert.ThrowsAsync<StepException>(() => RunAsync());
        Assert.True(kind == ex.Kind, $"Expected a {kind} failure, got {ex.Kind}: {ex.Message}");
        return ex;
    }

    /// <summary>One column of the output, in order.</summary>
    public List<object?> Column(string name)
    {
        var rows = new List<object?>();
        foreach (var batch in Output.Batches)
        {
            var index = batch.Schema.IndexOf(name);
            Assert.True(index >= 0, $"The output has no column '{name}': {batch.Schema}");
            rows.AddRange(batch.Rows.Select(r => r[index]));
        }
        return rows;
    }
}

/// <summary>Rows from a generator, in batches, without holding them all: for inputs larger than a budget.</summary>
internal static class Generated
{
    public static async IAsyncEnumerable<RecordBatch> Rows(RecordSchema schema, long count, Func<long, object?[]> row, int batchSize = 500)
    {
        var batch = new List<object?[]>(batchSize);
        for (long i = 0; i < count; i++)
        {
            batch.Add(row(i));
            if (batch.Count < batchSize) continue;
            yield return new RecordBatch(schema, batch);
            batch = new List<object?[]>(batchSize);
            await Task.Yield();
        }
        if (batch.Count > 0) yield return new RecordBatch(schema, batch);
    }
}
