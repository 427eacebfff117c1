using System.CommandLine;
using Pipeline.Cli.Terminal;
using Pipeline.Core.Definitions;
using Pipeline.Core.Execution;
using Pipeline.Core.Observability;
using Pipeline.Core.State;
using Pipeline.Core.Steps;
using Pipeline.Core.Templates;

namespace Pipeline.Cli.Commands;

/// <summary><c>pipeline run</c>: runs a definition (or resumes a run) with live progress and a summary table.</summary>
internal static class RunCommand
{
    private sealed record Settings(
        string? File,
        string[] Variables,
        bool Parallel,
        int? Throttle,
        string? Resume,
        string? Log,
        string? StateDirectory,
        bool NoHistory,
        string? SecretsFile);

    public static Command Create()
    {
        var file = PipelineCommand.RefusingOptions(new Argument<string?>("file.yml")
        {
            Description = "The pipeline definition (YAML); may be left out with --resume, which reruns the definition the run recorded.",
            Arity = ArgumentArity.ZeroOrOne,
        });
        var variables = CommonOptions.Variables();
        var parallel = new Option<bool>("--parallel") { Description = "Run ready steps at once, up to --throttle (else max_parallel, else the processor count); without it steps run one at a time in plan order." };
        var throttle = new Option<int?>("--throttle") { Description = "How many steps may run at once; implies --parallel.", HelpName = "N" };
        var resume = new Option<string?>("--resume") { Description = "Resume a failed or cancelled run: rerun only the steps that did not succeed, with its variables.", HelpName = "RUNID" };
        var log = new Option<string?>("--log") { Description = "Also write every event as JSON lines to this file (appended).", HelpName = "events.jsonl" };
        var stateDirectory = CommonOptions.StateDirectory();
        var noHistory = new Option<bool>("--no-history") { Description = "Record nothing and take no run lock (no resume, no 'pipeline runs' entry)." };
        var secretsFile = new Option<string?>("--secrets-file") { Description = "A file of NAME=value lines for {secret:NAME} (else $PIPELINE_SECRETS_FILE, else the environment variable NAME).", HelpName = "FILE" };

        var command = new Command("run", "Run a pipeline definition, or resume a run, printing progress and a summary.")
        {
            file, variables, parallel, throttle, resume, log, stateDirectory, noHistory, secretsFile,
        };
        command.SetAction((parse, _) => GlobalOptions.Guard(parse, output => ExecuteAsync(output, new Settings(
            parse.GetValue(file),
            parse.GetValue(variables) ?? [],
            parse.GetValue(parallel),
            parse.GetValue(throttle),
            parse.GetValue(resume),
            parse.GetValue(log),
            parse.GetValue(stateDirectory),
            parse.GetValue(noHistory),
            parse.GetValue(secretsFile)))));
        return command;
    }

    private static async Task<int> ExecuteAsync(TerminalOutput output, Settings settings)
    {
        if (settings.File is null && settings.Resume is null)
            throw new UsageException("run needs a definition file, or --resume RUNID to resume a recorded run.");
        if (settings.NoHistory && settings.Resume is not null)
            throw new UsageException("--resume needs the run history; it cannot be used with --no-history.");
        if (settings.NoHistory && settings.StateDirectory is not null)
            throw new UsageException("--state-dir names the run history that --no-history turns off; give one or the other.");
        if (settings.Throttle is < 1)
            throw new UsageException($"--throttle takes 1 or more steps, not {settings.Throttle}.");
        if (settings.SecretsFile is not null && !File.Exists(settings.SecretsFile))
            throw new UsageException($"The secrets file '{settings.SecretsFile}' does not exist.");
        if (settings.File is not null) CommonOptions.ExistingFile(settings.File);
        var variables = CommonOptions.ParseVariables(settings.Variables);

        var registry = StepTypeRegistry.CreateDefault();
        PipelineDefinition? definition;
        try
        {
            definition = settings.File is null ? null : DefinitionLoader.LoadFile(settings.File, registry, variables.Keys);
        }
        catch (DefinitionException ex)
        {
            return DefinitionProblems.Report(output, ex, settings.File, "nothing ran.");
        }

        await using var store = settings.NoHistory ? null : CommonOptions.OpenStore(settings.StateDirectory);
        using var log = settings.Log is null ? null : new JsonLinesEventLog(settings.Log);
        IPipelineEventSink events = new ProgressRenderer(output);
        if (log is not null) events = new CompositeEventSink(events, log);
        using var signals = CancelSignals.Install(output);

        var request = new RunRequest
        {
            Definition = definition,
            Variables = variables,
            Parallel = settings.Parallel || settings.Throttle is not null,
            ThrottleLimit = settings.Throttle ?? 0,
            ResumeRunId = settings.Resume,
            Store = store,
            Secrets = new SecretStore(secretFile: settings.SecretsFile is null ? null : Path.GetFullPath(settings.SecretsFile)),
        };
        RunResult result;
        try
        {
            result = await new PipelineExecutor(registry).RunAsync(request, events, signals.Token).ConfigureAwait(false);
        }
        catch (DefinitionException ex)
        {
            return DefinitionProblems.Report(output, ex, settings.File, "nothing ran.");
        }
        catch (OperationCanceledException) when (signals.Token.IsCancellationRequested)
        {
            output.WriteError("The run was cancelled before it started.");
            return ExitCodes.Cancelled;
        }
        catch (ArgumentException ex) when (ex is not RunNotFoundException && settings.Resume is not null)
        {
            throw new UsageException(ex.ParamName is null ? ex.Message : ex.Message.Replace($" (Parameter '{ex.ParamName}')", "", StringComparison.Ordinal));
        }

        var resumeHint = store is null ? null
            : "pipeline run --resume " + result.RunId + (settings.StateDirectory is null ? "" : $" --state-dir {Quoted(settings.StateDirectory)}");
        WriteSummary(output, result, resumeHint);
        return result.Status switch
        {
            RunStatus.Succeeded => ExitCodes.Success,
            RunStatus.Cancelled => ExitCodes.Cancelled,
            _ => ExitCodes.RunFailed,
        };
    }

    private static void WriteSummary(TerminalOutput output, RunResult result, string? resumeHint)
    {
        var style = result.Status switch
        {
            RunStatus.Succeeded => Style.Success,
            RunStatus.Cancelled => Style.Warning,
            _ => Style.Error,
        };
        if (output.Verbosity == Verbosity.Quiet)
        {
            output.WriteLine($"Run {result.RunId} of '{result.PipelineId}': {result.Status.ToString().ToLowerInvariant()} in {Duration.Format(result.Duration)}.", style);
            if (result.Error is not null) output.WriteLine("Error: " + result.Error);
        }
        else
        {
            output.Out.WriteLine();
            foreach (var line in RunSummary.Format(result).ReplaceLineEndings("\n").TrimEnd('\n').Split('\n'))
                output.WriteLine(line, line.StartsWith("Run ", StringComparison.Ordinal) ? style : line.StartsWith("STEP ", StringComparison.Ordinal) ? Style.Bold : Style.Plain);
        }
        if (resumeHint is not null && result.Status is RunStatus.Failed or RunStatus.Cancelled)
            output.WriteLine("Resume it with: " + resumeHint, Style.Dim);
    }

    private static string Quoted(string path) => path.Any(c => char.IsWhiteSpace(c) || c is '\'' or '"') ? $"'{path.Replace("'", "'\\''", StringComparison.Ordinal)}'" : path;
}
