using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using Pipeline.Core.Execution;
using Pipeline.Core.Observability;

namespace Pipeline.Core.Steps.Process;

/// <summary>
/// <c>process.run</c>: runs a program with an argument list (never a command line to be split again), streams its
/// output lines to the run's log as they come, keeps the tail of stdout and stderr as outputs, and fails on an exit
/// code it was not told to expect. When the step is cancelled or times out, the process and every process it started
/// are killed and waited for.
/// </summary>
public sealed class ProcessRunStep : IStepHandler
{
    private const long DefaultMaxOutput = 1 << 20;
    private const int ErrorTailBytes = 4096;
    private const int ErrorTailLines = 10;
    private static readonly TimeSpan KillGrace = TimeSpan.FromSeconds(10);

    /// <inheritdoc />
    public StepTypeInfo Info { get; } = new(
        "process.run",
        "Runs a program with a list of arguments, logs its output as it comes, publishes exit_code, stdout and stderr, and fails on an unexpected exit code.",
        [
            new StepOptionInfo("executable", StepOptionType.String, "The program: a name looked up on the PATH, or a path (relative to the definition).") { Required = true },
            new StepOptionInfo("arguments", StepOptionType.List, "The arguments, one list item each, passed as they are (no shell splitting or quoting)."),
            new StepOptionInfo("working_directory", StepOptionType.String, "The directory the program runs in; by default the definition's directory."),
            new StepOptionInfo("environment", StepOptionType.Map, "Environment variables to set for the program, on top of the run's environment."),
            new StepOptionInfo("expected_exit_codes", StepOptionType.List, "The exit codes that mean success; any other fails the step.") { Default = "[0]" },
            new StepOptionInfo("capture_output", StepOptionType.Boolean, "Publish the tail of stdout and stderr as the outputs 'stdout' and 'stderr' (lines are logged either way).") { Default = "true" },
            new StepOptionInfo("max_output", StepOptionType.Integer, "How many bytes of the end of stdout and of stderr are kept for the outputs.") { Default = DefaultMaxOutput.ToString(CultureInfo.InvariantCulture) },
        ]);

    /// <inheritdoc />
    public async Task ExecuteAsync(StepContext context, CancellationToken cancellationToken)
    {
        var options = context.Options;
        var executable = options.GetRequiredString("executable");
        var arguments = options.GetStringList("arguments");
        var environment = options.GetStringMap("environment");
        var expected = ExpectedExitCodes(options);
        var capture = options.GetBoolean("capture_output", true);
        var maxOutput = options.GetInt64("max_output", DefaultMaxOutput);
        if (maxOutput < 0)
            throw new StepException(ErrorKind.Configuration, $"The option 'max_output' must be 0 or more bytes, not {maxOutput}.");
        var workingDirectory = options.GetString("working_directory") is { Length: > 0 } directory ? context.ResolveLocalPath(directory) : context.WorkingDirectory;
        if (!Directory.Exists(workingDirectory))
            throw new StepException(ErrorKind.NotFound, $"The working directory '{workingDirectory}' does not exist.");
        var path = ExecutableLocator.Find(executable, context.WorkingDirectory, environment)
            ?? throw new StepException(ErrorKind.NotFound, ExecutableLocator.IsCommandName(executable)
                ? $"The executable '{executable}' was not found on the PATH."
                : $"The executable '{context.ResolveLocalPath(executable)}' does not exist.");

        var start = new ProcessStartInfo(path)
        {
            UseShellExecute = false,
            CreateNoWindow = true,
            WorkingDirectory = workingDirectory,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardOutputEncoding = new UTF8Encoding(false),
            StandardErrorEncoding = new UTF8Encoding(false),
        };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        foreach (var (name, value) in environment) start.Environment[name] = value;

        using var process = new System.Diagnostics.Process { StartInfo = start };
        try
        {
            process.Start();
        }
        catch (Win32Exception ex)
        {
            var kind = ex.NativeErrorCode switch
            {
                2 => ErrorKind.NotFound, // ENOENT, ERROR_FILE_NOT_FOUND
                5 or 13 => ErrorKind.Permission, // ERROR_ACCESS_DENIED, EACCES
                _ => ErrorKind.Unknown,
            };
            throw new StepException(kind, $"The executable '{path}' could not be started: {ex.Message}", ex);
        }
        var pid = process.Id;
        context.Log(LogLevel.Verbose, $"Started '{path}' (pid {pid}) in '{workingDirectory}'.");
        try
        {
            process.StandardInput.Close(); // a program that reads stdin sees its end instead of waiting forever
        }
        catch (IOException)
        {
            // It exited already.
        }

        var stdout = new OutputTail(capture ? maxOutput : 0);
        var stderr = new OutputTail(capture ? maxOutput : 0);
        var errorTail = new OutputTail(ErrorTailBytes);
        var logGate = new object();
        var pumps = Task.WhenAll(
            ProcessOutput.PumpAsync(process.StandardOutput, line =>
            {
                stdout.Add(line);
                lock (logGate) context.Log(LogLevel.Verbose, line);
            }),
            ProcessOutput.PumpAsync(process.StandardError, line =>
            {
                stderr.Add(line);
                errorTail.Add(line);
                lock (logGate) context.Log(LogLevel.Warning, line);
            }));

        try
        {
            await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
            await pumps.WaitAsync(cancellationToken).ConfigureAwait(false); // the last lines, until every writer closed the pipes
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await StopAsync(context, process, path, pid, pumps).ConfigureAwait(false);
            throw;
        }

        var exitCode = process.ExitCode;
        context.SetOutput("exit_code", exitCode);
        context.SetOutput("stdout", capture ? stdout.Text : null);
        context.SetOutput("stderr", capture ? stderr.Text : null);
        if (stdout.Truncated && capture) context.Log(LogLevel.Verbose, $"The output 'stdout' keeps only the last {maxOutput} bytes.");
        if (stderr.Truncated && capture) context.Log(LogLevel.Verbose, $"The output 'stderr' keeps only the last {maxOutput} bytes.");
        if (!expected.Contains(exitCode))
        {
            var lines = errorTail.LastLines(ErrorTailLines);
            throw new StepException(ErrorKind.ProcessExit,
                $"'{executable}' exited with code {exitCode} (expected {string.Join(", ", expected)})." +
                (lines.Count == 0 ? " It wrote nothing to stderr." : $" Last lines of stderr:{Environment.NewLine}{string.Join(Environment.NewLine, lines)}"));
        }
        context.Log(LogLevel.Information, $"'{executable}' (pid {pid}) exited with code {exitCode}.");
    }

    /// <summary>Kills the process and its descendants, then waits (boundedly) until they are gone and their output is drained.</summary>
    private static async Task StopAsync(StepContext context, System.Diagnostics.Process process, string path, int pid, Task pumps)
    {
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (Exception ex) when (ex is InvalidOperationException or Win32Exception or NotSupportedException)
        {
            context.Log(LogLevel.Warning, $"Killing '{path}' (pid {pid}) failed: {ex.Message}");
        }
        // Every killed process closes its end of the pipes, so drained output means the tree is gone.
        var gone = Task.WhenAll(process.WaitForExitAsync(CancellationToken.None), pumps);
        if (await Task.WhenAny(gone, Task.Delay(KillGrace, context.Time)).ConfigureAwait(false) == gone)
        {
            context.Log(LogLevel.Warning, $"Cancelled: killed '{path}' (pid {pid}) and the processes it started.");
        }
        else
        {
            context.Log(LogLevel.Warning,
                $"Cancelled: killed '{path}' (pid {pid}), but a process it started still holds its output open after {KillGrace.TotalSeconds:0} s (it may have left the process tree); it is no longer watched.");
        }
    }

    private static IReadOnlyList<int> ExpectedExitCodes(StepOptions options)
    {
        var codes = new List<int>();
        foreach (var text in options.GetStringList("expected_exit_codes"))
        {
            if (!int.TryParse(text.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var code))
                throw new StepException(ErrorKind.Configuration, $"The option 'expected_exit_codes' must list whole numbers, not '{text}'.");
            codes.Add(code);
        }
        return codes.Count == 0 ? [0] : codes;
    }
}
