using Pipeline.Cli.Tests.Support;

namespace Pipeline.Cli.Tests;

public sealed class RunTests : IDisposable
{
    private readonly Workspace _workspace = new();

    public void Dispose() => _workspace.Dispose();

    [Fact]
    public async Task Successful_run_exits_0_with_progress_lines_and_the_summary_table()
    {
        _workspace.Write("input.txt", "hello\n");
        _workspace.Write("ok.yml", """
            pipeline_id: ok
            steps:
              - id: copy
                type: file.copy
                with: { source: input.txt, destination: out/copy.txt }
              - id: checksum
                type: file.checksum
                depends_on: [copy]
                with: { path: out/copy.txt }
            """);

        var result = await _workspace.RunAsync("run", "ok.yml");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("Step 'copy' (file.copy) started.", result.Stdout);
        Assert.Matches(@"Step 'checksum' succeeded in [\d.]+m?s\.", result.Stdout);
        Assert.Matches(@"(?m)^STEP\s+TYPE\s+STATUS\s+ATTEMPTS\s+DURATION\s+ROWS\s+THROUGHPUT$", result.Stdout);
        Assert.Matches(@"(?m)^copy\s+file\.copy\s+succeeded\s+1\s", result.Stdout);
        Assert.Matches(@"(?m)^Run \S+ of 'ok': succeeded in .*, 2 succeeded$", result.Stdout);
        Assert.Equal("hello\n", File.ReadAllText(_workspace.Path("out/copy.txt")));
        Assert.Equal("", result.Stderr);
    }

    [Fact]
    public async Task Failing_step_exits_1_and_says_which_step_failed_and_why()
    {
        _workspace.Write("fail.yml", """
            pipeline_id: fail
            steps:
              - id: broken
                type: process.run
                with: { executable: sh, arguments: [-c, "echo disk full >&2; exit 3"] }
              - id: never
                type: log
                depends_on: [broken]
                with: { message: unreachable }
            """);

        var result = await _workspace.RunAsync("run", "fail.yml");

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Contains("Step 'broken' failed (process_exit): 'sh' exited with code 3 (expected 0).", result.Stdout);
        Assert.Contains("disk full", result.Stdout);
        Assert.Contains("Step 'never' skipped: ", result.Stdout);
        Assert.Matches(@"(?m)^Run \S+ of 'fail': failed in ", result.Stdout);
        Assert.Contains("Resume it with: pipeline run --resume ", result.Stdout);
    }

    [Fact]
    public async Task Quiet_run_prints_only_the_result_line()
    {
        _workspace.Write("q.yml", """
            pipeline_id: q
            steps:
              - id: hello
                type: log
                with: { message: hello }
            """);

        var result = await _workspace.RunAsync("run", "q.yml", "--quiet");

        Assert.True(result.ExitCode == 0, result.ToString());
        var line = Assert.Single(result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Matches(@"^Run \S+ of 'q': succeeded in \S+\.$", line);
    }

    [Fact]
    public async Task Variables_from_the_command_line_override_the_definitions()
    {
        _workspace.Write("vars.yml", """
            pipeline_id: vars
            variables:
              who: nobody
            steps:
              - id: greet
                type: log
                with: { message: "hello {who} on {day}" }
            """);

        var result = await _workspace.RunAsync("run", "vars.yml", "--var", "who=world", "--var", "day=monday");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("greet: hello world on monday", result.Stdout);
    }

    [Fact]
    public async Task Parallel_run_with_a_throttle_writes_a_json_lines_event_log()
    {
        _workspace.Write("par.yml", """
            pipeline_id: par
            steps:
              - { id: a, type: log, with: { message: a } }
              - { id: b, type: log, with: { message: b } }
              - { id: c, type: log, depends_on: [a, b], with: { message: c } }
            """);

        var result = await _workspace.RunAsync("run", "par.yml", "--throttle", "2", "--log", "logs/events.jsonl");

        Assert.True(result.ExitCode == 0, result.ToString());
        var events = File.ReadAllLines(_workspace.Path("logs/events.jsonl"));
        Assert.Contains(events, e => e.Contains("\"kind\":\"run_started\"", StringComparison.Ordinal));
        Assert.Equal(3, events.Count(e => e.Contains("\"kind\":\"step_succeeded\"", StringComparison.Ordinal)));
        Assert.Contains(events, e => e.Contains("\"kind\":\"run_finished\"", StringComparison.Ordinal) && e.Contains("\"status\":\"succeeded\"", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Run_without_history_records_nothing()
    {
        _workspace.Write("nh.yml", """
            pipeline_id: nh
            steps:
              - { id: a, type: log, with: { message: a } }
            """);

        var run = await _workspace.RunAsync("run", "nh.yml", "--no-history");
        var runs = await _workspace.RunAsync("runs");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.DoesNotContain("Resume it with", run.Stdout);
        Assert.StartsWith("No runs in ", runs.Stdout);
    }

    [Fact]
    public async Task Unexpected_error_prints_its_message_and_a_stack_trace_only_with_verbose()
    {
        _workspace.Write("p.yml", "pipeline_id: p\nsteps:\n  - { id: a, type: log, with: { message: a } }\n");
        Directory.CreateDirectory(_workspace.Path("a-directory"));

        var plain = await _workspace.RunAsync("run", "p.yml", "--log", "a-directory");
        var verbose = await _workspace.RunAsync("run", "p.yml", "--log", "a-directory", "--verbose");

        Assert.True(plain.ExitCode == 1, plain.ToString());
        Assert.Contains("a-directory", plain.Stderr);
        Assert.Contains("Run again with --verbose for the details.", plain.Stderr);
        Assert.DoesNotContain("   at ", plain.Stderr);
        Assert.True(verbose.ExitCode == 1, verbose.ToString());
        Assert.Contains("   at ", verbose.Stderr);
    }

    [Fact]
    public async Task Script_block_steps_are_refused_with_the_engines_message()
    {
        _workspace.Write("ps.yml", """
            pipeline_id: ps
            steps:
              - id: script
                type: powershell
            """);

        var result = await _workspace.RunAsync("run", "ps.yml");

        Assert.True(result.ExitCode == 3, result.ToString());
        Assert.Contains("ps.yml:4:11: Step 'script': Steps of type 'powershell' (script blocks) run only inside PowerShell, through Invoke-Pipeline; the pipeline command line cannot run them. [unavailable-type]", result.Stderr);
    }
}
