using System.CommandLine;
using Pipeline.Core.State;

namespace Pipeline.Cli.Commands;

/// <summary>Options several commands share, and what they turn into.</summary>
internal static class CommonOptions
{
    public static Option<string?> StateDirectory() => new("--state-dir")
    {
        Description = $"The directory of the run store (runs.db); by default ${StateLocation.DirectoryVariable}, else the per-user location (see docs/cli.md).",
        HelpName = "DIR",
    };

    public static Option<string[]> Variables() => new("--var")
    {
        Description = "A variable as NAME=VALUE, overriding the definition's; repeat for more.",
        HelpName = "NAME=VALUE",
        Arity = ArgumentArity.ZeroOrMore,
        AllowMultipleArgumentsPerToken = false,
    };

    public static Argument<string> DefinitionFile() => PipelineCommand.RefusingOptions(new Argument<string>("file.yml")
    {
        Description = "The pipeline definition (YAML).",
    });

    /// <summary>The definition file, which must exist.</summary>
    /// <exception cref="UsageException">It does not.</exception>
    public static string ExistingFile(string path) =>
        File.Exists(path) ? path : throw new UsageException(Directory.Exists(path) ? $"'{path}' is a directory, not a definition file." : $"The definition file '{path}' does not exist.");

    /// <summary>Opens the run store in the given directory, or in the default one.</summary>
    public static SqliteRunStore OpenStore(string? stateDirectory) => new(StateLocation.GetDatabasePath(stateDirectory));

    /// <summary>Reads <c>NAME=VALUE</c> pairs; a later pair wins over an earlier one of the same name.</summary>
    /// <exception cref="UsageException">A pair without '=' or without a name.</exception>
    public static Dictionary<string, string> ParseVariables(IEnumerable<string>? pairs)
    {
        var variables = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var pair in pairs ?? [])
        {
            var eq = pair.IndexOf('=');
            if (eq <= 0)
                throw new UsageException($"--var takes NAME=VALUE, not '{pair}'.");
            variables[pair[..eq].Trim()] = pair[(eq + 1)..];
        }
        return variables;
    }
}
