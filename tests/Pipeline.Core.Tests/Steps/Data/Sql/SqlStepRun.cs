using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Microsoft.Data.Sqlite;
using Pipeline.Core.Execution;
using Pipeline.Core.Observability;
using Pipeline.Core.Records;
using Pipeline.Core.Steps;
using Pipeline.Core.Templates;

namespace Pipeline.Core.Tests.Steps.Data.Sql;

/// <summary>
/// Runs one SQL step handler as the engine would: options (with template references left in place for the options
/// the step binds as parameters, resolved from <see cref="Variables"/>), record inputs, a main and a 'rejected'
/// output, checkpoints that a later run can share (as a resumed run does), and a clock.
/// </summary>
internal sealed class SqlStepRun
{
    private readonly IStepHandler _handler;
    private readonly Dictionary<string, object?> _options = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, IAsyncEnumerable<RecordBatch>> _inputs = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<(LogLevel Level, string Message)> _log = new();
    private StepContext? _context;

    public SqlStepRun(IStepHandler handler, string workingDirectory)
    {
        _handler = handler;
        WorkingDirectory = workingDirectory;
    }

    public string WorkingDirectory { get; }

    /// <summary>The run: a new one each time unless set (a load's progress is named after the run that started it).</summary>
    public string RunId { get; set; } = "run-" + Guid.NewGuid().ToString("N")[..8];

    public Dictionary<string, string> Variables { get; } = new(StringComparer.Ordinal);

    public TimeProvider Time { get; set; } = TimeProvider.System;

    public StepCheckpoints Checkpoints { get; set; } = StepCheckpoints.InMemory();

    public CollectingRecordWriter Output { get; } = new();

    public CollectingRecordWriter Rejected { get; } = new();

    /// <summary>Whether some step reads the 'rejected' output.</summary>
    public bool ReadsRejected { get; set; } = true;

    public Action<LogLevel, string>? OnLog { get; set; }

    public StepContext Context => _context ?? throw new InvalidOperationException("The step has not run.");

    public IReadOnlyList<(LogLevel Level, string Message)> Log => _log.ToArray();

    public object? Result(string name) => Context.Outputs.TryGetValue(name, out var value) ? value : null;

    public SqlStepRun With(string name, object? value)
    {
        _options[name] = value;
        return this;
    }

    public SqlStepRun Input(string name, IAsyncEnumerable<RecordBatch> batches)
    {
        _inputs[name] = batches;
        return this;
    }

    public SqlStepRun Input(string name, params RecordBatch[] batches) => Input(name, Stream(batches));

    public async Task<SqlStepRun> ExecuteAsync(CancellationToken cancellationToken = default)
    {
        _context = new StepContext("pipeline", RunId, "load", 1, new StepOptions(_options), Variables, (level, message) =>
        {
            _log.Enqueue((level, message));
            OnLog?.Invoke(level, message);
        })
        {
            WorkingDirectory = WorkingDirectory,
            Time = Time,
            Inputs = _inputs,
            Output = Output,
            NamedOutputs = ReadsRejected ? new Dictionary<string, IRecordWriter> { ["rejected"] = Rejected } : new Dictionary<string, IRecordWriter>(),
            Checkpoints = Checkpoints,
            ResolveTemplate = r => r.Argument is null && Variables.TryGetValue(r.Name, out var v) ? v : throw new TemplateException($"'{{{r.Text}}}' is not defined."),
        };
        await _handler.ExecuteAsync(_context, cancellationToken);
        return this;
    }

    /// <summary>Runs the step, asserts it fails with <paramref name="kind"/>, and returns the failure.</summary>
    public async Task<StepException> FailsAsync(ErrorKind kind, CancellationToken cancellationToken = default)
    {
        var ex = await Assert.ThrowsAsync<StepException>(() => ExecuteAsync(cancellationToken));
        Assert.True(kind == ex.Kind, $"Expected a {kind} failure, got {ex.Kind}: {ex.Message}");
        return ex;
    }

    public static async IAsyncEnumerable<RecordBatch> Stream(IEnumerable<RecordBatch> batches, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        foreach (var batch in batches)
        {
            cancellationToken.ThrowIfCancellationRequested();
            await Task.Yield();
            yield return batch;
        }
    }
}

/// <summary>Record batches for tests.</summary>
internal static class Rows
{
    public static readonly RecordSchema Orders = new([
        new RecordField("id", FieldType.Integer),
        new RecordField("customer", FieldType.String),
        new RecordField("amount", FieldType.Decimal),
        new RecordField("day", FieldType.Date),
        new RecordField("at", FieldType.Timestamp),
        new RecordField("paid", FieldType.Boolean),
    ]);

    /// <summary>Orders first..last (inclusive) in batches of <paramref name="batchSize"/>.</summary>
    public static IEnumerable<RecordBatch> OrderBatches(int first, int last, int batchSize = 100)
    {
        for (var start = first; start <= last; start += batchSize)
        {
            var rows = new List<object?[]>();
            for (var id = start; id <= Math.Min(last, start + batchSize - 1); id++) rows.Add(Order(id));
            yield return new RecordBatch(Orders, rows);
        }
    }

    public static object?[] Order(long id) =>
    [
        id,
        "customer " + (id % 7),
        id * 1.25m,
        new DateOnly(2026, 11, 1).AddDays((int)(id % 20)),
        new DateTimeOffset(2026, 11, 21, 10, 0, 0, TimeSpan.Zero).AddSeconds(id),
        id % 2 == 0,
    ];

    public static RecordBatch Untyped(string[] names, params object?[][] rows) => new(RecordSchema.Of(names), rows);
}

/// <summary>Reads a SQLite file the way a test checks it: plain SQL.</summary>
internal static class SqliteFile
{
    public static object? Scalar(string path, string sql)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        var value = command.ExecuteScalar();
        return value is DBNull ? null : value;
    }

    public static void Execute(string path, string sql)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
