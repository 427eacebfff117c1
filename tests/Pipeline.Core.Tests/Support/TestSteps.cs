using System.Collections.Concurrent;
using Pipeline.Core.Execution;
using Pipeline.Core.Records;
using Pipeline.Core.Steps;

namespace Pipeline.Core.Tests.Support;

/// <summary>A test step type ("test.step") whose behaviour the options script: fail a number of times with a
/// kind, block until cancelled, log, publish outputs. It records the order in which steps start and end.</summary>
public sealed class TestStep : IStepHandler
{
    private readonly ConcurrentDictionary<string, int> _attempts = new();
    private int _running;

    public ConcurrentQueue<string> Journal { get; } = new();

    public int MaxConcurrency;

    public ConcurrentDictionary<string, TaskCompletionSource> Started { get; } = new();

    public StepTypeInfo Info { get; } = new("test.step", "A step whose behaviour tests script.",
    [
        new StepOptionInfo("fail_times", StepOptionType.Integer, "Fail this many attempts first."),
        new StepOptionInfo("fail_kind", StepOptionType.String, "The error kind of the failures."),
        new StepOptionInfo("message", StepOptionType.String, "A message to log and to fail with."),
        new StepOptionInfo("block", StepOptionType.Boolean, "Wait until cancelled."),
        new StepOptionInfo("gate", StepOptionType.String, "Wait until the test opens the named gate."),
        new StepOptionInfo("value", StepOptionType.String, "Published as the output 'value'."),
    ]);

    public ConcurrentDictionary<string, TaskCompletionSource> Gates { get; } = new();

    public TaskCompletionSource Gate(string name) => Gates.GetOrAdd(name, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));

    public TaskCompletionSource StartedSignal(string id) => Started.GetOrAdd(id, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));

    public int AttemptsOf(string id) => _attempts.GetValueOrDefault(id);

    public async Task ExecuteAsync(StepContext context, CancellationToken cancellationToken)
    {
        var running = Interlocked.Increment(ref _running);
        InterlockedMax(ref MaxConcurrency, running);
        Journal.Enqueue("start:" + context.StepId);
        StartedSignal(context.StepId).TrySetResult();
        try
        {
            var attempt = _attempts.AddOrUpdate(context.StepId, 1, (_, n) => n + 1);
            if (context.Options.GetString("message") is { } message) context.Log(Observability.LogLevel.Information, message);
            if (context.Options.GetString("value") is { } value) context.SetOutput("value", value);
            if (context.Options.GetString("gate") is { } gate) await Gate(gate).Task.WaitAsync(cancellationToken);
            if (context.Options.GetBoolean("block", false)) await Task.Delay(Timeout.Infinite, cancellationToken);
            if (attempt <= context.Options.GetInt32("fail_times", 0))
            {
                ErrorKinds.TryParse(context.Options.GetString("fail_kind") ?? "transient", out var kind);
                throw new StepException(kind, context.Options.GetString("message") ?? $"planned failure {attempt}");
            }
        }
        finally
        {
            Journal.Enqueue("end:" + context.StepId);
            Interlocked.Decrement(ref _running);
        }
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int current;
        while ((current = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, current) != current) { }
    }
}

/// <summary>"test.numbers": produces the integers 1..count as records with one field 'n'.</summary>
public sealed class NumbersStep : IStepHandler
{
    public StepTypeInfo Info { get; } = new("test.numbers", "Produces numbers.", [new StepOptionInfo("count", StepOptionType.Integer, "How many.")]) { ProducesRecords = true };

    public async Task ExecuteAsync(StepContext context, CancellationToken cancellationToken)
    {
        var builder = new RecordBatchBuilder(context.Output!, RecordSchema.Of("n"), batchSize: 10);
        for (long i = 1; i <= context.Options.GetInt64("count", 100); i++)
            await builder.AddAsync([i], cancellationToken);
        await builder.FlushAsync(cancellationToken);
    }
}

/// <summary>"test.double": reads records and writes n*2.</summary>
public sealed class DoubleStep : IStepHandler
{
    public StepTypeInfo Info { get; } = new("test.double", "Doubles n.", []) { ConsumesRecords = true, ProducesRecords = true };

    public async Task ExecuteAsync(StepContext context, CancellationToken cancellationToken)
    {
        foreach (var input in context.Inputs.Values)
        {
            await foreach (var batch in input.WithCancellation(cancellationToken))
            {
                var rows = batch.Rows.Select(r => new object?[] { Convert.ToInt64(r[0]) * 2 }).ToList();
                if (context.Output is not null) await context.Output.WriteAsync(new RecordBatch(RecordSchema.Of("n"), rows), cancellationToken);
                context.Metrics.AddRows(rows.Count);
            }
        }
    }
}
