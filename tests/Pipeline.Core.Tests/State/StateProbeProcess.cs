using System.Diagnostics;
using System.Text;
using System.Threading.Channels;

namespace Pipeline.Core.Tests.State;

/// <summary>
/// A running Pipeline.StateProbe (tests/Pipeline.StateProbe, copied to StateProbe/ beside the tests by the build):
/// a real second process that holds run locks in the same database as the test.
/// </summary>
internal sealed class StateProbeProcess : IAsyncDisposable
{
    // Generous: the build machines are shared, and a cold `dotnet` start can take seconds there.
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);

    private readonly Process _process;
    private readonly Channel<string> _lines = Channel.CreateUnbounded<string>();
    private readonly StringBuilder _errors = new();

    private StateProbeProcess(Process process)
    {
        _process = process;
    }

    public int Id => _process.Id;

    public static StateProbeProcess Start(params string[] arguments)
    {
        var probe = Path.Combine(AppContext.BaseDirectory, "StateProbe", "Pipeline.StateProbe.dll");
        if (!File.Exists(probe))
        {
            throw new FileNotFoundException(
                $"The state probe is missing at {probe}; the test project's build copies it there from tests/Pipeline.StateProbe.", probe);
        }
        var start = new ProcessStartInfo(DotnetHost())
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(probe);
        foreach (var argument in arguments) start.ArgumentList.Add(argument);

        var process = new Process { StartInfo = start };
        var probeProcess = new StateProbeProcess(process);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) probeProcess._lines.Writer.TryComplete();
            else probeProcess._lines.Writer.TryWrite(e.Data);
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (probeProcess._errors) probeProcess._errors.AppendLine(e.Data);
        };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return probeProcess;
    }

    /// <summary>The next line the probe printed; fails with its standard error when none comes in time.</summary>
    public async Task<string> ReadLineAsync()
    {
        using var timeout = new CancellationTokenSource(Patience);
        try
        {
            if (await _lines.Reader.WaitToReadAsync(timeout.Token) && _lines.Reader.TryRead(out var line)) return line;
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"The state probe printed nothing within {Patience}. Its standard error: {Errors()}");
        }
        await _process.WaitForExitAsync(CancellationToken.None).WaitAsync(Patience);
        throw new InvalidOperationException(
            $"The state probe ended (exit code {_process.ExitCode}) without printing a line. Its standard error: {Errors()}");
    }

    public async Task<string> ReadLineStartingWithAsync(string prefix)
    {
        var line = await ReadLineAsync();
        Assert.True(line.StartsWith(prefix, StringComparison.Ordinal), $"Expected the probe to print '{prefix}...', it printed '{line}'.");
        return line;
    }

    public Task WriteLineAsync(string line) => _process.StandardInput.WriteLineAsync(line);

    /// <summary>Kills the probe as a crash would (no release, no cleanup) and waits until it is gone.</summary>
    public async Task KillAsync()
    {
        _process.Kill(entireProcessTree: true);
        await WaitForExitAsync();
    }

    public async Task<int> WaitForExitAsync()
    {
        await _process.WaitForExitAsync().WaitAsync(Patience);
        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited) await KillAsync();
        }
        catch (InvalidOperationException)
        {
            // It ended on its own meanwhile.
        }
        _process.Dispose();
    }

    private string Errors()
    {
        lock (_errors) return _errors.Length == 0 ? "(empty)" : _errors.ToString();
    }

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
