using Pipeline.Core.Execution;
using Pipeline.Core.Steps;
using static Pipeline.Core.Tests.Support.Pipelines;

namespace Pipeline.Core.Tests.Execution;

public sealed class ThrottleTests
{
    /// <summary>"test.reader": reads the records it is given (none here) and waits at a gate, counting how many run at once.</summary>
    private sealed class ReaderStep : IStepHandler
    {
        private int _running;

        public TaskCompletionSource Gate { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public int MaxRunning;

        public int Started;

        public StepTypeInfo Info { get; } = new("test.reader", "Reads records.", []) { ConsumesRecords = true };

        public async Task ExecuteAsync(StepContext context, CancellationToken cancellationToken)
        {
            var running = Interlocked.Increment(ref _running);
            int max;
            while ((max = Volatile.Read(ref MaxRunning)) < running && Interlocked.CompareExchange(ref MaxRunning, running, max) != max) { }
            Interlocked.Increment(ref Started);
            foreach (var input in context.Inputs.Values)
            {
                await foreach (var _ in input.WithCancellation(cancellationToken)) { }
            }
            await Gate.Task.WaitAsync(cancellationToken);
            Interlocked.Decrement(ref _running);
        }
    }

    [Fact]
    public async Task Steps_that_would_read_the_callers_records_when_there_are_none_wait_for_the_throttle()
    {
        var reader = new ReaderStep();
        var registry = Registry();
        registry.Register(reader);
        var steps = Enumerable.Range(1, 6).Select(i => Step("r" + i, "test.reader")).ToArray();

        var run = new PipelineExecutor(registry).RunAsync(new RunRequest { Definition = Definition(steps), Parallel = true, ThrottleLimit = 2 });
        while (Volatile.Read(ref reader.Started) < 2) await Task.Delay(10);
        // Had the throttle been ignored, the other four would be running by now; with it they cannot be, however long this takes.
        await Task.Delay(200);
        reader.Gate.SetResult();
        var result = await run.WaitAsync(TimeSpan.FromMinutes(2));

        Assert.Equal(Pipeline.Core.State.RunStatus.Succeeded, result.Status);
        Assert.Equal(2, reader.MaxRunning);
    }
}
