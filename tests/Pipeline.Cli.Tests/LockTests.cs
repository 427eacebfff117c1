using Pipeline.Cli.Tests.Support;

namespace Pipeline.Cli.Tests;

public sealed class LockTests : IDisposable
{
    private readonly Workspace _workspace = new();

    public void Dispose() => _workspace.Dispose();

    [Fact]
    public async Task Second_run_of_a_running_pipeline_exits_4_naming_the_holders_run_id()
    {
        // The first run holds its step until the test creates 'release'.
        _workspace.Write("hold.yml", """
            pipeline_id: hold
            steps:
              - id: hold
                type: process.run
                with: { executable: sh, arguments: [-c, "while [ ! -e release ]; do sleep 0.05; done"] }
            """);
        await using var first = _workspace.Start("run", "hold.yml");
        var holder = await first.WaitForRunIdAsync();
        await first.WaitForLineAsync("Step 'hold' (process.run) started.");

        var second = await _workspace.RunAsync("run", "hold.yml");

        Assert.True(second.ExitCode == 4, second.ToString());
        Assert.Contains($"pipeline: The pipeline 'hold' is already running: run {holder} on ", second.Stderr);
        Assert.Equal("", second.Stdout);

        File.WriteAllText(_workspace.Path("release"), "");
        var firstResult = await first.WaitForExitAsync();
        Assert.True(firstResult.ExitCode == 0, firstResult.ToString());

        var runs = await _workspace.RunAsync("runs", "--pipeline", "hold");
        Assert.Single(runs.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1));
        Assert.Contains($"{holder}  hold      succeeded", runs.Stdout);
    }
}
