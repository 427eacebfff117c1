using System.Runtime.InteropServices;

namespace Pipeline.Cli.Terminal;

/// <summary>
/// Turns Ctrl+C (SIGINT) and SIGTERM into a cancelled token, so that the engine stops running steps, runs the
/// rollbacks and records the run as cancelled. A second signal exits at once with
/// <see cref="ExitCodes.Interrupted"/>.
/// </summary>
internal sealed class CancelSignals : IDisposable
{
    private readonly CancellationTokenSource _cancel = new();
    private readonly TerminalOutput _output;
    private readonly PosixSignalRegistration _terminate;
    private int _signals;

    private CancelSignals(TerminalOutput output)
    {
        _output = output;
        // Console.CancelKeyPress handles SIGINT (and Ctrl+Break on Windows); SIGTERM, which systemd and kill send,
        // needs a registration of its own. Each signal has exactly one handler, so one Ctrl+C counts once.
        Console.CancelKeyPress += OnCancelKeyPress;
        _terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnTerminate);
    }

    /// <summary>Cancelled at the first signal.</summary>
    public CancellationToken Token => _cancel.Token;

    public static CancelSignals Install(TerminalOutput output) => new(output);

    public void Dispose()
    {
        Console.CancelKeyPress -= OnCancelKeyPress;
        _terminate.Dispose();
        // The token source is left undisposed: a signal racing with this may still cancel it.
    }

    private void OnCancelKeyPress(object? sender, ConsoleCancelEventArgs e)
    {
        e.Cancel = true;
        Signal("Ctrl+C");
    }

    private void OnTerminate(PosixSignalContext context)
    {
        context.Cancel = true;
        Signal("SIGTERM");
    }

    private void Signal(string what)
    {
        if (Interlocked.Increment(ref _signals) == 1)
        {
            _output.WriteHint($"{what}: cancelling the run (running steps stop, rollbacks run). Press Ctrl+C again to exit at once.");
            // The engine's cancellation callbacks run elsewhere: the signal handler returns at once.
            _ = _cancel.CancelAsync();
            return;
        }
        _output.WriteError($"{what} again: exiting at once; the run's rollbacks may not have run and its end is not recorded.");
        Environment.Exit(ExitCodes.Interrupted);
    }
}
