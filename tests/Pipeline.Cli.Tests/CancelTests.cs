using Pipeline.Cli.Tests.Support;

namespace Pipeline.Cli.Tests;

public sealed class CancelTests : IDisposable
{
    private readonly Workspace _workspace = new();

    public CancelTests()
    {
        _workspace.Write("input.txt", "today's data\n");
        // 'stage' succeeds and would be published by 'publish' once 'hold' ends; cancelling during 'hold' must stop
        // it, delete the staged file (the rollback) and never write the published one.
        _workspace.Write("cancel.yml", """
            pipeline_id: cancel
            steps:
              - id: stage
                type: file.copy
                with: { source: input.txt, destination: out/staged.txt }
                rollback:
                  type: file.delete
                  with: { path: out/staged.txt }
              - id: hold
                type: process.run
                depends_on: [stage]
                with: { executable: sh, arguments: [-c, "exec sleep 300"] }
              - id: publish
                type: file.copy
                depends_on: [hold]
                with: { source: out/staged.txt, destination: out/published.txt }
            """);
    }

    public void Dispose() => _workspace.Dispose();

    [Theory]
    [InlineData(Signals.Interrupt, "Ctrl+C")]
    [InlineData(Signals.Terminate, "SIGTERM")]
    public async Task Signal_cancels_the_run_runs_its_rollback_and_exits_5(int signal, string name)
    {
        await using var cli = _workspace.Start("run", "cancel.yml");
        var runId = await cli.WaitForRunIdAsync();
        await cli.WaitForLineAsync("Step 'hold' (process.run) started.");

        cli.Signal(signal);
        var result = await cli.WaitForExitAsync();

        Assert.True(result.ExitCode == 5, result.ToString());
        Assert.Contains($"{name}: cancelling the run", result.Stderr);
        Assert.Contains("Step 'hold' cancelled.", result.Stdout);
        Assert.Contains("Rolled back step 'stage'.", result.Stdout);
        Assert.Matches($@"(?m)^Run {runId} of 'cancel': cancelled in ", result.Stdout);
        // Nothing half-done is left: the staged file was rolled back and the published one never written.
        Assert.Empty(Directory.GetFileSystemEntries(_workspace.Path("out")));

        var runs = await _workspace.RunAsync("runs", "--status", "cancelled");
        Assert.Contains($"{runId}  cancel    cancelled", runs.Stdout);
        var show = await _workspace.RunAsync("runs", "show", runId);
        Assert.Matches(@"(?m)^hold\s+1\s+cancelled\s", show.Stdout);
        Assert.Matches(@"(?m)^stage \(rollback\)\s+1\s+succeeded\s", show.Stdout);
        Assert.Matches(@"(?m)^publish\s+-\s+cancelled\s", show.Stdout);
    }

    [Fact]
    public async Task Second_ctrl_c_exits_at_once_with_130()
    {
        // The rollback waits for 'release', so the second Ctrl+C surely comes while it runs.
        _workspace.Write("slow-rollback.yml", """
            pipeline_id: slow-rollback
            steps:
              - id: stage
                type: log
                with: { message: staged }
                rollback:
                  type: process.run
                  with: { executable: sh, arguments: [-c, "while [ ! -e release ]; do sleep 0.05; done"] }
              - id: hold
                type: process.run
                depends_on: [stage]
                with: { executable: sh, arguments: [-c, "exec sleep 300"] }
            """);
        await using var cli = _workspace.Start("run", "slow-rollback.yml");
        await cli.WaitForLineAsync("Step 'hold' (process.run) started.");

        try
        {
            cli.Signal(Signals.Interrupt);
            await cli.WaitForLineAsync("Rolling back step 'stage'");
            cli.Signal(Signals.Interrupt);
            var result = await cli.WaitForExitAsync();

            Assert.True(result.ExitCode == 130, result.ToString());
            Assert.Contains("Ctrl+C again: exiting at once", result.Stderr);
        }
        finally
        {
            File.WriteAllText(_workspace.Path("release"), ""); // lets the abandoned rollback process end
        }
    }
}
