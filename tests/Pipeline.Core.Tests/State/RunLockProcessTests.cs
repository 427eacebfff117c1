using Pipeline.Core.State;

namespace Pipeline.Core.Tests.State;

/// <summary>
/// Run locks between real processes: the holder is a Pipeline.StateProbe process, the contender is this test
/// (or more probes). The stores here use the real clock and the default 30 s heartbeat timeout, so every takeover
/// below comes from the same-host dead-process check, not from waiting.
/// </summary>
public sealed class RunLockProcessTests : IDisposable
{
    private readonly TempStoreDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    private StateProbeProcess StartProbe(string runId, params string[] options) =>
        StateProbeProcess.Start([_directory.DatabasePath, "nightly", runId, .. options]);

    [Fact]
    public async Task Lock_held_by_another_process_is_refused_naming_that_run_and_process()
    {
        await using var holder = StartProbe("run-a");
        await holder.ReadLineStartingWithAsync("READY");
        Assert.Equal("ACQUIRED", await holder.ReadLineAsync());
        await using var store = new SqliteRunStore(_directory.DatabasePath);

        var error = await Assert.ThrowsAsync<RunLockedException>(() => store.AcquireLockAsync("nightly", "run-b", 1));

        Assert.Contains("run run-a", error.Message);
        Assert.Contains($"(process {holder.Id})", error.Message);
        Assert.Equal(holder.Id, Assert.Single(error.Holders).ProcessId);
    }

    [Fact]
    public async Task Killed_holder_is_taken_over_at_once_and_its_run_marked_abandoned()
    {
        await using var holder = StartProbe("run-a");
        await holder.ReadLineStartingWithAsync("READY");
        Assert.Equal("ACQUIRED", await holder.ReadLineAsync());
        await using var store = new SqliteRunStore(_directory.DatabasePath);
        await Assert.ThrowsAsync<RunLockedException>(() => store.AcquireLockAsync("nightly", "run-b", 1));

        await holder.KillAsync();
        await using var taken = await store.AcquireLockAsync("nightly", "run-b", 1);

        Assert.Equal(["run-a"], taken.TakenOverFrom);
        var abandoned = await store.GetRunAsync("run-a");
        Assert.Equal(RunStatus.Abandoned, abandoned!.Status);
        Assert.NotNull(abandoned.EndedAt);
        Assert.Contains($"process {holder.Id} on {Environment.MachineName} no longer exists", abandoned.Error);
        Assert.Contains("run run-b took over its slot", abandoned.Error);
    }

    [Fact]
    public async Task Holder_that_exits_without_releasing_is_taken_over_by_the_next_process()
    {
        await using (var holder = StartProbe("run-a", "--exit-without-release"))
        {
            await holder.ReadLineStartingWithAsync("READY");
            Assert.Equal("ACQUIRED", await holder.ReadLineAsync());
            Assert.Equal(3, await holder.WaitForExitAsync());
        }

        await using var next = StartProbe("run-b");
        await next.ReadLineStartingWithAsync("READY");

        Assert.Equal("ACQUIRED run-a", await next.ReadLineAsync());
        await using var store = new SqliteRunStore(_directory.DatabasePath);
        Assert.Equal(RunStatus.Abandoned, (await store.GetRunAsync("run-a"))!.Status);
        Assert.Equal(RunStatus.Running, (await store.GetRunAsync("run-b"))!.Status);
    }

    [Fact]
    public async Task Holder_that_releases_lets_the_next_run_in_without_a_takeover()
    {
        await using var holder = StartProbe("run-a");
        await holder.ReadLineStartingWithAsync("READY");
        Assert.Equal("ACQUIRED", await holder.ReadLineAsync());

        await holder.WriteLineAsync("release");
        Assert.Equal("RELEASED", await holder.ReadLineAsync());
        Assert.Equal(0, await holder.WaitForExitAsync());
        await using var store = new SqliteRunStore(_directory.DatabasePath);
        await using var next = await store.AcquireLockAsync("nightly", "run-b", 1);

        Assert.Empty(next.TakenOverFrom);
        Assert.Equal(RunStatus.Succeeded, (await store.GetRunAsync("run-a"))!.Status);
    }

    [Fact]
    public async Task Processes_racing_for_two_slots_take_exactly_two()
    {
        var probes = Enumerable.Range(0, 4).Select(i => StartProbe($"run-{i}", "--concurrency", "2", "--wait-go")).ToArray();
        try
        {
            foreach (var probe in probes) await probe.ReadLineStartingWithAsync("READY");

            // Every probe has its store open and waits on stdin: release them together.
            await Task.WhenAll(probes.Select(p => p.WriteLineAsync("go")));
            var outcomes = await Task.WhenAll(probes.Select(p => p.ReadLineAsync()));

            Assert.Equal(2, outcomes.Count(o => o == "ACQUIRED"));
            Assert.Equal(2, outcomes.Count(o => o.StartsWith("LOCKED The pipeline 'nightly' is already running", StringComparison.Ordinal)));
        }
        finally
        {
            foreach (var probe in probes) await probe.DisposeAsync();
        }
    }
}
