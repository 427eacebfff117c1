using Pipeline.Core.Definitions;
using Pipeline.Core.Execution;
using Pipeline.Core.Records;
using Pipeline.Core.State;
using Pipeline.Core.Steps;
using Pipeline.Core.Tests.Support;
using static Pipeline.Core.Tests.Support.Pipelines;

namespace Pipeline.Core.Tests.Execution;

public sealed class NamedOutputTests : IAsyncLifetime
{
    /// <summary>"test.parity": reads numbers; even ones go to the main output, odd ones to the output 'odd'.</summary>
    private sealed class ParityStep : IStepHandler
    {
        public StepTypeInfo Info { get; } = new("test.parity", "Splits numbers by parity.", [])
        {
            ConsumesRecords = true,
            ProducesRecords = true,
            OutputPorts = ["odd"],
        };

        public async Task ExecuteAsync(StepContext context, CancellationToken cancellationToken)
        {
            var odd = context.GetOutput("odd");
            await foreach (var batch in context.Inputs.Values.Single().WithCancellation(cancellationToken))
            {
                var rows = batch.Rows.GroupBy(r => Convert.ToInt64(r[0]) % 2 == 0).ToDictionary(g => g.Key, g => g.ToList());
                if (context.Output is not null && rows.TryGetValue(true, out var even)) await context.Output.WriteAsync(new RecordBatch(batch.Schema, even), cancellationToken);
                if (odd is not null && rows.TryGetValue(false, out var odds)) await odd.WriteAsync(new RecordBatch(batch.Schema, odds), cancellationToken);
            }
        }
    }

    /// <summary>"test.routes": writes each number to the output named by its last digit ("d0".."d9").</summary>
    private sealed class RoutesStep : IStepHandler
    {
        public StepTypeInfo Info { get; } = new("test.routes", "Routes numbers by last digit.", [])
        {
            ConsumesRecords = true,
            ProducesRecords = true,
            DynamicOutputPorts = true,
        };

        public async Task ExecuteAsync(StepContext context, CancellationToken cancellationToken)
        {
            await foreach (var batch in context.Inputs.Values.Single().WithCancellation(cancellationToken))
            {
                foreach (var row in batch.Rows)
                {
                    if (context.GetOutput("d" + Convert.ToInt64(row[0]) % 10) is { } port)
                        await port.WriteAsync(new RecordBatch(batch.Schema, [row]), cancellationToken);
                }
            }
        }
    }

    /// <summary>"test.collect": remembers every number it reads, by step id.</summary>
    private sealed class CollectStep : IStepHandler
    {
        public Dictionary<string, List<long>> Seen { get; } = [];

        public StepTypeInfo Info { get; } = new("test.collect", "Collects numbers.", []) { ConsumesRecords = true };

        public async Task ExecuteAsync(StepContext context, CancellationToken cancellationToken)
        {
            var seen = new List<long>();
            foreach (var input in context.Inputs.Values)
            {
                await foreach (var batch in input.WithCancellation(cancellationToken))
                    seen.AddRange(batch.Rows.Select(r => Convert.ToInt64(r[0])));
            }
            lock (Seen) Seen[context.StepId] = seen;
        }
    }

    /// <summary>"test.counter": counts to 'count', saving each number as a checkpoint after counting it; fails once
    /// at each number listed in 'fail_at' (a number listed twice fails twice).</summary>
    private sealed class CounterStep : IStepHandler
    {
        private List<long>? _failures;

        public List<long> Counted { get; } = [];

        public StepTypeInfo Info { get; } = new("test.counter", "Counts with checkpoints.",
            [new StepOptionInfo("count", StepOptionType.Integer, "How far."), new StepOptionInfo("fail_at", StepOptionType.String, "Where to fail.")]);

        public async Task ExecuteAsync(StepContext context, CancellationToken cancellationToken)
        {
            _failures ??= (context.Options.GetString("fail_at") ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries).Select(long.Parse).ToList();
            var start = long.Parse(await context.Checkpoints.GetAsync("done", cancellationToken) ?? "0") + 1;
            for (var i = start; i <= context.Options.GetInt64("count", 10); i++)
            {
                if (_failures.Remove(i)) throw new StepException(ErrorKind.Transient, $"stopped at {i}");
                Counted.Add(i);
                await context.Checkpoints.SaveAsync("done", i.ToString(System.Globalization.CultureInfo.InvariantCulture), cancellationToken);
            }
        }
    }

    private readonly string _dir = Path.Combine(Path.GetTempPath(), "pipeline-ports-" + Guid.NewGuid().ToString("N"));
    private readonly CollectStep _collect = new();
    private readonly CounterStep _counter = new();
    private SqliteRunStore _store = null!;

    public Task InitializeAsync()
    {
        Directory.CreateDirectory(_dir);
        _store = new SqliteRunStore(Path.Combine(_dir, "runs.db"));
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _store.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    private PipelineExecutor Executor()
    {
        var registry = Registry();
        registry.Register(new ParityStep());
        registry.Register(new RoutesStep());
        registry.Register(_collect);
        registry.Register(_counter);
        return new PipelineExecutor(registry);
    }

    private static StepDefinition Reads(string id, string type, params string[] inputs) => Step(id, type) with { Inputs = inputs };

    [Fact]
    public async Task A_consumer_of_a_named_output_gets_only_those_records_and_the_main_output_the_rest()
    {
        var result = await Executor().RunAsync(new RunRequest
        {
            Definition = Definition(
                Step("numbers", "test.numbers", with: new() { ["count"] = "25" }),
                Reads("parity", "test.parity", "numbers"),
                Reads("evens", "test.collect", "parity"),
                Reads("odds", "test.collect", "parity.odd")),
        });

        Assert.Equal(RunStatus.Succeeded, result.Status);
        Assert.Equal(Enumerable.Range(1, 25).Where(i => i % 2 == 0).Select(i => (long)i), _collect.Seen["evens"]);
        Assert.Equal(Enumerable.Range(1, 25).Where(i => i % 2 == 1).Select(i => (long)i), _collect.Seen["odds"]);
    }

    [Fact]
    public async Task A_step_may_read_the_main_and_a_named_output_of_one_producer()
    {
        var result = await Executor().RunAsync(new RunRequest
        {
            Definition = Definition(
                Step("numbers", "test.numbers", with: new() { ["count"] = "30" }),
                Reads("parity", "test.parity", "numbers"),
                Reads("all", "test.collect", "parity", "parity.odd")),
        });

        Assert.Equal(RunStatus.Succeeded, result.Status);
        Assert.Equal(Enumerable.Range(1, 30).Select(i => (long)i), _collect.Seen["all"].Order());
    }

    [Fact]
    public async Task Named_outputs_nobody_reads_are_null_to_the_step_and_dynamic_ones_take_any_name()
    {
        var result = await Executor().RunAsync(new RunRequest
        {
            Definition = Definition(
                Step("numbers", "test.numbers", with: new() { ["count"] = "100" }),
                Reads("route", "test.routes", "numbers"),
                Reads("sevens", "test.collect", "route.d7"),
                Reads("zeros", "test.collect", "route.d0")),
        });

        Assert.Equal(RunStatus.Succeeded, result.Status);
        Assert.Equal([7L, 17, 27, 37, 47, 57, 67, 77, 87, 97], _collect.Seen["sevens"]);
        Assert.Equal(10, _collect.Seen["zeros"].Count);
    }

    [Fact]
    public void An_unknown_named_output_is_a_definition_error_that_lists_the_known_ones()
    {
        var ex = Assert.Throws<DefinitionException>(() => DefinitionLoader.LoadText("""
            pipeline_id: ports
            steps:
              - id: numbers
                type: test.numbers
              - id: parity
                type: test.parity
                input: numbers
              - id: odds
                type: test.collect
                input: parity.ood
            """, Executor().Registry));

        var error = Assert.Single(ex.Errors);
        Assert.Equal("unknown-output", error.Code);
        Assert.Contains("'ood' of 'parity'", error.Message);
        Assert.Contains("did you mean 'odd'", error.Message);
        Assert.Equal(10, error.Location?.Line);
    }

    [Fact]
    public void A_named_output_of_an_unknown_step_is_reported_with_the_step_it_names()
    {
        var ex = Assert.Throws<DefinitionException>(() => DefinitionLoader.LoadText("""
            pipeline_id: ports
            steps:
              - id: numbers
                type: test.numbers
              - id: odds
                type: test.collect
                input: partiy.odd
            """, Executor().Registry));

        var error = Assert.Single(ex.Errors);
        Assert.Equal("unknown-dependency", error.Code);
        Assert.Contains("'partiy.odd' (an output of 'partiy')", error.Message);
    }

    [Fact]
    public void A_step_type_without_named_outputs_says_so()
    {
        var ex = Assert.Throws<DefinitionException>(() => DefinitionLoader.LoadText("""
            pipeline_id: ports
            steps:
              - id: numbers
                type: test.numbers
              - id: odds
                type: test.collect
                input: numbers.rejected
            """, Executor().Registry));

        Assert.Contains("have no named outputs", Assert.Single(ex.Errors).Message);
    }

    [Fact]
    public async Task A_resumed_step_reads_the_checkpoints_its_failed_run_saved()
    {
        var executor = Executor();
        var definition = DefinitionLoader.LoadText("""
            pipeline_id: counting
            steps:
              - id: count
                type: test.counter
                with: { count: 10, fail_at: "6" }
            """, executor.Registry, Path.Combine(_dir, "counting.yml"));

        var first = await executor.RunAsync(new RunRequest { Definition = definition, Store = _store });
        var second = await executor.RunAsync(new RunRequest { ResumeRunId = first.RunId, Store = _store });

        Assert.Equal(RunStatus.Failed, first.Status);
        Assert.Equal(RunStatus.Succeeded, second.Status);
        Assert.Equal(Enumerable.Range(1, 10).Select(i => (long)i), _counter.Counted);
        Assert.Equal("10", await _store.GetCheckpointAsync(second.RunId, "count", "done"));
        Assert.Equal("5", await _store.GetCheckpointAsync(first.RunId, "count", "done"));
    }

    [Fact]
    public async Task A_resume_of_a_resume_still_sees_the_first_runs_checkpoints()
    {
        var executor = Executor();
        // The first run stops at 4 having saved 3; the second fails at 4 again before saving anything.
        var definition = DefinitionLoader.LoadText("""
            pipeline_id: counting
            steps:
              - id: count
                type: test.counter
                with: { count: 10, fail_at: "4,4" }
            """, executor.Registry, Path.Combine(_dir, "counting.yml"));

        var first = await executor.RunAsync(new RunRequest { Definition = definition, Store = _store });
        var second = await executor.RunAsync(new RunRequest { ResumeRunId = first.RunId, Store = _store });
        var third = await executor.RunAsync(new RunRequest { ResumeRunId = second.RunId, Store = _store });

        Assert.Equal([RunStatus.Failed, RunStatus.Failed, RunStatus.Succeeded], new[] { first.Status, second.Status, third.Status });
        Assert.Equal(Enumerable.Range(1, 10).Select(i => (long)i), _counter.Counted);
        Assert.Null(await _store.GetCheckpointAsync(second.RunId, "count", "done"));
    }
}
