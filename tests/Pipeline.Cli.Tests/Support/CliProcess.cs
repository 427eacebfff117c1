using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.RegularExpressions;
using System.Threading.Channels;

namespace Pipeline.Cli.Tests.Support;

/// <summary>
/// The real <c>pipeline</c> command (src/Pipeline.Cli, copied to Cli/ beside the tests by the build) running as a
/// child process, with its output read line by line so that a test can wait for a line instead of sleeping.
/// </summary>
internal sealed partial class CliProcess : IAsyncDisposable
{
    // Generous, and only ever a limit for a failing test: the build machines are shared and a cold start is slow.
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(120);

    private readonly Process _process;
    private readonly Channel<string> _lines = Channel.CreateUnbounded<string>();
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();
    private readonly TaskCompletionSource _stdoutClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _stderrClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private CliProcess(Process process)
    {
        _process = process;
    }

    public int Id => _process.Id;

    public static string CliPath => Path.Combine(AppContext.BaseDirectory, "Cli", "pipeline.dll");

    public static Task<CliResult> RunAsync(Workspace workspace, params string[] arguments) => RunInAsync(workspace, workspace.Root, arguments);

    public static async Task<CliResult> RunInAsync(Workspace workspace, string workingDirectory, params string[] arguments)
    {
        await using var cli = StartIn(workspace, workingDirectory, arguments);
        return await cli.WaitForExitAsync();
    }

    public static CliProcess Start(Workspace workspace, params string[] arguments) => StartIn(workspace, workspace.Root, arguments);

    /// <summary>Starts the command with the workspace's run store, in another working directory.</summary>
    public static CliProcess StartIn(Workspace workspace, string workingDirectory, params string[] arguments)
    {
        if (!File.Exists(CliPath))
            throw new FileNotFoundException($"The pipeline command is missing at {CliPath}; the test project's build copies it there from src/Pipeline.Cli.", CliPath);
        var start = new ProcessStartInfo
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        if (OperatingSystem.IsLinux())
        {
            // A process started in the background by a non-interactive shell ignores SIGINT, and its children inherit
            // that: give the command the default disposition, as a terminal would, so that it can catch Ctrl+C.
            start.FileName = "env";
            start.ArgumentList.Add("--default-signal=INT");
            start.ArgumentList.Add(DotnetHost());
        }
        else
        {
            start.FileName = DotnetHost();
        }
        start.ArgumentList.Add(CliPath);
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        start.Environment["PIPELINE_STATE_DIR"] = workspace.StateDirectory;
        start.Environment["NO_COLOR"] = "1";
        start.Environment.Remove("PIPELINE_SECRETS_FILE");

        var process = new Process { StartInfo = start };
        var cli = new CliProcess(process);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                cli._lines.Writer.TryComplete();
                cli._stdoutClosed.TrySetResult();
                return;
            }
            lock (cli._stdout) cli._stdout.AppendLine(e.Data);
            cli._lines.Writer.TryWrite(e.Data);
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                cli._stderrClosed.TrySetResult();
                return;
            }
            lock (cli._stderr) cli._stderr.AppendLine(e.Data);
        };
        process.Start();
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return cli;
    }

    /// <summary>Waits until the command prints a line containing <paramref name="text"/> on standard output, and returns it.</summary>
    public async Task<string> WaitForLineAsync(string text)
    {
        using var timeout = new CancellationTokenSource(Patience);
        try
        {
            await foreach (var line in _lines.Reader.ReadAllAsync(timeout.Token))
            {
                if (line.Contains(text, StringComparison.Ordinal)) return line;
            }
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"The command printed no line with \"{text}\" within {Patience}.{Environment.NewLine}{Snapshot()}");
        }
        await _process.WaitForExitAsync().WaitAsync(Patience);
        throw new InvalidOperationException($"The command ended (exit code {_process.ExitCode}) without printing a line with \"{text}\".{Environment.NewLine}{Snapshot()}");
    }

    /// <summary>Waits for the "Run ID of 'PIPELINE' started" line and returns the run id.</summary>
    public async Task<string> WaitForRunIdAsync()
    {
        var line = await WaitForLineAsync("started (");
        return RunIdOf(line);
    }

    public static string RunIdOf(string output)
    {
        var match = RunStarted().Match(output);
        Assert.True(match.Success, $"No 'Run ID of ... started' line in:{Environment.NewLine}{output}");
        return match.Groups[1].Value;
    }

    /// <summary>Sends a signal to the command, as Ctrl+C (SIGINT) or systemd (SIGTERM) would.</summary>
    public void Signal(int signal)
    {
        Assert.True(OperatingSystem.IsLinux() || OperatingSystem.IsMacOS(), "Signals are sent on Unix only.");
        if (Kill(_process.Id, signal) != 0)
            throw new InvalidOperationException($"kill({_process.Id}, {signal}) failed with errno {Marshal.GetLastPInvokeError()}.");
    }

    public async Task<CliResult> WaitForExitAsync()
    {
        try
        {
            await _process.WaitForExitAsync().WaitAsync(Patience);
            await Task.WhenAll(_stdoutClosed.Task, _stderrClosed.Task).WaitAsync(Patience);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"The command did not end within {Patience}.{Environment.NewLine}{Snapshot()}");
        }
        return new CliResult(_process.ExitCode, Stdout(), Stderr());
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync().WaitAsync(Patience);
            }
        }
        catch (InvalidOperationException)
        {
            // It ended on its own meanwhile.
        }
        _process.Dispose();
    }

    private string Stdout()
    {
        lock (_stdout) return _stdout.ToString();
    }

    private string Stderr()
    {
        lock (_stderr) return _stderr.ToString();
    }

    private string Snapshot() => $"--- stdout so far ---{Environment.NewLine}{Stdout()}--- stderr so far ---{Environment.NewLine}{Stderr()}";

    [GeneratedRegex(@"Run (\d{8}-\d{6}-[0-9a-f]{6}) of '[^']*' started")]
    private static partial Regex RunStarted();

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);

    // The dotnet that runs these tests: `dotnet test` names it in DOTNET_HOST_PATH; the test host may itself be dotnet.
    private static string DotnetHost()
    {
        var fromSdk = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        if (!string.IsNullOrEmpty(fromSdk) && File.Exists(fromSdk)) return fromSdk;
        var current = Environment.ProcessPath;
        if (current is not null && Path.GetFileNameWithoutExtension(current).Equals("dotnet", StringComparison.OrdinalIgnoreCase)) return current;
        return "dotnet";
    }
}
