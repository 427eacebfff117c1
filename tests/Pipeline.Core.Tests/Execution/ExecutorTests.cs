using Pipeline.Core.Definitions;
using Pipeline.Core.Execution;
using Pipeline.Core.Observability;
using Pipeline.Core.Records;
using Pipeline.Core.State;
using Pipeline.Core.Tests.Support;
using static Pipeline.Core.Tests.Support.Pipelines;

namespace Pipeline.Core.Tests.Execution;

public sealed class ExecutorTests
{
    private readonly TestStep _test = new();

    private PipelineExecutor Executor(TimeProvider? time = null) => new(Registry(_test), time);

    private static Dictionary<string, object?> With(params (string Key, object? Value)[] pairs) => pairs.ToDictionary(p => p.Key, p => p.Value);

    [Fact]
    public async Task Steps_run_one_at_a_time_in_plan_order_without_parallel()
    {
        var definition = Definition(Step("c", dependsOn: ["b"]), Step("a"), Step("b", dependsOn: ["a"]), Step("d"));
        var result = await Executor().RunAsync(new RunRequest { Definition = definition });
        Assert.Equal(RunStatus.Succeeded, result.Status);
        // Kahn's algorithm, ties broken by definition order: c, a, b, d → a (c waits) → b → c → d.
        Assert.Equal(["start:a", "end:a", "start:b", "end:b", "start:c", "end:c", "start:d", "end:d"], _test.Journal.ToArray());
        Assert.Equal(1, _test.MaxConcurrency);
    }

    [Fact]
    public async Task Parallel_runs_ready_steps_at_once_up_to_the_throttle()
    {
        var steps = Enumerable.Range(1, 6).Select(i => Step("s" + i, with: With(("gate", "open")))).ToArray();
        var run = Executor().RunAsync(new RunRequest { Definition = Definition(steps), Parallel = true, ThrottleLimit = 3 });
        await Task.WhenAll(Enumerable.Range(1, 3).Select(i => _test.StartedSignal("s" + i).Task)).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.False(_test.StartedSignal("s4").Task.IsCompleted);
        _test.Gate("open").SetResult();
        var result = await run;
        Assert.Equal(RunStatus.Succeeded, result.Status);
        Assert.Equal(3, _test.MaxConcurrency);
    }

    [Fact]
    public async Task Trigger_rules_decide_from_upstream_outcomes()
    {
        var fail = With(("fail_times", "1"), ("fail_kind", "io"));
        var definition = Definition(
            Step("ok"),
            Step("bad", with: fail),
            Step("all_success", dependsOn: ["ok", "bad"]),
            Step("all_done", dependsOn: ["ok", "bad"], trigger: TriggerRule.AllDone),
            Step("all_failed", dependsOn: ["bad"], trigger: TriggerRule.AllFailed),
            Step("all_failed_no", dependsOn: ["ok", "bad"], trigger: TriggerRule.AllFailed),
            Step("one_failed", dependsOn: ["ok", "bad"], trigger: TriggerRule.OneFailed),
            Step("one_failed_no", dependsOn: ["ok"], trigger: TriggerRule.OneFailed),
            Step("one_success", dependsOn: ["ok", "bad"], trigger: TriggerRule.OneSuccess),
            Step("none_failed", dependsOn: ["ok"], trigger: TriggerRule.NoneFailed),
            Step("none_failed_no", dependsOn: ["bad"], trigger: TriggerRule.NoneFailed),
            Step("after_skip", dependsOn: ["all_success"], trigger: TriggerRule.OneFailed)) with { OnFailure = FailurePolicy.Continue };
        var result = await Executor().RunAsync(new RunRequest { Definition = definition });
        RunStatus StatusOf(string id) => result.Steps.Single(s => s.StepId == id).Status;
        Assert.Equal(RunStatus.Failed, result.Status);
        Assert.Equal(RunStatus.Skipped, StatusOf("all_success"));
        Assert.Equal(RunStatus.Succeeded, StatusOf("all_done"));
        Assert.Equal(RunStatus.Succeeded, StatusOf("all_failed"));
        Assert.Equal(RunStatus.Skipped, StatusOf("all_failed_no"));
        Assert.Equal(RunStatus.Succeeded, StatusOf("one_failed"));
        Assert.Equal(RunStatus.Skipped, StatusOf("one_failed_no"));
        Assert.Equal(RunStatus.Succeeded, StatusOf("one_success"));
        Assert.Equal(RunStatus.Succeeded, StatusOf("none_failed"));
        Assert.Equal(RunStatus.Skipped, StatusOf("none_failed_no"));
        // A step skipped because its upstream failed counts as failed for the steps after it.
        Assert.Equal(RunStatus.Succeeded, StatusOf("after_skip"));
        Assert.Contains("'bad' failed", result.Steps.Single(s => s.StepId == "all_success").Reason);
    }

    [Fact]
    public async Task On_failure_stop_starts_no_new_steps_but_failure_handlers()
    {
        var definition = Definition(
            Step("bad", with: With(("fail_times", "1"))),
            Step("later"),
            Step("cleanup", dependsOn: ["bad"], trigger: TriggerRule.AllDone));
        var result = await Executor().RunAsync(new RunRequest { Definition = definition });
        Assert.Equal(RunStatus.Skipped, result.Steps.Single(s => s.StepId == "later").Status);
        Assert.Contains("stopping", result.Steps.Single(s => s.StepId == "later").Reason);
        Assert.Equal(RunStatus.Succeeded, result.Steps.Single(s => s.StepId == "cleanup").Status);
    }

    [Fact]
    public async Task On_failure_continue_keeps_independent_branches_running()
    {
        var definition = Definition(Step("bad", with: With(("fail_times", "1"))), Step("later")) with { OnFailure = FailurePolicy.Continue };
        var result = await Executor().RunAsync(new RunRequest { Definition = definition });
        Assert.Equal(RunStatus.Succeeded, result.Steps.Single(s => s.StepId == "later").Status);
        Assert.Equal(RunStatus.Failed, result.Status);
    }

    [Fact]
    public async Task Retry_waits_with_backoff_on_the_injected_clock_and_records_each_attempt()
    {
        var time = new ManualTimeProvider();
        var events = new EventLog();
        var retry = new RetryPolicy { MaxAttempts = 4, Backoff = BackoffKind.Exponential, Delay = TimeSpan.FromSeconds(10), MaxDelay = TimeSpan.FromSeconds(15) };
        var definition = Definition(Step("flaky", with: With(("fail_times", "3")), retry: retry));
        var run = Executor(time).RunAsync(new RunRequest { Definition = definition }, events);

        foreach (var expected in new[] { 10, 15, 15 })
        {
            await time.WaitForTimersAsync();
            var retrying = events.Events.Last(e => e.Kind == PipelineEventKind.StepRetrying);
            Assert.Equal(TimeSpan.FromSeconds(expected), retrying.Delay);
            time.Advance(TimeSpan.FromSeconds(expected));
        }
        var result = await run;
        Assert.Equal(RunStatus.Succeeded, result.Status);
        Assert.Equal(4, result.Steps[0].Attempts);
        Assert.Equal(3, events.Events.Count(e => e.Kind == PipelineEventKind.AttemptFailed));
        Assert.Contains(result.Summary.Alerts, a => a.Kind == "retried");
    }

    [Fact]
    public async Task Retry_on_limits_retries_to_the_listed_error_kinds()
    {
        var retry = new RetryPolicy { MaxAttempts = 3, Delay = TimeSpan.Zero, RetryOn = [ErrorKind.Timeout] };
        var definition = Definition(Step("bad", with: With(("fail_times", "5"), ("fail_kind", "io")), retry: retry));
        var result = await Executor().RunAsync(new RunRequest { Definition = definition });
        Assert.Equal(1, result.Steps[0].Attempts);
        Assert.Equal(ErrorKind.Io, result.Steps[0].ErrorKind);
    }

    [Fact]
    public async Task Configuration_errors_are_not_retried_by_default()
    {
        var retry = new RetryPolicy { MaxAttempts = 3, Delay = TimeSpan.Zero };
        var definition = Definition(Step("bad", with: With(("fail_times", "5"), ("fail_kind", "configuration")), retry: retry));
        var result = await Executor().RunAsync(new RunRequest { Definition = definition });
        Assert.Equal(1, result.Steps[0].Attempts);
    }

    [Fact]
    public async Task A_step_past_its_timeout_fails_with_kind_timeout()
    {
        var time = new ManualTimeProvider();
        var events = new EventLog();
        var definition = Definition(Step("slow", with: With(("block", "true")), timeout: TimeSpan.FromMinutes(5)));
        var run = Executor(time).RunAsync(new RunRequest { Definition = definition }, events);
        await _test.StartedSignal("slow").Task.WaitAsync(TimeSpan.FromSeconds(30));
        await time.WaitForTimersAsync();
        time.Advance(TimeSpan.FromMinutes(5));
        var result = await run.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(RunStatus.Failed, result.Status);
        Assert.Equal(ErrorKind.Timeout, result.Steps[0].ErrorKind);
        Assert.Contains("timeout of 5m", result.Steps[0].Error);
        Assert.Contains(events.Events, e => e.Kind == PipelineEventKind.StepTimedOut);
    }

    [Fact]
    public async Task Timeouts_are_retried_when_retry_on_lists_them()
    {
        var time = new ManualTimeProvider();
        var definition = Definition(Step("slow", with: With(("block", "true")), timeout: TimeSpan.FromSeconds(30),
            retry: new RetryPolicy { MaxAttempts = 2, Delay = TimeSpan.FromSeconds(1), RetryOn = [ErrorKind.Timeout] }));
        var run = Executor(time).RunAsync(new RunRequest { Definition = definition });
        await time.WaitForTimersAsync();
        time.Advance(TimeSpan.FromSeconds(30)); // attempt 1 times out
        await time.WaitForTimersAsync();
        time.Advance(TimeSpan.FromSeconds(1)); // the retry delay
        await time.WaitForTimersAsync();
        time.Advance(TimeSpan.FromSeconds(30)); // attempt 2 times out
        var result = await run.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(2, result.Steps[0].Attempts);
        Assert.Equal(ErrorKind.Timeout, result.Steps[0].ErrorKind);
    }

    [Fact]
    public async Task Cancellation_stops_running_steps_runs_rollbacks_and_marks_the_run_cancelled()
    {
        var rollbackMarker = Path.Combine(Path.GetTempPath(), "pipeline-rollback-" + Guid.NewGuid().ToString("N"));
        File.WriteAllText(rollbackMarker, "x");
        var definition = Definition(
            Step("first", rollback: new StepDefinition { Id = "first.rollback", Type = "test.step", With = With(("message", "undo first")) }),
            Step("long", dependsOn: ["first"], with: With(("block", "true"))),
            Step("after", dependsOn: ["long"]));
        var events = new EventLog();
        using var cts = new CancellationTokenSource();
        var run = Executor().RunAsync(new RunRequest { Definition = definition }, events, cts.Token);
        await _test.StartedSignal("long").Task.WaitAsync(TimeSpan.FromSeconds(30));
        cts.Cancel();
        var result = await run.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(RunStatus.Cancelled, result.Status);
        Assert.Equal(RunStatus.Cancelled, result.Steps.Single(s => s.StepId == "long").Status);
        Assert.Equal(RunStatus.Cancelled, result.Steps.Single(s => s.StepId == "after").Status);
        Assert.Equal(RunStatus.Succeeded, result.Steps.Single(s => s.StepId == "first").RollbackStatus);
        Assert.Contains(events.Events, e => e.Kind == PipelineEventKind.RollbackSucceeded && e.StepId == "first");
        File.Delete(rollbackMarker);
    }

    [Fact]
    public async Task Rollback_runs_for_succeeded_steps_in_reverse_order_when_the_run_fails()
    {
        StepDefinition Undo(string id) => new() { Id = id + ".rollback", Type = "test.step" };
        var definition = Definition(
            Step("a", rollback: Undo("a")),
            Step("b", dependsOn: ["a"], rollback: Undo("b")),
            Step("c", dependsOn: ["b"], rollback: Undo("c"), with: With(("fail_times", "1"))));
        var result = await Executor().RunAsync(new RunRequest { Definition = definition });
        Assert.Equal(RunStatus.Failed, result.Status);
        var rollbacks = _test.Journal.Where(j => j.StartsWith("start:") && j.EndsWith(".rollback")).ToArray();
        Assert.Equal(["start:b.rollback", "start:a.rollback"], rollbacks);
        Assert.Null(result.Steps.Single(s => s.StepId == "c").RollbackStatus);
    }

    [Fact]
    public async Task Records_stream_from_producer_to_consumer_and_out_to_the_host()
    {
        var definition = Definition(
            Step("numbers", type: "test.numbers", with: With(("count", "1000"))),
            Step("doubled", type: "test.double", dependsOn: ["numbers"]));
        var received = new List<long>();
        var result = await Executor().RunAsync(new RunRequest
        {
            Definition = definition,
            Output = (batch, _) => { received.AddRange(batch.Rows.Select(r => (long)r[0]!)); return ValueTask.CompletedTask; },
        });
        Assert.Equal(RunStatus.Succeeded, result.Status);
        Assert.Equal(Enumerable.Range(1, 1000).Select(i => i * 2L), received);
        Assert.Equal(1000, result.Steps.Single(s => s.StepId == "doubled").Rows);
    }

    [Fact]
    public async Task Pipeline_input_feeds_steps_that_name_no_input()
    {
        static async IAsyncEnumerable<RecordBatch> Input()
        {
            for (var b = 0; b < 5; b++)
            {
                await Task.Yield();
                yield return new RecordBatch(RecordSchema.Of("n"), Enumerable.Range(b * 10, 10).Select(i => new object?[] { (long)i }).ToList());
            }
        }
        var received = new List<long>();
        var result = await Executor().RunAsync(new RunRequest
        {
            Definition = Definition(Step("doubled", type: "test.double")),
            Input = Input(),
            Output = (batch, _) => { received.AddRange(batch.Rows.Select(r => (long)r[0]!)); return ValueTask.CompletedTask; },
        });
        Assert.Equal(RunStatus.Succeeded, result.Status);
        Assert.Equal(Enumerable.Range(0, 50).Select(i => i * 2L), received);
    }

    [Fact]
    public async Task A_consumer_runs_alongside_its_producer_even_one_step_at_a_time()
    {
        // 10,000 rows through a queue of 4 batches of 10: the producer must not wait for the consumer to start.
        var definition = Definition(
            Step("numbers", type: "test.numbers", with: With(("count", "10000"))),
            Step("doubled", type: "test.double", dependsOn: ["numbers"]));
        var result = await Executor().RunAsync(new RunRequest { Definition = definition, Output = (_, _) => ValueTask.CompletedTask })
            .WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(RunStatus.Succeeded, result.Status);
    }

    [Fact]
    public async Task Step_outputs_reach_downstream_templates()
    {
        var definition = Definition(
            Step("first", with: With(("value", "42"))),
            Step("second", dependsOn: ["first"], with: With(("message", "got {steps.first.value} from {steps.first.status}"))));
        var events = new EventLog();
        var result = await Executor().RunAsync(new RunRequest { Definition = definition }, events);
        Assert.Equal(RunStatus.Succeeded, result.Status);
        Assert.Contains(events.Events, e => e.Kind == PipelineEventKind.StepLog && e.Message == "got 42 from succeeded");
    }

    [Fact]
    public async Task An_unresolved_template_is_an_error_before_anything_runs()
    {
        var definition = Definition(Step("a"), Step("b", with: With(("message", "{undefined_thing}"))));
        var ex = await Assert.ThrowsAsync<DefinitionException>(() => Executor().RunAsync(new RunRequest { Definition = definition }));
        Assert.Contains("undefined_thing", ex.Message);
        Assert.Empty(_test.Journal);
    }

    [Fact]
    public async Task Secrets_are_masked_in_events_errors_and_summaries()
    {
        const string secret = "s3cr3t-Value-123";
        var definition = Definition(Step("leaky", with: With(("message", "password is {secret:DB_PASSWORD}"), ("fail_times", "1"))));
        var events = new EventLog();
        var secrets = new Pipeline.Core.Templates.SecretStore(new Dictionary<string, string> { ["DB_PASSWORD"] = secret });
        var result = await Executor().RunAsync(new RunRequest { Definition = definition, Secrets = secrets }, events);
        Assert.Equal(RunStatus.Failed, result.Status);
        Assert.DoesNotContain(events.Events, e => e.Message.Contains(secret));
        Assert.Contains(events.Events, e => e.Message.Contains("password is ***"));
        Assert.DoesNotContain(secret, result.Error);
        Assert.DoesNotContain(secret, result.Steps[0].Error);
        Assert.DoesNotContain(secret, RunSummary.Format(result));
    }
}

public sealed class ConditionTests
{
    private readonly TestStep _test = new();

    [Fact]
    public async Task When_conditions_see_variables_and_upstream_results()
    {
        var definition = Pipeline.Core.Definitions.PipelineYaml.Parse("""
            pipeline_id: cond
            variables: { env: prod, threshold: "5" }
            steps:
              - id: first
                type: test.step
                with: { value: "7" }
              - id: prod_only
                type: test.step
                depends_on: [first]
                when: "env = 'prod' and steps.first.status = 'succeeded' and steps.first.value > threshold"
              - id: test_only
                type: test.step
                depends_on: [first]
                when: "env = 'test'"
            """).Definition!;
        var result = await new PipelineExecutor(Registry(_test)).RunAsync(new RunRequest { Definition = definition });
        Assert.Equal(RunStatus.Succeeded, result.Steps.Single(s => s.StepId == "prod_only").Status);
        var skipped = result.Steps.Single(s => s.StepId == "test_only");
        Assert.Equal(RunStatus.Skipped, skipped.Status);
        Assert.Contains("condition", skipped.Reason);
    }

    [Fact]
    public void A_bad_condition_is_a_definition_error_at_its_key()
    {
        var ex = Assert.Throws<Pipeline.Core.Definitions.DefinitionException>(() => Pipeline.Core.Definitions.DefinitionLoader.LoadText("""
            pipeline_id: cond
            steps:
              - id: a
                type: test.step
                when: "nosuch > 3"
            """, Registry(_test), "cond.yml"));
        var error = Assert.Single(ex.Errors);
        Assert.Equal("bad-condition", error.Code);
        Assert.Equal(5, error.Location!.Line);
        Assert.Contains("nosuch", error.Message);
    }
}
