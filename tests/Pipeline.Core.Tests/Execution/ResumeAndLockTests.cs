using Pipeline.Core.Definitions;
using Pipeline.Core.Execution;
using Pipeline.Core.Observability;
using Pipeline.Core.State;
using Pipeline.Core.Tests.Support;
using static Pipeline.Core.Tests.Support.Pipelines;

namespace Pipeline.Core.Tests.Execution;

public sealed class ResumeAndLockTests : IAsyncLifetime
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "pipeline-resume-" + Guid.NewGuid().ToString("N"));
    private readonly TestStep _test = new();
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

    private const string Yaml = """
        pipeline_id: resumable
        variables: { region: eu }
        steps:
          - id: extract
            type: test.step
            with: { message: "extract {region} {day}" }
          - id: load
            type: test.step
            depends_on: [extract]
            with: { fail_times: "1", message: "load {region} {day}" }
          - id: report
            type: test.step
            depends_on: [load]
            with: { message: "report {day}" }
        """;

    [Fact]
    public async Task Resume_runs_again_a_cleanup_that_ran_after_the_failure()
    {
        var executor = new PipelineExecutor(Registry(_test));
        var definition = DefinitionLoader.LoadText("""
            pipeline_id: cleaned
            steps:
              - id: fetch
                type: test.step
              - id: load
                type: test.step
                depends_on: [fetch]
                with: { fail_times: "1" }
              - id: cleanup
                type: test.step
                depends_on: [load]
                trigger: all_done
            """, executor.Registry, Path.Combine(_dir, "cleaned.yml"));

        var first = await executor.RunAsync(new RunRequest { Definition = definition, Store = _store });
        var second = await executor.RunAsync(new RunRequest { ResumeRunId = first.RunId, Store = _store });

        Assert.Equal(RunStatus.Succeeded, first.Steps.Single(s => s.StepId == "cleanup").Status);
        Assert.Equal(RunStatus.Succeeded, second.Status);
        Assert.True(second.Steps.Single(s => s.StepId == "fetch").Resumed);
        Assert.False(second.Steps.Single(s => s.StepId == "cleanup").Resumed);
        Assert.Equal(2, _test.Journal.Count(e => e == "start:cleanup"));
        Assert.Equal(1, _test.Journal.Count(e => e == "start:fetch"));
    }

    [Fact]
    public async Task Resume_reruns_only_what_did_not_succeed_with_the_original_variables()
    {
        var executor = new PipelineExecutor(Registry(_test));
        var definition = DefinitionLoader.LoadText(Yaml, executor.Registry, Path.Combine(_dir, "resumable.yml"), ["day"]);
        var first = await executor.RunAsync(new RunRequest { Definition = definition, Store = _store, Variables = new Dictionary<string, string> { ["day"] = "2026-11-21" } });
        Assert.Equal(RunStatus.Failed, first.Status);
        Assert.Equal(RunStatus.Skipped, first.Steps.Single(s => s.StepId == "report").Status);

        var events = new EventLog();
        // No definition and no variables: both come from the recorded run.
        var second = await executor.RunAsync(new RunRequest { ResumeRunId = first.RunId, Store = _store }, events);
        Assert.Equal(RunStatus.Succeeded, second.Status);
        Assert.Equal(first.RunId, second.ResumedFrom);
        Assert.True(second.Steps.Single(s => s.StepId == "extract").Resumed);
        Assert.Equal(1, _test.Journal.Count(j => j == "start:extract"));
        Assert.Equal(2, _test.Journal.Count(j => j == "start:load"));
        Assert.Contains(events.Events, e => e.Kind == PipelineEventKind.StepLog && e.Message == "report 2026-11-21");

        var recorded = await _store.GetRunAsync(second.RunId);
        Assert.Equal(first.RunId, recorded!.ResumedFrom);
        Assert.Equal(RunStatus.Succeeded, recorded.Status);
        var attempts = await _store.GetAttemptsAsync(second.RunId);
        Assert.Contains(attempts, a => a.StepId == "extract" && a.Status == RunStatus.Succeeded && a.Attempt == 0);
    }

    [Fact]
    public async Task Resuming_a_succeeded_or_unknown_run_is_refused()
    {
        var executor = new PipelineExecutor(Registry(_test));
        var ok = await executor.RunAsync(new RunRequest { Definition = Definition(Step("a")), Store = _store });
        await Assert.ThrowsAsync<ArgumentException>(() => executor.RunAsync(new RunRequest { ResumeRunId = ok.RunId, Definition = Definition(Step("a")), Store = _store }));
        var ex = await Assert.ThrowsAsync<RunNotFoundException>(() => executor.RunAsync(new RunRequest { ResumeRunId = "nope", Store = _store }));
        Assert.Contains("no run 'nope'", ex.Message);
    }

    [Fact]
    public async Task A_second_run_of_the_same_pipeline_is_refused_while_the_first_holds_the_lock()
    {
        var executor = new PipelineExecutor(Registry(_test));
        var definition = Definition(Step("long", with: new Dictionary<string, object?> { ["gate"] = "go" }));
        var first = executor.RunAsync(new RunRequest { Definition = definition, Store = _store });
        await _test.StartedSignal("long").Task.WaitAsync(TimeSpan.FromSeconds(30));
        var ex = await Assert.ThrowsAsync<RunLockedException>(() => executor.RunAsync(new RunRequest { Definition = definition, Store = _store }));
        Assert.Contains("already running", ex.Message);
        _test.Gate("go").SetResult();
        var result = await first;
        Assert.Contains(result.RunId, ex.Message);
        // Once released, the pipeline runs again.
        Assert.Equal(RunStatus.Succeeded, (await executor.RunAsync(new RunRequest { Definition = definition, Store = _store })).Status);
    }

    [Fact]
    public async Task Concurrency_two_lets_two_runs_in_at_once()
    {
        var executor = new PipelineExecutor(Registry(_test));
        var definition = Definition(Step("long", with: new Dictionary<string, object?> { ["gate"] = "go" })) with { Concurrency = 2 };
        var first = executor.RunAsync(new RunRequest { Definition = definition, Store = _store });
        var second = executor.RunAsync(new RunRequest { Definition = definition, Store = _store });
        await Task.Delay(0);
        await WaitUntil(() => _test.Journal.Count(j => j == "start:long") == 2);
        _test.Gate("go").SetResult();
        Assert.Equal(RunStatus.Succeeded, (await first).Status);
        Assert.Equal(RunStatus.Succeeded, (await second).Status);
    }

    [Fact]
    public async Task Run_history_records_every_attempt_with_masked_variables()
    {
        var executor = new PipelineExecutor(Registry(_test));
        var definition = Definition(Step("flaky", with: new Dictionary<string, object?> { ["fail_times"] = "1" }, retry: new RetryPolicy { MaxAttempts = 2, Delay = TimeSpan.Zero }));
        var secrets = new Pipeline.Core.Templates.SecretStore(new Dictionary<string, string> { ["TOKEN"] = "tok-123456789" });
        var result = await executor.RunAsync(new RunRequest
        {
            Definition = definition with { Variables = new Dictionary<string, string> { ["auth"] = "{secret:TOKEN}" } },
            Store = _store,
            Secrets = secrets,
            Variables = new Dictionary<string, string> { ["auth"] = "Bearer {secret:TOKEN}" },
        });
        Assert.Equal(RunStatus.Succeeded, result.Status);
        var attempts = await _store.GetAttemptsAsync(result.RunId);
        Assert.Equal([RunStatus.Failed, RunStatus.Succeeded], attempts.Where(a => a.StepId == "flaky").Select(a => a.Status));
        Assert.Equal("transient", attempts.First().ErrorKind);
        var run = await _store.GetRunAsync(result.RunId);
        Assert.DoesNotContain("tok-123456789", string.Join(";", run!.Variables.Values));
    }

    private static async Task WaitUntil(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException("The condition did not become true.");
            await Task.Delay(10);
        }
    }
}
