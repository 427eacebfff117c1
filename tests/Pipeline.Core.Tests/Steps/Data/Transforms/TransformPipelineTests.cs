using Pipeline.Core.Definitions;
using Pipeline.Core.Execution;
using Pipeline.Core.Records;
using Pipeline.Core.Steps;
using Pipeline.Core.State;

namespace Pipeline.Core.Tests.Steps.Data.Transforms;

/// <summary>The transforms in real runs of the engine: YAML definitions, streams between steps, fan-out to several
/// consumers, named outputs, the caller's records in and out.</summary>
public sealed class TransformPipelineTests
{
    /// <summary>"test.orders": order rows (id, amount, country) for ids 1..count: amount = id % 1000, country by id % 3.</summary>
    private sealed class OrdersStep : IStepHandler
    {
        public static readonly string[] Countries = ["DE", "FR", "AT"];

        public StepTypeInfo Info { get; } = new("test.orders", "Produces orders.", [new StepOptionInfo("count", StepOptionType.Integer, "How many.")]) { ProducesRecords = true };

        public async Task ExecuteAsync(StepContext context, CancellationToken cancellationToken)
        {
            var builder = new RecordBatchBuilder(context.Output!, RecordSchema.Of("id", "amount", "country"), batchSize: 64);
            for (long i = 1; i <= context.Options.GetInt64("count", 100); i++)
                await builder.AddAsync([i, (decimal)(i % 1000), Countries[i % 3]], cancellationToken);
            await builder.FlushAsync(cancellationToken);
        }
    }

    private static StepTypeRegistry Registry()
    {
        var registry = Support.Pipelines.Registry();
        registry.Register(new OrdersStep());
        return registry;
    }

    private const string Yaml = """
        pipeline_id: transforms
        steps:
          - id: orders
            type: test.orders
            with: { count: 3000 }
          - id: route
            type: split
            input: orders
            with:
              routes: { large: "amount >= 500" }
          - id: large_de
            type: filter
            input: route.large
            with: { where: "country = 'DE'" }
          - id: small
            type: derive
            input: route
            with:
              columns: { tax: "amount * 0.2" }
          - id: together
            type: union
            input: [large_de, small]
          - id: check
            type: validate
            input: together
            with:
              columns: { amount: { max: 900 } }
              on_invalid: reject
          - id: dead_letters
            type: limit
            input: check.rejected
            with: { count: 1000000 }
          - id: totals
            type: aggregate
            input: check
            with:
              group_by: [country]
              aggregates: { orders: "count(*)", total: "sum(amount)" }
          - id: output
            type: sort
            input: totals
            with: { by: [country] }
        """;

    [Fact]
    public async Task Records_fan_out_through_split_routes_and_come_together_again_through_union_validate_aggregate_and_sort()
    {
        var received = new List<object?[]>();
        var registry = Registry();

        var result = await new PipelineExecutor(registry).RunAsync(new RunRequest
        {
            Definition = DefinitionLoader.LoadText(Yaml, registry, "transforms.yml"),
            Output = (batch, _) => { received.AddRange(batch.Rows); return ValueTask.CompletedTask; },
        }).WaitAsync(TimeSpan.FromSeconds(60));

        Assert.True(result.Succeeded, result.Error);
        // What the steps did, computed directly: small orders all pass; large ones only from DE, and those over 900 are rejected.
        var orders = Enumerable.Range(1, 3000).Select(i => (Amount: (decimal)(i % 1000), Country: OrdersStep.Countries[i % 3])).ToList();
        var kept = orders.Where(o => o.Amount < 500 || (o.Country == "DE" && o.Amount <= 900)).ToList();
        var expected = kept.GroupBy(o => o.Country).OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => new object?[] { g.Key, (long)g.Count(), g.Sum(o => o.Amount) }).ToList();
        Assert.Equal(expected, received);
        long Rows(string id) => result.Steps.Single(s => s.StepId == id).Rows;
        Assert.Equal(orders.Count(o => o.Country == "DE" && o.Amount > 900), Rows("dead_letters"));
        Assert.Equal(orders.Count(o => o.Amount >= 500), (long)result.Steps.Single(s => s.StepId == "route").Outputs["rows_large"]!);
    }

    [Fact]
    public async Task The_callers_records_flow_through_a_transform_and_back_out()
    {
        static async IAsyncEnumerable<RecordBatch> Input()
        {
            for (var b = 0; b < 10; b++)
            {
                await Task.Yield();
                yield return new RecordBatch(RecordSchema.Of("Qty", "Price"), Enumerable.Range(b * 10, 10).Select(i => new object?[] { i.ToString(), "2.50" }).ToList());
            }
        }
        var registry = Registry();
        var definition = DefinitionLoader.LoadText("""
            pipeline_id: host
            steps:
              - id: keep
                type: filter
                with: { where: "qty % 10 = 0" }
              - id: total
                type: derive
                input: keep
                with:
                  columns: { Total: "qty * price" }
            """, registry);
        var received = new List<object?[]>();

        var result = await new PipelineExecutor(registry).RunAsync(new RunRequest
        {
            Definition = definition,
            Input = Input(),
            Output = (batch, _) => { received.AddRange(batch.Rows); return ValueTask.CompletedTask; },
        });

        Assert.True(result.Succeeded, result.Error);
        Assert.Equal(Enumerable.Range(0, 10).Select(i => (object?)(i * 10 * 2.5m)), received.Select(r => r[2]));
    }

    [Fact]
    public async Task A_validation_failure_fails_the_run_and_its_report_reaches_the_result()
    {
        var registry = Registry();
        var definition = DefinitionLoader.LoadText("""
            pipeline_id: strict
            steps:
              - id: orders
                type: test.orders
                with: { count: 20 }
              - id: check
                type: validate
                input: orders
                with:
                  columns: { amount: { max: 15 } }
            """, registry);

        var result = await new PipelineExecutor(registry).RunAsync(new RunRequest { Definition = definition, Output = (_, _) => ValueTask.CompletedTask });

        Assert.Equal(RunStatus.Failed, result.Status);
        var check = result.Steps.Single(s => s.StepId == "check");
        Assert.Equal(ErrorKind.Validation, check.ErrorKind);
        Assert.Contains("5 of 20 rows are invalid", check.Error);
        Assert.Contains("row 16, column 'amount', max: 16", check.Error);
    }

    [Fact]
    public void Option_values_and_outputs_are_checked_when_the_definition_loads()
    {
        var registry = Registry();

        var ex = Assert.Throws<DefinitionException>(() => DefinitionLoader.LoadText("""
            pipeline_id: bad
            steps:
              - id: orders
                type: test.orders
              - id: check
                type: validate
                input: orders
                with: { rules: { positive: "amount > 0" }, on_invalid: rejct }
              - id: joined
                type: join
                input: [orders, check.rejectd]
                with: { on: id, kind: outer }
            """, registry));

        Assert.Contains(ex.Errors, e => e.Code == "bad-option" && e.Message.Contains("'on_invalid'") && e.Message.Contains("did you mean 'reject'?"));
        Assert.Contains(ex.Errors, e => e.Code == "bad-option" && e.Message.Contains("'kind'"));
        Assert.Contains(ex.Errors, e => e.Code == "unknown-output" && e.Message.Contains("'rejected'"));
    }
}
