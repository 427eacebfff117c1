using System.CommandLine;
using System.Globalization;
using Pipeline.Cli.Terminal;
using Pipeline.Core.Definitions;
using Pipeline.Core.State;

namespace Pipeline.Cli.Commands;

/// <summary><c>pipeline runs</c> lists recorded runs; <c>pipeline runs show RUNID</c> shows one with its step attempts.</summary>
internal static class RunsCommand
{
    private static readonly string[] Statuses = Enum.GetValues<RunStatus>().Select(s => s.ToString().ToLowerInvariant()).ToArray();

    public static Command Create()
    {
        var pipeline = new Option<string?>("--pipeline") { Description = "Only runs of this pipeline id.", HelpName = "ID" };
        var status = new Option<string?>("--status") { Description = "Only runs with this status.", HelpName = "STATUS" };
        status.AcceptOnlyFromAmong(Statuses);
        var limit = new Option<int>("--limit") { Description = "At most this many runs, newest first.", HelpName = "N", DefaultValueFactory = _ => 20 };
        var stateDirectory = CommonOptions.StateDirectory();
        var command = new Command("runs", "List recorded runs, newest first; 'runs show RUNID' shows one run's step attempts.")
        {
            pipeline, status, limit, stateDirectory, CreateShow(),
        };
        command.SetAction((parse, _) => GlobalOptions.Guard(parse, output => ListAsync(output,
            parse.GetValue(pipeline), parse.GetValue(status), parse.GetValue(limit), parse.GetValue(stateDirectory))));
        return command;
    }

    private static Command CreateShow()
    {
        var runId = PipelineCommand.RefusingOptions(new Argument<string>("RUNID") { Description = "The run, as 'pipeline runs' lists it." });
        var stateDirectory = CommonOptions.StateDirectory();
        var command = new Command("show", "Show a run and every attempt of its steps (rollbacks included).") { runId, stateDirectory };
        command.SetAction((parse, _) => GlobalOptions.Guard(parse, output => ShowAsync(output, parse.GetValue(runId)!, parse.GetValue(stateDirectory))));
        return command;
    }

    private static async Task<int> ListAsync(TerminalOutput output, string? pipeline, string? status, int limit, string? stateDirectory)
    {
        if (limit < 1) throw new UsageException($"--limit takes 1 or more, not {limit}.");
        await using var store = CommonOptions.OpenStore(stateDirectory);
        var runs = await store.GetRunsAsync(new RunQuery
        {
            PipelineId = pipeline,
            Status = status is null ? null : Enum.Parse<RunStatus>(status, ignoreCase: true),
            Limit = limit,
        }).ConfigureAwait(false);
        if (runs.Count == 0)
        {
            output.WriteLine($"No runs{(pipeline is null && status is null ? "" : " match")} in {store.DatabasePath}.");
            return ExitCodes.Success;
        }
        var table = new TextTable("RUN", "PIPELINE", "STATUS", "STARTED", "DURATION", "RESUMED FROM", "ERROR");
        foreach (var run in runs)
        {
            table.Add(run.RunId, run.PipelineId, Text(run.Status), Time(run.StartedAt),
                run.EndedAt is { } end ? Duration.Format(end - run.StartedAt) : null, run.ResumedFrom, run.Error);
        }
        table.WriteTo(output);
        return ExitCodes.Success;
    }

    private static async Task<int> ShowAsync(TerminalOutput output, string runId, string? stateDirectory)
    {
        await using var store = CommonOptions.OpenStore(stateDirectory);
        if (await store.GetRunAsync(runId).ConfigureAwait(false) is not { } run)
        {
            output.WriteError($"There is no run '{runId}' in {store.DatabasePath}.");
            output.WriteHint("'pipeline runs' lists the recorded runs.");
            return ExitCodes.RunNotFound;
        }
        var attempts = await store.GetAttemptsAsync(runId).ConfigureAwait(false);

        var facts = new List<(string, string?)>
        {
            ("Run", run.RunId),
            ("Pipeline", run.PipelineId),
            ("Status", Text(run.Status)),
            ("Started", Time(run.StartedAt)),
            ("Ended", run.EndedAt is { } end ? Time(end) : null),
            ("Duration", run.EndedAt is { } e ? Duration.Format(e - run.StartedAt) : null),
            ("Resumed from", run.ResumedFrom),
            ("Definition", run.DefinitionPath),
            ("Host", $"{run.Host} (process {run.ProcessId})"),
            ("Variables", run.Variables.Count == 0 ? null : string.Join(", ", run.Variables.OrderBy(v => v.Key, StringComparer.Ordinal).Select(v => $"{v.Key}={v.Value}"))),
            ("Error", run.Error),
        };
        var width = facts.Max(f => f.Item1.Length) + 2;
        foreach (var (name, value) in facts.Where(f => f.Item2 is not null))
            output.WriteLine(output.Paint((name + ":").PadRight(width), Style.Bold, output.OutputColor) + value);
        output.Out.WriteLine();

        var table = new TextTable("STEP", "ATTEMPT", "STATUS", "STARTED", "DURATION", "ROWS", "BYTES", "ERROR");
        foreach (var a in attempts)
        {
            var status = Text(a.Status) + (a.Attempt == 0 && a.Status == RunStatus.Succeeded ? " (earlier run)" : "");
            var error = a.ErrorKind is null ? a.ErrorMessage : $"{a.ErrorKind}: {a.ErrorMessage}";
            table.Add(a.IsRollback ? a.StepId + " (rollback)" : a.StepId, a.Attempt == 0 ? null : a.Attempt.ToString(CultureInfo.InvariantCulture), status,
                Time(a.StartedAt), a.Duration is { } d && a.Attempt > 0 ? Duration.Format(d) : null,
                a.Rows > 0 ? a.Rows.ToString("N0", CultureInfo.InvariantCulture) : null,
                a.Bytes > 0 ? a.Bytes.ToString("N0", CultureInfo.InvariantCulture) : null, error);
        }
        if (table.Count == 0) output.WriteLine("No step attempts were recorded.");
        else table.WriteTo(output);
        return ExitCodes.Success;
    }

    private static string Text(RunStatus status) => status.ToString().ToLowerInvariant();

    private static string Time(DateTimeOffset time) => time.ToLocalTime().ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);
}
