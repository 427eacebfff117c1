using Pipeline.Core.State;
using Pipeline.Core.Tests.Support;

namespace Pipeline.Core.Tests.State;

public sealed class RunLockTests : IDisposable
{
    private readonly TempStoreDirectory _directory = new();
    private readonly ManualTimeProvider _time = new();

    public void Dispose() => _directory.Dispose();

    private SqliteRunStore OpenStore() => new(_directory.DatabasePath, _time);

    [Fact]
    public async Task Second_run_is_refused_with_the_holder_named()
    {
        await using var store = OpenStore();
        await using var held = await store.AcquireLockAsync("nightly", "run-a", 1);

        var error = await Assert.ThrowsAsync<RunLockedException>(() => store.AcquireLockAsync("nightly", "run-b", 1));

        Assert.Equal("nightly", error.PipelineId);
        var holder = Assert.Single(error.Holders);
        Assert.Equal("run-a", holder.RunId);
        Assert.Equal(Environment.MachineName, holder.Host);
        Assert.Equal(Environment.ProcessId, holder.ProcessId);
        Assert.Equal(_time.GetUtcNow(), holder.AcquiredAt);
        Assert.Contains($"run run-a on {Environment.MachineName} (process {Environment.ProcessId}) since {_time.GetUtcNow():u}", error.Message);
    }

    [Fact]
    public async Task Other_pipelines_are_not_blocked()
    {
        await using var store = OpenStore();
        await using var nightly = await store.AcquireLockAsync("nightly", "run-a", 1);

        await using var hourly = await store.AcquireLockAsync("hourly", "run-b", 1);

        Assert.Equal("hourly", hourly.PipelineId);
        Assert.Equal("run-b", hourly.RunId);
    }

    [Fact]
    public async Task Concurrency_two_lets_two_runs_in_and_refuses_the_third_naming_both()
    {
        await using var store = OpenStore();
        await using var first = await store.AcquireLockAsync("nightly", "run-a", 2);
        await using var second = await store.AcquireLockAsync("nightly", "run-b", 2);

        var error = await Assert.ThrowsAsync<RunLockedException>(() => store.AcquireLockAsync("nightly", "run-c", 2));

        Assert.Equal(["run-a", "run-b"], error.Holders.Select(h => h.RunId));
        Assert.Contains("run run-a", error.Message);
        Assert.Contains("run run-b", error.Message);
    }

    [Fact]
    public async Task Released_slot_can_be_taken_by_the_next_run()
    {
        await using var store = OpenStore();
        var first = await store.AcquireLockAsync("nightly", "run-a", 1);
        await first.DisposeAsync();

        await using var second = await store.AcquireLockAsync("nightly", "run-b", 1);

        Assert.Equal("run-b", second.RunId);
        Assert.Empty(second.TakenOverFrom);
    }

    [Fact]
    public async Task Lower_concurrency_counts_every_live_holder()
    {
        await using var store = OpenStore();
        await using var first = await store.AcquireLockAsync("nightly", "run-a", 3);
        await using var second = await store.AcquireLockAsync("nightly", "run-b", 3);
        await first.DisposeAsync();

        // Slot 0 is free again, but run-b still runs and the definition now allows one run.
        var error = await Assert.ThrowsAsync<RunLockedException>(() => store.AcquireLockAsync("nightly", "run-c", 1));

        Assert.Equal("run-b", Assert.Single(error.Holders).RunId);
    }

    [Fact]
    public async Task Run_cannot_take_a_second_slot_of_the_same_pipeline()
    {
        await using var store = OpenStore();
        await using var held = await store.AcquireLockAsync("nightly", "run-a", 2);

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => store.AcquireLockAsync("nightly", "run-a", 2));

        Assert.Contains("'run-a' already holds a slot of pipeline 'nightly'", error.Message);
    }

    [Fact]
    public async Task Concurrency_below_one_is_refused()
    {
        await using var store = OpenStore();

        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => store.AcquireLockAsync("nightly", "run-a", 0));
    }

    [Fact]
    public async Task Racing_acquires_on_separate_connections_take_exactly_the_slots_allowed()
    {
        const int contenders = 12;
        const int concurrency = 3;
        var stores = Enumerable.Range(0, contenders).Select(_ => OpenStore()).ToArray();
        try
        {
            using var start = new ManualResetEventSlim();
            var attempts = stores.Select((store, i) => Task.Run(async () =>
            {
                start.Wait();
                try
                {
                    return (RunLock?)await store.AcquireLockAsync("nightly", $"run-{i}", concurrency);
                }
                catch (RunLockedException)
                {
                    return null;
                }
            })).ToArray();
            start.Set();
            var locks = await Task.WhenAll(attempts);

            Assert.Equal(concurrency, locks.Count(l => l is not null));
        }
        finally
        {
            foreach (var store in stores) await store.DisposeAsync();
        }
    }

    [Fact]
    public async Task Disposing_the_store_releases_its_locks()
    {
        var store = OpenStore();
        var held = await store.AcquireLockAsync("nightly", "run-a", 1);
        await store.DisposeAsync();

        await using var other = OpenStore();
        await using var next = await other.AcquireLockAsync("nightly", "run-b", 1);

        Assert.Empty(next.TakenOverFrom);
        await held.DisposeAsync(); // already released: nothing to do
    }

    [Fact]
    public async Task Disposing_a_lock_twice_is_harmless()
    {
        await using var store = OpenStore();
        var held = await store.AcquireLockAsync("nightly", "run-a", 1);

        await held.DisposeAsync();
        await held.DisposeAsync();

        await using var next = await store.AcquireLockAsync("nightly", "run-b", 1);
    }
}
