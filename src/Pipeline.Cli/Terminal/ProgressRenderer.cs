using System.Globalization;
using Pipeline.Core.Observability;

namespace Pipeline.Cli.Terminal;

/// <summary>
/// Turns engine events into live progress lines: the time since the run started, a symbol, and the engine's own
/// (already masked) message. Events arrive from any thread; lines are written whole, one at a time.
/// </summary>
internal sealed class ProgressRenderer(TerminalOutput output) : IPipelineEventSink
{
    private readonly object _gate = new();
    private DateTimeOffset? _started;

    public void OnEvent(PipelineEvent pipelineEvent)
    {
        if (Describe(pipelineEvent, output.Verbosity) is not { } line) return;
        lock (_gate)
        {
            _started ??= pipelineEvent.Time;
            var elapsed = Elapsed(pipelineEvent.Time - _started.Value);
            var symbol = output.Unicode ? line.Symbol : line.Ascii;
            var text = line.StepLog && pipelineEvent.StepId is { } step ? $"{step}: {pipelineEvent.Message}" : pipelineEvent.Message;
            var lines = text.ReplaceLineEndings("\n").TrimEnd('\n').Split('\n');
            var indent = new string(' ', elapsed.Length + 1 + symbol.Length + 1);
            var first = $"{output.Paint(elapsed, Style.Dim, output.OutputColor)} {output.Paint(symbol, line.Style, output.OutputColor)} {output.Paint(lines[0], line.Style == Style.Error ? Style.Error : Style.Plain, output.OutputColor)}";
            output.Out.WriteLine(first);
            foreach (var more in lines.Skip(1)) output.Out.WriteLine(indent + more);
            output.Out.Flush();
        }
    }

    private readonly record struct Line(string Symbol, string Ascii, Style Style, bool StepLog = false);

    /// <summary>How an event is shown at a verbosity, or null when it is not shown.</summary>
    private static Line? Describe(PipelineEvent e, Verbosity verbosity)
    {
        var normal = verbosity >= Verbosity.Normal;
        var verbose = verbosity == Verbosity.Verbose;
        return e.Kind switch
        {
            PipelineEventKind.RunStarted when normal => new Line("▶", ">", Style.Bold),
            PipelineEventKind.RunPlanned when verbose => new Line("·", ".", Style.Dim),
            PipelineEventKind.StepStarted when normal => new Line("·", ".", Style.Plain),
            PipelineEventKind.StepSucceeded when normal => new Line("✓", "+", Style.Success),
            PipelineEventKind.AttemptFailed when normal => new Line("!", "!", Style.Warning),
            PipelineEventKind.StepTimedOut when normal => new Line("!", "!", Style.Warning),
            PipelineEventKind.StepRetrying when normal => new Line("↻", "~", Style.Warning),
            PipelineEventKind.StepFailed => new Line("✗", "x", Style.Error),
            PipelineEventKind.StepSkipped when normal => new Line("-", "-", Style.Dim),
            PipelineEventKind.StepCancelled when normal => new Line("⊘", "x", Style.Warning),
            PipelineEventKind.StepResumed when normal => new Line("=", "=", Style.Dim),
            PipelineEventKind.RollbackStarted when normal => new Line("↩", "<", Style.Warning),
            PipelineEventKind.RollbackSucceeded when normal => new Line("↩", "<", Style.Success),
            PipelineEventKind.RollbackFailed => new Line("✗", "x", Style.Error),
            PipelineEventKind.StepLog => LogLine(e.Level, verbosity),
            // Alerts and the end of the run are in the summary that follows.
            _ => null,
        };
    }

    private static Line? LogLine(LogLevel level, Verbosity verbosity) => level switch
    {
        LogLevel.Error => new Line("│", "|", Style.Error, StepLog: true),
        LogLevel.Warning when verbosity >= Verbosity.Normal => new Line("│", "|", Style.Warning, StepLog: true),
        LogLevel.Information when verbosity >= Verbosity.Normal => new Line("│", "|", Style.Plain, StepLog: true),
        LogLevel.Verbose when verbosity == Verbosity.Verbose => new Line("│", "|", Style.Dim, StepLog: true),
        _ => null,
    };

    private static string Elapsed(TimeSpan elapsed)
    {
        if (elapsed < TimeSpan.Zero) elapsed = TimeSpan.Zero;
        return elapsed.TotalHours >= 1
            ? elapsed.ToString(@"h\:mm\:ss\.f", CultureInfo.InvariantCulture)
            : elapsed.ToString(@"mm\:ss\.f", CultureInfo.InvariantCulture);
    }
}
