using System.CommandLine;
using Pipeline.Cli.Terminal;
using Pipeline.Core.Execution;
using Pipeline.Core.State;

namespace Pipeline.Cli.Commands;

/// <summary>The options every command takes, and the one place where a command's failure becomes an exit code.</summary>
internal static class GlobalOptions
{
    public static readonly Option<bool> Quiet = new("--quiet", "-q")
    {
        Description = "Print only failures and the run's result line.",
        Recursive = true,
    };

    public static readonly Option<bool> Verbose = new("--verbose", "-v")
    {
        Description = "Print everything: the plan, every step output line, and stack traces of errors.",
        Recursive = true,
    };

    public static readonly Option<bool> NoColor = new("--no-color")
    {
        Description = "No colours (also when the NO_COLOR environment variable is set, or the output is not a terminal).",
        Recursive = true,
    };

    /// <summary>
    /// Runs a command's body with the console it asked for, and turns what it throws into a message and an exit
    /// code: a usage problem 2, a run lock held by another run 4, an unknown run 6, anything else 1 (with its stack
    /// trace only under --verbose).
    /// </summary>
    public static async Task<int> Guard(ParseResult parse, Func<TerminalOutput, Task<int>> body)
    {
        var quiet = parse.GetValue(Quiet);
        var verbose = parse.GetValue(Verbose);
        var output = TerminalOutput.ForConsole(parse.GetValue(NoColor), verbose ? Verbosity.Verbose : quiet ? Verbosity.Quiet : Verbosity.Normal);
        try
        {
            if (quiet && verbose) throw new UsageException("--quiet and --verbose cannot be used together.");
            return await body(output).ConfigureAwait(false);
        }
        catch (UsageException ex)
        {
            output.WriteError(ex.Message);
            output.WriteHint($"Run '{CommandPath(parse)} --help' for usage.");
            return ExitCodes.Usage;
        }
        catch (RunLockedException ex)
        {
            output.WriteError(ex.Message);
            return ExitCodes.AlreadyRunning;
        }
        catch (RunNotFoundException ex)
        {
            output.WriteError(ex.Message);
            output.WriteHint("'pipeline runs' lists the recorded runs.");
            return ExitCodes.RunNotFound;
        }
        catch (Exception ex)
        {
            output.WriteException(ex);
            return ExitCodes.RunFailed;
        }
        finally
        {
            output.Out.Flush();
            output.Error.Flush();
        }
    }

    /// <summary>"pipeline runs show": the words of the command that was parsed.</summary>
    public static string CommandPath(ParseResult parse)
    {
        var words = new List<string>();
        for (var result = parse.CommandResult; result is not null; result = result.Parent as System.CommandLine.Parsing.CommandResult)
            words.Insert(0, result.Parent is null ? "pipeline" : result.Command.Name);
        return string.Join(' ', words);
    }
}
