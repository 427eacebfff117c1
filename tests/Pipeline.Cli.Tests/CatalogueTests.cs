using Pipeline.Cli.Tests.Support;

namespace Pipeline.Cli.Tests;

/// <summary><c>pipeline steps</c> and <c>pipeline plan</c>: what a user reads before running anything.</summary>
public sealed class CatalogueTests : IDisposable
{
    private readonly Workspace _workspace = new();

    public void Dispose() => _workspace.Dispose();

    [Fact]
    public async Task Steps_lists_the_step_types()
    {
        var result = await _workspace.RunAsync("steps");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Matches(@"(?m)^file\.copy\s+Copies ", result.Stdout);
        Assert.Matches(@"(?m)^process\.run\s+Runs a program", result.Stdout);
        Assert.DoesNotContain("powershell", result.Stdout);
    }

    [Fact]
    public async Task Steps_of_a_type_describes_each_option()
    {
        var result = await _workspace.RunAsync("steps", "file.compress");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Matches(@"(?m)^OPTION\s+TYPE\s+REQUIRED\s+DEFAULT\s+ALLOWED\s+DESCRIPTION$", result.Stdout);
        Assert.Matches(@"(?m)^source\s+string\s+yes\s+-\s+-\s+The file", result.Stdout);
        Assert.Matches(@"(?m)^level\s+string\s+no\s+optimal\s+fastest, optimal, smallest\s+How hard to compress\.", result.Stdout);
    }

    [Fact]
    public async Task Steps_explains_why_script_blocks_are_not_available()
    {
        var result = await _workspace.RunAsync("steps", "powershell");

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains("run only inside PowerShell", result.Stderr);
    }

    [Fact]
    public async Task Plan_prints_the_levels_and_the_order_without_running()
    {
        _workspace.Write("plan.yml", """
            pipeline_id: plan
            steps:
              - id: join
                type: noop
                depends_on: [left, right]
              - id: left
                type: process.run
                with: { executable: sh, arguments: [-c, "touch ran"] }
              - id: right
                type: log
                retry: { max_attempts: 3, delay: 2s }
                with: { message: right }
              - id: tidy
                type: log
                depends_on: [join]
                trigger: all_done
                with: { message: tidy }
            """);

        var result = await _workspace.RunAsync("plan", "plan.yml");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("Pipeline 'plan': 4 steps in 3 levels", result.Stdout);
        Assert.Matches(@"(?m)^1\s+1\s+left\s+process\.run\s+-", result.Stdout);
        Assert.Matches(@"(?m)^1\s+2\s+right\s+log\s+-\s+up to 3 attempts \(exponential from 2s\)$", result.Stdout);
        Assert.Matches(@"(?m)^2\s+3\s+join\s+noop\s+left, right", result.Stdout);
        Assert.Matches(@"(?m)^3\s+4\s+tidy\s+log\s+join\s+trigger all_done$", result.Stdout);
        Assert.False(File.Exists(_workspace.Path("ran")), "plan ran nothing.");
        Assert.False(Directory.Exists(_workspace.StateDirectory), "plan recorded nothing.");
    }
}
