using System.Management.Automation;
using Pipeline.Core.Definitions;
using Pipeline.Core.Execution;

namespace Pipeline.PowerShell.Hosting;

/// <summary>ErrorRecords with stable ids (<c>CommandReason</c>) and categories that match the engine's error kinds.</summary>
internal static class ErrorRecords
{
    /// <summary>The PowerShell category of an engine error kind.</summary>
    public static ErrorCategory CategoryOf(ErrorKind kind) => kind switch
    {
        ErrorKind.Timeout => ErrorCategory.OperationTimeout,
        ErrorKind.Transient => ErrorCategory.ResourceUnavailable,
        ErrorKind.Io => ErrorCategory.WriteError,
        ErrorKind.ProcessExit => ErrorCategory.InvalidResult,
        ErrorKind.Validation => ErrorCategory.InvalidData,
        ErrorKind.Authentication => ErrorCategory.AuthenticationError,
        ErrorKind.NotFound => ErrorCategory.ObjectNotFound,
        ErrorKind.Permission => ErrorCategory.PermissionDenied,
        ErrorKind.Conflict => ErrorCategory.ResourceExists,
        ErrorKind.Protocol => ErrorCategory.ProtocolError,
        ErrorKind.Cancelled => ErrorCategory.OperationStopped,
        ErrorKind.Integrity => ErrorCategory.InvalidResult,
        ErrorKind.Configuration => ErrorCategory.InvalidArgument,
        ErrorKind.Script => ErrorCategory.InvalidOperation,
        _ => ErrorCategory.NotSpecified,
    };

    /// <summary>A definition with problems; the message lists every one.</summary>
    public static ErrorRecord DefinitionInvalid(DefinitionException exception, string command, object? target) =>
        new(exception, command + "DefinitionInvalid", ErrorCategory.InvalidData, target);

    /// <summary>One problem of a definition, for Test-PipelineDefinition.</summary>
    public static ErrorRecord DefinitionProblem(DefinitionError error, object? target) =>
        new(new DefinitionException([error]), "TestPipelineDefinitionProblem", ErrorCategory.InvalidData, target)
        {
            ErrorDetails = new ErrorDetails(error.ToString()),
        };

    /// <summary>Another run holds every slot of the pipeline.</summary>
    public static ErrorRecord AlreadyRunning(Exception exception, string pipelineId) =>
        new(exception, "InvokePipelineAlreadyRunning", ErrorCategory.ResourceBusy, pipelineId);

    /// <summary>A resume that cannot be done (unknown run, other pipeline, nothing to resume).</summary>
    public static ErrorRecord ResumeInvalid(Exception exception, string runId) =>
        new(exception, "InvokePipelineResumeInvalid", ErrorCategory.InvalidArgument, runId);

    /// <summary>The run store cannot be opened.</summary>
    public static ErrorRecord StateUnavailable(Exception exception, string command, object? target) =>
        new(exception, command + "StateUnavailable", ErrorCategory.ResourceUnavailable, target);

    /// <summary>A step failed for good.</summary>
    public static ErrorRecord StepFailed(string stepId, ErrorKind kind, string message) =>
        new(new StepException(kind, message), "InvokePipelineStepFailed", CategoryOf(kind), stepId);

    /// <summary>A rollback action failed.</summary>
    public static ErrorRecord RollbackFailed(string stepId, ErrorKind kind, string message) =>
        new(new StepException(kind, message), "InvokePipelineRollbackFailed", CategoryOf(kind), stepId);

    /// <summary>A step logged at error level.</summary>
    public static ErrorRecord StepLoggedError(string? stepId, string message) =>
        new(new InvalidOperationException(message), "InvokePipelineStepLoggedError", ErrorCategory.NotSpecified, stepId);

    /// <summary>A bad parameter value that the engine refused.</summary>
    public static ErrorRecord InvalidArgument(Exception exception, string id, object? target) =>
        new(exception, id, ErrorCategory.InvalidArgument, target);

    /// <summary>Something asked for does not exist.</summary>
    public static ErrorRecord NotFound(string message, string id, object? target) =>
        new(new ItemNotFoundException(message), id, ErrorCategory.ObjectNotFound, target);
}
