using Pipeline.Cli.Tests.Support;

namespace Pipeline.Cli.Tests;

public sealed class ResumeTests : IDisposable
{
    private readonly Workspace _workspace = new();

    public void Dispose() => _workspace.Dispose();

    [Fact]
    public async Task Resume_without_the_file_reruns_only_the_failed_and_later_steps()
    {
        // 'check' fails until the marker exists; each step that runs leaves a line in its own log.
        _workspace.Write("resume.yml", """
            pipeline_id: resume
            steps:
              - id: first
                type: process.run
                with: { executable: sh, arguments: [-c, "echo ran >> first.log"] }
              - id: check
                type: process.run
                depends_on: [first]
                with: { executable: sh, arguments: [-c, "echo ran >> check.log; test -e marker"] }
              - id: after
                type: process.run
                depends_on: [check]
                with: { executable: sh, arguments: [-c, "echo ran >> after.log"] }
            """);
        var failed = await _workspace.RunAsync("run", "resume.yml");
        Assert.True(failed.ExitCode == 1, failed.ToString());
        var failedId = CliProcess.RunIdOf(failed.Stdout);
        Assert.Contains($"Resume it with: pipeline run --resume {failedId}", failed.Stdout);

        File.WriteAllText(_workspace.Path("marker"), "");
        // From another directory, without the file: the run store has the definition and where it was.
        Directory.CreateDirectory(_workspace.Path("elsewhere"));
        var resumed = await CliProcess.RunInAsync(_workspace, _workspace.Path("elsewhere"), "run", "--resume", failedId);

        Assert.True(resumed.ExitCode == 0, resumed.ToString());
        var resumedId = CliProcess.RunIdOf(resumed.Stdout);
        Assert.Contains($"resuming run {failedId}", resumed.Stdout);
        Assert.Single(File.ReadAllLines(_workspace.Path("first.log")));
        Assert.Equal(2, File.ReadAllLines(_workspace.Path("check.log")).Length);
        Assert.Single(File.ReadAllLines(_workspace.Path("after.log")));

        var show = await _workspace.RunAsync("runs", "show", resumedId);
        Assert.True(show.ExitCode == 0, show.ToString());
        Assert.Matches($@"(?m)^Resumed from:\s+{failedId}$", show.Stdout);
        Assert.Matches(@"(?m)^first\s+-\s+succeeded \(earlier run\)", show.Stdout);
        Assert.Matches(@"(?m)^check\s+1\s+succeeded\s", show.Stdout);
        Assert.Matches(@"(?m)^after\s+1\s+succeeded\s", show.Stdout);
        var runs = await _workspace.RunAsync("runs");
        Assert.Matches($@"(?m)^{resumedId}\s+resume\s+succeeded\s+.*\s{failedId}\s", runs.Stdout);
    }

    [Fact]
    public async Task Resuming_an_unknown_run_exits_6()
    {
        var result = await _workspace.RunAsync("run", "--resume", "20260101-000000-abcdef");

        Assert.True(result.ExitCode == 6, result.ToString());
        Assert.Contains("pipeline: There is no run '20260101-000000-abcdef' to resume.", result.Stderr);
    }

    [Fact]
    public async Task Showing_an_unknown_run_exits_6()
    {
        var result = await _workspace.RunAsync("runs", "show", "20260101-000000-abcdef");

        Assert.True(result.ExitCode == 6, result.ToString());
        Assert.Contains("pipeline: There is no run '20260101-000000-abcdef' in ", result.Stderr);
    }

    [Fact]
    public async Task Resuming_a_run_that_succeeded_is_a_usage_error()
    {
        _workspace.Write("done.yml", "pipeline_id: done\nsteps:\n  - { id: a, type: log, with: { message: a } }\n");
        var run = await _workspace.RunAsync("run", "done.yml");

        var result = await _workspace.RunAsync("run", "--resume", CliProcess.RunIdOf(run.Stdout));

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains("succeeded; there is nothing to resume.", result.Stderr);
        Assert.DoesNotContain("(Parameter", result.Stderr);
    }
}
