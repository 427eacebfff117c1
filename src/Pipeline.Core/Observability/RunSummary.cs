using System.Globalization;
using System.Text;
using Pipeline.Core.Definitions;
using Pipeline.Core.Execution;
using Pipeline.Core.State;

namespace Pipeline.Core.Observability;

/// <summary>An alert raised by a run: a step slower than expected, or one that needed retries.</summary>
/// <param name="StepId">The step.</param>
/// <param name="Kind">slow, retried, failed, rollback_failed.</param>
/// <param name="Message">What happened.</param>
public sealed record RunAlert(string StepId, string Kind, string Message);

/// <summary>Figures of a run: per-step duration, attempts, rows, throughput, the slowest steps and alerts.</summary>
public sealed record RunSummary
{
    /// <summary>Steps by outcome.</summary>
    public IReadOnlyDictionary<RunStatus, int> Counts { get; init; } = new Dictionary<RunStatus, int>();
    /// <summary>The slowest steps that ran, slowest first (at most five).</summary>
    public IReadOnlyList<StepResult> Slowest { get; init; } = [];
    /// <summary>Alerts.</summary>
    public IReadOnlyList<RunAlert> Alerts { get; init; } = [];
    /// <summary>Rows over all steps.</summary>
    public long Rows { get; init; }
    /// <summary>Bytes over all steps.</summary>
    public long Bytes { get; init; }

    /// <summary>Builds the summary of finished steps.</summary>
    public static RunSummary Create(PipelineDefinition definition, IReadOnlyList<StepResult> steps)
    {
        var alerts = new List<RunAlert>();
        var definitions = definition.Steps.GroupBy(d => d.Id, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
        foreach (var step in steps.Where(s => !s.Resumed))
        {
            var def = definitions.GetValueOrDefault(step.StepId);
            if (def?.ExpectedDuration is { } expected && step.Duration is { } actual && actual > expected)
                alerts.Add(new RunAlert(step.StepId, "slow", $"'{step.StepId}' took {Duration.Format(actual)}, longer than its expected {Duration.Format(expected)}."));
            if (step.Attempts > 1)
                alerts.Add(new RunAlert(step.StepId, "retried", $"'{step.StepId}' needed {step.Attempts} attempts{(step.Status == RunStatus.Succeeded ? " to succeed" : "")}."));
            if (step.RollbackStatus == RunStatus.Failed)
                alerts.Add(new RunAlert(step.StepId, "rollback_failed", $"The rollback of '{step.StepId}' failed."));
        }
        return new RunSummary
        {
            Counts = steps.GroupBy(s => s.Status).ToDictionary(g => g.Key, g => g.Count()),
            Slowest = steps.Where(s => s.Duration is not null && !s.Resumed).OrderByDescending(s => s.Duration).Take(5).ToArray(),
            Alerts = alerts,
            Rows = steps.Sum(s => s.Rows),
            Bytes = steps.Sum(s => s.Bytes),
        };
    }

    /// <summary>A plain-text table of the steps, the slowest steps and the alerts, for terminals and logs.</summary>
    public static string Format(RunResult result)
    {
        var sb = new StringBuilder();
        var rows = result.Steps.Select(s => new[]
        {
            s.StepId, s.Type, StatusText(s), s.Attempts.ToString(CultureInfo.InvariantCulture),
            s.Duration is { } d ? Duration.Format(d) : "-",
            s.Rows > 0 ? s.Rows.ToString("N0", CultureInfo.InvariantCulture) : "-",
            Throughput(s),
        }).ToList();
        string[] header = ["STEP", "TYPE", "STATUS", "ATTEMPTS", "DURATION", "ROWS", "THROUGHPUT"];
        var widths = header.Select((h, i) => Math.Max(h.Length, rows.Count == 0 ? 0 : rows.Max(r => r[i].Length))).ToArray();
        void Line(string[] cells) => sb.AppendLine(string.Join("  ", cells.Select((c, i) => c.PadRight(widths[i]))).TrimEnd());
        Line(header);
        foreach (var row in rows) Line(row);
        sb.AppendLine();
        sb.Append(CultureInfo.InvariantCulture, $"Run {result.RunId} of '{result.PipelineId}': {result.Status.ToString().ToLowerInvariant()} in {Duration.Format(result.Duration)}");
        sb.AppendLine(string.Concat(result.Summary.Counts.OrderBy(kv => kv.Key).Select(kv => $", {kv.Value} {kv.Key.ToString().ToLowerInvariant()}")));
        if (result.Summary.Slowest.Count > 1)
            sb.AppendLine("Slowest: " + string.Join(", ", result.Summary.Slowest.Take(3).Select(s => $"{s.StepId} ({Duration.Format(s.Duration!.Value)})")));
        foreach (var alert in result.Summary.Alerts) sb.AppendLine("Alert: " + alert.Message);
        if (result.Error is not null) sb.AppendLine("Error: " + result.Error);
        return sb.ToString();
    }

    private static string StatusText(StepResult s) =>
        s.Status.ToString().ToLowerInvariant() + (s.Resumed ? " (earlier run)" : "") +
        (s.RollbackStatus is { } r ? $", rollback {r.ToString().ToLowerInvariant()}" : "");

    private static string Throughput(StepResult s)
    {
        if (s.Duration is not { TotalSeconds: > 0 } d || s.Resumed) return "-";
        if (s.Rows > 0) return $"{(s.Rows / d.TotalSeconds).ToString("N0", CultureInfo.InvariantCulture)} rows/s";
        if (s.Bytes > 0)
        {
            var perSecond = s.Bytes / d.TotalSeconds;
            return perSecond >= 1048576
                ? $"{(perSecond / 1048576).ToString("N1", CultureInfo.InvariantCulture)} MiB/s"
                : $"{(perSecond / 1024).ToString("N1", CultureInfo.InvariantCulture)} KiB/s";
        }
        return "-";
    }
}
