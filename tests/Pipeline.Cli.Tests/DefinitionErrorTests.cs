using Pipeline.Cli.Tests.Support;

namespace Pipeline.Cli.Tests;

public sealed class DefinitionErrorTests : IDisposable
{
    private readonly Workspace _workspace = new();

    public void Dispose() => _workspace.Dispose();

    [Fact]
    public async Task Tab_indentation_is_reported_at_its_line_and_column_with_exit_code_3()
    {
        _workspace.Write("tab.yml", "pipeline_id: tab\nsteps:\n  - id: a\n\ttype: log\n");

        var result = await _workspace.RunAsync("validate", "tab.yml");

        Assert.True(result.ExitCode == 3, result.ToString());
        Assert.Contains("tab.yml:4:1: YAML syntax: a tab character indents this line; YAML indents with spaces only. [yaml-syntax]", result.Stderr);
    }

    [Fact]
    public async Task Unclosed_brace_is_reported_where_it_opens_with_exit_code_3()
    {
        _workspace.Write("brace.yml", "pipeline_id: brace\nsteps:\n  - id: a\n    type: log\n    with: {message: hi\n  - id: b\n    type: log\n");

        var result = await _workspace.RunAsync("validate", "brace.yml");

        Assert.True(result.ExitCode == 3, result.ToString());
        Assert.Contains("brace.yml:5:11: YAML syntax: the '{' opened here is never closed with '}'. [yaml-syntax]", result.Stderr);
    }

    [Fact]
    public async Task Unknown_key_is_reported_with_a_suggestion_and_every_other_problem_at_once()
    {
        _workspace.Write("keys.yml", """
            pipeline_id: keys
            steps:
              - id: a
                type: log
                dependson: [b]
                with: { message: hi }
              - id: b
                type: file.cpy
                with: { source: x, destination: y }
            """);

        var result = await _workspace.RunAsync("validate", "keys.yml");

        Assert.True(result.ExitCode == 3, result.ToString());
        Assert.Contains("keys.yml:5:5: Unknown key 'dependson' in the step (did you mean 'depends_on'?)", result.Stderr);
        Assert.Contains("keys.yml:8:11: Step 'b' has the unknown type 'file.cpy' (did you mean 'file.copy'?)", result.Stderr);
        Assert.Contains("2 problems; the definition is invalid.", result.Stderr);
    }

    [Fact]
    public async Task Cycle_is_reported_with_its_path_and_nothing_runs_or_is_recorded()
    {
        _workspace.Write("cycle.yml", """
            pipeline_id: cycle
            steps:
              - id: a
                type: log
                depends_on: [c]
                with: { message: a }
              - id: b
                type: log
                depends_on: [a]
                with: { message: b }
              - id: c
                type: log
                depends_on: [b]
                with: { message: c }
            """);

        var result = await _workspace.RunAsync("run", "cycle.yml");
        var runs = await _workspace.RunAsync("runs");

        Assert.True(result.ExitCode == 3, result.ToString());
        Assert.Matches(@"cycle\.yml:5:18: The steps depend on each other in a cycle: a -> c -> b -> a \(each step waits for the next\)\. \[cycle\]", result.Stderr);
        Assert.Contains("1 problem; nothing ran.", result.Stderr);
        Assert.DoesNotContain("started", result.Stdout);
        Assert.StartsWith("No runs in ", runs.Stdout);
    }

    [Fact]
    public async Task Valid_definition_validates_with_exit_code_0()
    {
        _workspace.Write("good.yml", """
            pipeline_id: good
            steps:
              - id: a
                type: log
                with: { message: "{greeting}" }
            """);

        var missing = await _workspace.RunAsync("validate", "good.yml");
        var given = await _workspace.RunAsync("validate", "good.yml", "--var", "greeting=hi");

        Assert.True(missing.ExitCode == 3, missing.ToString());
        Assert.Contains("good.yml:5:22: Step 'a', option 'message': '{greeting}' is not defined.", missing.Stderr);
        Assert.True(given.ExitCode == 0, given.ToString());
        Assert.Equal("good.yml: valid: pipeline 'good', 1 step in 1 level.\n", given.Stdout);
    }
}
