using Pipeline.Cli.Terminal;
using Pipeline.Core.Definitions;

namespace Pipeline.Cli.Commands;

/// <summary>Prints every problem of a definition as <c>file:line:col: message [code]</c>, the form editors and CI
/// logs link to, with the file as the user named it.</summary>
internal static class DefinitionProblems
{
    public static int Report(TerminalOutput output, DefinitionException exception, string? givenPath, string trailer)
    {
        var fullPath = givenPath is null ? null : Path.GetFullPath(givenPath);
        foreach (var error in exception.Errors)
        {
            var where = error.Location is { } at
                ? $"{Shown(at.File, fullPath, givenPath)}:{at.Line}:{at.Column}: "
                : givenPath is null ? "" : givenPath + ": ";
            output.Error.WriteLine(output.Paint(where, Style.Bold, output.ErrorColor) + $"{error.Message} [{error.Code}]");
        }
        var count = exception.Errors.Count;
        output.WriteHint($"{count} {(count == 1 ? "problem" : "problems")}; {trailer}");
        return ExitCodes.InvalidDefinition;
    }

    private static string Shown(string? file, string? fullPath, string? givenPath) =>
        file is null ? "<definition>"
        : givenPath is not null && string.Equals(file, fullPath, StringComparison.Ordinal) ? givenPath
        : file;
}
