using System.Management.Automation;
using Pipeline.Core.Definitions;
using Pipeline.Core.State;

namespace Pipeline.PowerShell.Hosting;

/// <summary>What the engine throws before or around a run, as terminating ErrorRecords; null for what PowerShell
/// should see unchanged (a stopping pipeline, a downstream command's own error).</summary>
internal static class RunErrors
{
    public static ErrorRecord? ToErrorRecord(Exception exception, string command, object target) => exception switch
    {
        PipelineStoppedException or ActionPreferenceStopException => null,
        DefinitionException definition => ErrorRecords.DefinitionInvalid(definition, command, target),
        RunLockedException locked => ErrorRecords.AlreadyRunning(locked, locked.PipelineId),
        ArgumentException argument when argument.ParamName == "request" => ErrorRecords.ResumeInvalid(argument, target.ToString() ?? ""),
        ArgumentException argument => ErrorRecords.InvalidArgument(argument, command + "InvalidArgument", target),
        IOException or UnauthorizedAccessException or System.Data.Common.DbException => ErrorRecords.StateUnavailable(exception, command, target),
        _ => null,
    };
}
