using Pipeline.Core.Definitions;
using Pipeline.Core.Execution;
using Pipeline.Core.State;
using Pipeline.Core.Tests.State;
using Pipeline.Core.Tests.Support;
using static Pipeline.Core.Tests.Support.Pipelines;

namespace Pipeline.Core.Tests.Execution;

/// <summary>A step whose upstream finishes while the run is still being set up (carried over by a resume, or
/// skipped at once) is scheduled once, not once more by the setup itself.</summary>
public sealed class ScheduledOnceTests
{
    private readonly TestStep _test = new();

    [Fact]
    public async Task Step_after_a_step_skipped_at_setup_runs_once()
    {
        var definition = Definition(
            Step("a", when: "1 = 0"),
            Step("b", dependsOn: ["a"], trigger: TriggerRule.AllDone),
            Step("c", dependsOn: ["b"]));

        var result = await new PipelineExecutor(Registry(_test)).RunAsync(new RunRequest { Definition = definition });

        Assert.Equal(RunStatus.Succeeded, result.Status);
        Assert.Equal(["start:b", "end:b", "start:c", "end:c"], _test.Journal.ToArray());
        Assert.Equal(1, result.Steps.Single(s => s.StepId == "b").Attempts);
    }

    [Fact]
    public async Task Resume_runs_each_step_that_did_not_succeed_once()
    {
        using var directory = new TempStoreDirectory();
        await using var store = new SqliteRunStore(directory.DatabasePath);
        var yaml = """
            pipeline_id: resume-once
            steps:
              - { id: first, type: test.step }
              - { id: check, type: test.step, depends_on: [first], with: { fail_times: 1 } }
              - { id: after, type: test.step, depends_on: [check] }
            """;
        var executor = new PipelineExecutor(Registry(_test));
        var failed = await executor.RunAsync(new RunRequest { Definition = Yaml(yaml, executor.Registry, "/defs/p.yml"), Store = store });
        Assert.Equal(RunStatus.Failed, failed.Status);
        while (_test.Journal.TryDequeue(out _)) { }

        var resumed = await executor.RunAsync(new RunRequest { Store = store, ResumeRunId = failed.RunId });

        Assert.Equal(RunStatus.Succeeded, resumed.Status);
        Assert.Equal(["start:check", "end:check", "start:after", "end:after"], _test.Journal.ToArray());
        Assert.All(resumed.Steps.Where(s => !s.Resumed), s => Assert.Equal(1, s.Attempts));
    }
}
