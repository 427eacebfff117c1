using System.Diagnostics;
using Pipeline.Core.Execution;
using Pipeline.Core.Observability;
using Pipeline.Core.Steps.Process;

namespace Pipeline.Core.Tests.Steps.Process;

public sealed class ProcessRunStepTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private StepRun Run(string executable, params string[] arguments) =>
        new StepRun(new ProcessRunStep(), _dir.Path).With("executable", executable).With("arguments", arguments.Cast<object?>().ToList());

    private StepRun Shell(string script, params string[] arguments) => Run("sh", ["-c", script, "sh", .. arguments]);

    [UnixFact]
    public async Task Stdout_stderr_and_the_exit_code_are_published()
    {
        var run = await Shell("echo out; echo err >&2").ExecuteAsync();

        Assert.Equal(0, run.Result("exit_code"));
        Assert.Equal("out", run.Result("stdout"));
        Assert.Equal("err", run.Result("stderr"));
    }

    [UnixFact]
    public async Task Output_lines_are_logged_as_they_come_stdout_verbose_and_stderr_warning()
    {
        var run = await Shell("echo one; echo two; echo problem >&2").ExecuteAsync();

        Assert.Equal(["one", "two"], run.Messages(LogLevel.Verbose).Where(m => !m.StartsWith("Started")));
        Assert.Equal(["problem"], run.Messages(LogLevel.Warning));
    }

    [UnixFact]
    public async Task An_unexpected_exit_code_is_a_ProcessExit_error_with_the_code_and_the_last_lines_of_stderr()
    {
        var ex = await Shell("echo starting; echo 'disk quota exceeded' >&2; exit 3").FailsAsync(ErrorKind.ProcessExit);

        Assert.Contains("code 3", ex.Message);
        Assert.Contains("disk quota exceeded", ex.Message);
        Assert.DoesNotContain("starting", ex.Message);
    }

    [UnixFact]
    public async Task Expected_exit_codes_make_other_codes_a_success()
    {
        var run = await Shell("exit 3").With("expected_exit_codes", new List<object?> { 0L, 3L }).ExecuteAsync();

        Assert.Equal(3, run.Result("exit_code"));
        await Shell("exit 0").With("expected_exit_codes", new List<object?> { "1" }).FailsAsync(ErrorKind.ProcessExit);
    }

    [UnixFact]
    public async Task Malformed_expected_exit_codes_are_a_configuration_error()
    {
        var ex = await Shell("exit 0").With("expected_exit_codes", new List<object?> { "zero" }).FailsAsync(ErrorKind.Configuration);

        Assert.Contains("expected_exit_codes", ex.Message);
    }

    [UnixFact]
    public async Task Arguments_reach_the_process_exactly_as_given()
    {
        string[] arguments = ["plain", "two words", "", "quote \" and ' apostrophe", "$HOME", "*", "ünïcödé 日本", "back\\slash", "semi;colon"];

        var run = await Shell("for a in \"$@\"; do printf '[%s]\\n' \"$a\"; done", arguments).ExecuteAsync();

        Assert.Equal(string.Join('\n', arguments.Select(a => $"[{a}]")), run.Result("stdout"));
    }

    [UnixFact]
    public async Task Environment_and_working_directory_are_applied()
    {
        _dir.CreateDirectory("work dir");

        var run = await Shell("echo \"$GREETING\"; pwd")
            .With("environment", new Dictionary<string, object?> { ["GREETING"] = "hello there" })
            .With("working_directory", "work dir")
            .ExecuteAsync();

        Assert.Equal($"hello there\n{_dir["work dir"]}", run.Result("stdout"));
    }

    [UnixFact]
    public async Task A_missing_working_directory_is_NotFound()
    {
        var ex = await Shell("true").With("working_directory", "nowhere").FailsAsync(ErrorKind.NotFound);

        Assert.Contains(_dir["nowhere"], ex.Message);
    }

    [UnixFact]
    public async Task An_executable_not_on_the_PATH_is_NotFound_with_its_name()
    {
        var ex = await Run("no-such-program-xyz").FailsAsync(ErrorKind.NotFound);

        Assert.Contains("'no-such-program-xyz'", ex.Message);
        Assert.Contains("PATH", ex.Message);
    }

    [UnixFact]
    public async Task An_executable_path_that_does_not_exist_is_NotFound_with_its_full_path()
    {
        var ex = await Run("./bin/tool.sh").FailsAsync(ErrorKind.NotFound);

        Assert.Contains(_dir["bin/tool.sh"], ex.Message);
    }

    [UnixFact]
    public async Task A_relative_executable_path_resolves_against_the_working_directory_of_the_definition()
    {
        var script = _dir.Write("bin/my tool.sh", "#!/bin/sh\necho \"ran with $1\"\n");
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

        var run = await Run("bin/my tool.sh", "x y").ExecuteAsync();

        Assert.Equal("ran with x y", run.Result("stdout"));
    }

    [UnixFact]
    public async Task A_file_that_is_not_executable_is_a_Permission_error()
    {
        _dir.Write("data.txt", "not a program");

        await Run("./data.txt").FailsAsync(ErrorKind.Permission);
    }

    [UnixFact]
    public async Task Max_output_keeps_the_tail()
    {
        var run = await Shell("i=1; while [ $i -le 100 ]; do echo line$i; i=$((i+1)); done").With("max_output", 20).ExecuteAsync();

        var stdout = (string)run.Result("stdout")!;
        Assert.EndsWith("line100", stdout);
        Assert.True(stdout.Length <= 20, stdout);
        Assert.StartsWith("line", stdout);
    }

    [UnixFact]
    public async Task A_long_line_without_newlines_is_kept_bounded()
    {
        var run = await Shell("head -c 300000 /dev/zero | tr '\\0' a").With("max_output", 1000).ExecuteAsync();

        Assert.Equal(new string('a', 1000), run.Result("stdout"));
    }

    [UnixFact]
    public async Task Without_capture_the_output_is_logged_but_not_published()
    {
        var run = await Shell("echo visible").With("capture_output", false).ExecuteAsync();

        Assert.Null(run.Result("stdout"));
        Assert.Contains("visible", run.Messages(LogLevel.Verbose));
    }

    [UnixFact]
    public async Task A_process_reading_stdin_sees_its_end_at_once()
    {
        var run = await Run("cat").ExecuteAsync();

        Assert.Equal("", run.Result("stdout"));
    }

    [UnixFact]
    public async Task Cancellation_kills_the_process_and_its_children_and_waits_for_them()
    {
        using var cancel = new CancellationTokenSource();
        var child = 0;
        var run = Shell("sleep 300 & echo $!; wait");
        run.OnLog = (level, message) =>
        {
            if (level == LogLevel.Verbose && int.TryParse(message, out var pid))
            {
                child = pid;
                cancel.Cancel();
            }
        };

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run.ExecuteAsync(cancel.Token));

        Assert.NotEqual(0, child);
        Assert.False(IsAlive(child), $"the child process {child} is still running");
        Assert.Contains(run.Messages(LogLevel.Warning), m => m.Contains("killed"));
    }

    [UnixFact]
    public async Task A_negative_max_output_is_a_configuration_error() =>
        await Shell("true").With("max_output", -1).FailsAsync(ErrorKind.Configuration);

    /// <summary>Alive unless gone or a zombie (killed, waiting for a parent that may not reap it in a container).</summary>
    private static bool IsAlive(int pid)
    {
        var stat = $"/proc/{pid}/stat";
        if (!File.Exists(stat))
        {
            try
            {
                using var process = System.Diagnostics.Process.GetProcessById(pid);
                return !process.HasExited;
            }
            catch (ArgumentException)
            {
                return false;
            }
        }
        try
        {
            var text = File.ReadAllText(stat);
            var state = text[(text.LastIndexOf(')') + 2)..][0];
            return state is not ('Z' or 'X');
        }
        catch (IOException)
        {
            return false;
        }
    }
}
