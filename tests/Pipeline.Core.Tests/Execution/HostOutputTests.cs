using Pipeline.Core.Execution;
using Pipeline.Core.Records;
using Pipeline.Core.State;
using Pipeline.Core.Steps;
using static Pipeline.Core.Tests.Support.Pipelines;

namespace Pipeline.Core.Tests;

public sealed class HostOutputTests
{
    /// <summary>"test.breaks": writes one batch of records, then fails.</summary>
    private sealed class BreakingProducer : IStepHandler
    {
        public StepTypeInfo Info { get; } = new("test.breaks", "Writes a batch, then fails.", []) { ProducesRecords = true };

        public async Task ExecuteAsync(StepContext context, CancellationToken cancellationToken)
        {
            await context.Output!.WriteAsync(new RecordBatch(RecordSchema.Of("n"), [[1L]]), cancellationToken);
            throw new StepException(ErrorKind.Validation, "bad row 2");
        }
    }

    private static PipelineExecutor Executor()
    {
        var registry = Registry();
        registry.Register(new BreakingProducer());
        return new PipelineExecutor(registry);
    }

    [Fact]
    public async Task A_failing_output_step_ends_the_run_as_failed_after_the_host_got_its_records()
    {
        var received = new List<long>();

        var result = await Executor().RunAsync(new RunRequest
        {
            Definition = Definition(Step("out", type: "test.breaks")),
            Output = (batch, _) => { received.AddRange(batch.Rows.Select(r => (long)r[0]!)); return ValueTask.CompletedTask; },
        });

        Assert.Equal(RunStatus.Failed, result.Status);
        Assert.Equal([1L], received);
        Assert.Contains("bad row 2", result.Error);
    }

    [Fact]
    public async Task A_run_cancelled_while_the_host_takes_records_ends_as_cancelled()
    {
        using var cancellation = new CancellationTokenSource();

        var result = await Executor().RunAsync(new RunRequest
        {
            Definition = Definition(Step("numbers", type: "test.numbers", with: new Dictionary<string, object?> { ["count"] = "10000" })),
            Output = async (_, token) =>
            {
                cancellation.Cancel();
                await Task.Delay(Timeout.Infinite, token);
            },
        }, cancellationToken: cancellation.Token).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(RunStatus.Cancelled, result.Status);
    }
}
