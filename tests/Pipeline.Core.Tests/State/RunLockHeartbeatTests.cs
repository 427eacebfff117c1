using Pipeline.Core.State;
using Pipeline.Core.Tests.Support;

namespace Pipeline.Core.Tests.State;

/// <summary>
/// Heartbeats and takeovers on fake clocks. A holder whose clock stands still stops heart-beating (as a hung or
/// suspended process does) while the contender's clock moves on; both stores are in this process, so the
/// same-host dead-process check never applies here.
/// </summary>
public sealed class RunLockHeartbeatTests : IDisposable
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private readonly TempStoreDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    private SqliteRunStore OpenStore(TimeProvider time) => new(_directory.DatabasePath, time, Interval, Timeout);

    [Fact]
    public async Task Heartbeat_keeps_the_lock_past_the_timeout()
    {
        var time = new ManualTimeProvider();
        await using var holderStore = OpenStore(time);
        await using var contenderStore = OpenStore(time);
        await using var held = await holderStore.AcquireLockAsync("nightly", "run-a", 1);

        time.Advance(Timeout * 3);
        var error = await Assert.ThrowsAsync<RunLockedException>(() => contenderStore.AcquireLockAsync("nightly", "run-b", 1));

        var holder = Assert.Single(error.Holders);
        Assert.Equal(time.GetUtcNow(), holder.HeartbeatAt);
        Assert.Equal(ManualTimeProvider.DefaultStart, holder.AcquiredAt);
        Assert.False(held.Lost.IsCancellationRequested);
    }

    [Fact]
    public async Task Lock_without_heartbeat_for_longer_than_the_timeout_is_taken_over_and_its_run_abandoned()
    {
        var holderTime = new ManualTimeProvider();
        var contenderTime = new ManualTimeProvider();
        await using var holderStore = OpenStore(holderTime);
        await using var contenderStore = OpenStore(contenderTime);
        await using var held = await holderStore.AcquireLockAsync("nightly", "run-a", 1);
        await holderStore.StartRunAsync(new RunRecord { RunId = "run-a", PipelineId = "nightly", StartedAt = holderTime.GetUtcNow() });

        contenderTime.Advance(Timeout + TimeSpan.FromTicks(1));
        await using var taken = await contenderStore.AcquireLockAsync("nightly", "run-b", 1);

        Assert.Equal(["run-a"], taken.TakenOverFrom);
        var abandoned = await contenderStore.GetRunAsync("run-a");
        Assert.Equal(RunStatus.Abandoned, abandoned!.Status);
        Assert.Equal(ManualTimeProvider.DefaultStart, abandoned.EndedAt); // its last heartbeat
        Assert.Contains("Abandoned", abandoned.Error);
        Assert.Contains($"process {Environment.ProcessId}", abandoned.Error);
        Assert.Contains("last heart-beat", abandoned.Error);
        Assert.Contains("run run-b took over its slot", abandoned.Error);
    }

    [Fact]
    public async Task Lock_is_not_taken_over_at_exactly_the_timeout()
    {
        var holderTime = new ManualTimeProvider();
        var contenderTime = new ManualTimeProvider();
        await using var holderStore = OpenStore(holderTime);
        await using var contenderStore = OpenStore(contenderTime);
        await using var held = await holderStore.AcquireLockAsync("nightly", "run-a", 1);

        contenderTime.Advance(Timeout);

        await Assert.ThrowsAsync<RunLockedException>(() => contenderStore.AcquireLockAsync("nightly", "run-b", 1));
    }

    [Fact]
    public async Task Finished_run_of_a_dead_holder_keeps_its_status()
    {
        var holderTime = new ManualTimeProvider();
        var contenderTime = new ManualTimeProvider();
        await using var holderStore = OpenStore(holderTime);
        await using var contenderStore = OpenStore(contenderTime);
        await using var held = await holderStore.AcquireLockAsync("nightly", "run-a", 1);
        await holderStore.StartRunAsync(new RunRecord { RunId = "run-a", PipelineId = "nightly", StartedAt = holderTime.GetUtcNow() });
        await holderStore.FinishRunAsync("run-a", RunStatus.Succeeded, holderTime.GetUtcNow(), null);

        contenderTime.Advance(Timeout * 2);
        await using var taken = await contenderStore.AcquireLockAsync("nightly", "run-b", 1);

        Assert.Equal(["run-a"], taken.TakenOverFrom);
        Assert.Equal(RunStatus.Succeeded, (await contenderStore.GetRunAsync("run-a"))!.Status);
    }

    [Fact]
    public async Task Only_dead_holders_are_taken_over_when_a_slot_is_free()
    {
        var liveTime = new ManualTimeProvider();
        var deadTime = new ManualTimeProvider();
        await using var liveStore = OpenStore(liveTime);
        await using var deadStore = OpenStore(deadTime);
        await using var live = await liveStore.AcquireLockAsync("nightly", "run-live", 2);
        await using var dead = await deadStore.AcquireLockAsync("nightly", "run-dead", 2);

        liveTime.Advance(Timeout * 2);
        await using var taken = await liveStore.AcquireLockAsync("nightly", "run-new", 2);

        Assert.Equal(["run-dead"], taken.TakenOverFrom);
        var error = await Assert.ThrowsAsync<RunLockedException>(() => liveStore.AcquireLockAsync("nightly", "run-late", 2));
        Assert.Equal(["run-live", "run-new"], error.Holders.Select(h => h.RunId).Order());
    }

    [Fact]
    public async Task Holder_that_was_taken_over_is_told_it_lost_the_lock()
    {
        var holderTime = new ManualTimeProvider();
        var contenderTime = new ManualTimeProvider();
        await using var holderStore = OpenStore(holderTime);
        await using var contenderStore = OpenStore(contenderTime);
        await using var held = await holderStore.AcquireLockAsync("nightly", "run-a", 1);
        contenderTime.Advance(Timeout * 2);
        await using var taken = await contenderStore.AcquireLockAsync("nightly", "run-b", 1);
        Assert.False(held.Lost.IsCancellationRequested);

        holderTime.Advance(Interval);

        Assert.True(held.Lost.IsCancellationRequested);
        Assert.Equal(0, holderTime.ArmedTimers);
        await held.DisposeAsync(); // must not free the slot that run-b now holds
        var error = await Assert.ThrowsAsync<RunLockedException>(() => holderStore.AcquireLockAsync("nightly", "run-c", 1));
        Assert.Equal("run-b", Assert.Single(error.Holders).RunId);
    }

    [Fact]
    public async Task Heartbeat_timer_is_armed_while_held_and_gone_after_release()
    {
        var time = new ManualTimeProvider();
        await using var store = OpenStore(time);

        var held = await store.AcquireLockAsync("nightly", "run-a", 1);
        Assert.Equal(1, time.ArmedTimers);
        await held.DisposeAsync();

        Assert.Equal(0, time.ArmedTimers);
    }
}

public sealed class LostLockRunTests : IDisposable
{
    private readonly TempStoreDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task A_run_whose_slot_was_taken_over_stops_and_says_why()
    {
        var holderTime = new ManualTimeProvider();
        var contenderTime = new ManualTimeProvider();
        await using var holderStore = new SqliteRunStore(_directory.DatabasePath, holderTime, TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(30));
        await using var contenderStore = new SqliteRunStore(_directory.DatabasePath, contenderTime, TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(30));
        var test = new TestStep();
        var executor = new Pipeline.Core.Execution.PipelineExecutor(Pipelines.Registry(test), holderTime);

        var run = executor.RunAsync(new Pipeline.Core.Execution.RunRequest
        {
            Definition = Pipelines.Definition(Pipelines.Step("wait", with: new() { ["block"] = "true" })) with { PipelineId = "nightly" },
            Store = holderStore,
        });
        await test.StartedSignal("wait").Task.WaitAsync(TimeSpan.FromMinutes(1));
        contenderTime.Advance(TimeSpan.FromMinutes(1));
        await using var taken = await contenderStore.AcquireLockAsync("nightly", "run-b", 1);
        await holderTime.WaitForTimersAsync();
        holderTime.Advance(TimeSpan.FromSeconds(5));
        var result = await run.WaitAsync(TimeSpan.FromMinutes(1));

        Assert.Equal(RunStatus.Cancelled, result.Status);
        Assert.Contains("took over its slot", result.Error);
    }
}
