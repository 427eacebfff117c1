using System.Management.Automation;
using Pipeline.Core.Execution;

namespace Pipeline.PowerShell.Scripts;

/// <summary>A script's terminating error as a step failure of kind <see cref="ErrorKind.Script"/>, with where it
/// was thrown.</summary>
internal static class ScriptErrors
{
    /// <summary>The failure, its position moved by <paramref name="lineOffset"/> lines when the script ran from its
    /// text (line 1 of the text is line 1 + offset of the file).</summary>
    public static StepException ToStepException(RuntimeException exception, int lineOffset)
    {
        var record = exception.ErrorRecord;
        var message = record.ErrorDetails?.Message ?? record.Exception?.Message ?? exception.Message;
        if (record.InvocationInfo is { ScriptLineNumber: > 0 } info)
        {
            var file = string.IsNullOrEmpty(info.ScriptName) ? "" : info.ScriptName + ", ";
            message += $" (at {file}line {info.ScriptLineNumber + lineOffset}, column {info.OffsetInLine})";
        }
        return new StepException(ErrorKind.Script, message, exception);
    }
}
