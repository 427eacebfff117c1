using Pipeline.Cli.Tests.Support;

namespace Pipeline.Cli.Tests;

public sealed class UsageTests : IDisposable
{
    private readonly Workspace _workspace = new();

    public void Dispose() => _workspace.Dispose();

    [Fact]
    public async Task Unknown_command_exits_2_with_a_suggestion()
    {
        var result = await _workspace.RunAsync("rnu", "x.yml");

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains("pipeline: Unrecognized command or argument 'rnu'.", result.Stderr);
        Assert.Contains("Did you mean 'run' instead of 'rnu'?", result.Stderr);
        Assert.Equal("", result.Stdout);
    }

    [Fact]
    public async Task Unknown_option_exits_2_with_a_suggestion()
    {
        _workspace.Write("p.yml", "pipeline_id: p\nsteps:\n  - { id: a, type: log, with: { message: a } }\n");

        var result = await _workspace.RunAsync("run", "p.yml", "--paralel");

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains("Did you mean '--parallel' instead of '--paralel'?", result.Stderr);
        Assert.Contains("Run 'pipeline run --help' for usage.", result.Stderr);
        Assert.False(Directory.Exists(_workspace.StateDirectory), "Nothing was recorded.");
    }

    [Theory]
    [InlineData("run")]
    [InlineData("run", "missing.yml")]
    [InlineData("run", "p.yml", "--var", "novalue")]
    [InlineData("run", "p.yml", "--throttle", "0")]
    [InlineData("run", "p.yml", "--throttle", "many")]
    [InlineData("run", "--resume", "20260101-000000-abcdef", "--no-history")]
    [InlineData("run", "p.yml", "--secrets-file", "missing.env")]
    [InlineData("run", "p.yml", "--quiet", "--verbose")]
    [InlineData("runs", "--status", "great")]
    [InlineData("steps", "file.cpy")]
    [InlineData("validate")]
    public async Task Bad_command_lines_exit_2_and_say_what_is_wrong(params string[] arguments)
    {
        _workspace.Write("p.yml", "pipeline_id: p\nsteps:\n  - { id: a, type: log, with: { message: a } }\n");

        var result = await _workspace.RunAsync(arguments);

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.StartsWith("pipeline: ", result.Stderr);
        Assert.DoesNotContain("   at ", result.Stderr);
    }

    [Fact]
    public async Task Help_lists_the_commands_and_the_exit_codes()
    {
        var result = await _workspace.RunAsync("--help");

        Assert.True(result.ExitCode == 0, result.ToString());
        foreach (var command in new[] { "run", "validate", "plan", "runs", "steps" })
            Assert.Matches($@"(?m)^\s+{command}\b", result.Stdout);
        Assert.Contains("Exit codes:", result.Stdout);
        Assert.Matches(@"(?m)^\s+3\s+invalid definition", result.Stdout);
        Assert.Matches(@"(?m)^\s+4\s+already running", result.Stdout);
        Assert.Matches(@"(?m)^\s+5\s+cancelled", result.Stdout);
    }

    [Theory]
    [InlineData("run")]
    [InlineData("validate")]
    [InlineData("plan")]
    [InlineData("runs")]
    [InlineData("steps")]
    public async Task Every_command_has_help(string command)
    {
        var result = await _workspace.RunAsync(command, "--help");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains($"pipeline {command}", result.Stdout);
    }

    [Fact]
    public async Task Version_is_printed()
    {
        var result = await _workspace.RunAsync("--version");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Matches(@"^\d+\.\d+\.\d+", result.Stdout);
    }
}
