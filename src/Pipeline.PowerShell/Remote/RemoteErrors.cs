using System.Management.Automation;
using Pipeline.RemoteFs;

namespace Pipeline.PowerShell.Remote;

/// <summary>
/// The remote cmdlets' failures as ErrorRecords: ids <c>&lt;Command&gt;&lt;Reason&gt;</c> (for example
/// <c>CopyRemoteItemNotFound</c>) and categories mapped from <see cref="RemoteErrorKind"/>. Messages come from the
/// providers, which redact endpoints; a URI the user typed is never echoed raw.
/// </summary>
internal static class RemoteErrors
{
    /// <summary>The PowerShell category of a remote error kind.</summary>
    public static ErrorCategory CategoryOf(RemoteErrorKind kind) => kind switch
    {
        RemoteErrorKind.Authentication => ErrorCategory.AuthenticationError,
        RemoteErrorKind.NotFound => ErrorCategory.ObjectNotFound,
        RemoteErrorKind.PermissionDenied => ErrorCategory.PermissionDenied,
        RemoteErrorKind.Conflict => ErrorCategory.ResourceExists,
        RemoteErrorKind.Transient => ErrorCategory.ResourceUnavailable,
        RemoteErrorKind.Timeout => ErrorCategory.OperationTimeout,
        RemoteErrorKind.Protocol => ErrorCategory.ProtocolError,
        RemoteErrorKind.Cancelled => ErrorCategory.OperationStopped,
        RemoteErrorKind.NotSupported => ErrorCategory.NotImplemented,
        RemoteErrorKind.Io => ErrorCategory.WriteError,
        RemoteErrorKind.HostVerification => ErrorCategory.SecurityError,
        _ => ErrorCategory.NotSpecified,
    };

    /// <summary>The reason part of an error id for a remote error kind.</summary>
    public static string ReasonOf(RemoteErrorKind kind) => kind switch
    {
        RemoteErrorKind.PermissionDenied => "PermissionDenied",
        RemoteErrorKind.Conflict => "AlreadyExists",
        RemoteErrorKind.HostVerification => "HostNotVerified",
        var other => other.ToString(),
    };

    /// <summary>An ErrorRecord for what a remote operation threw; null for what PowerShell must see unchanged (a
    /// stopping pipeline).</summary>
    public static ErrorRecord? ToErrorRecord(Exception exception, string command, object? target) => exception switch
    {
        PipelineStoppedException or ActionPreferenceStopException => null,
        RemoteFsException remote => new ErrorRecord(remote, command + ReasonOf(remote.Kind), CategoryOf(remote.Kind), target),
        FormatException format => new ErrorRecord(format, command + "InvalidUri", ErrorCategory.InvalidArgument, target),
        ArgumentException argument => new ErrorRecord(argument, command + "InvalidArgument", ErrorCategory.InvalidArgument, target),
        OperationCanceledException cancelled => new ErrorRecord(cancelled, command + "Cancelled", ErrorCategory.OperationStopped, target),
        UnauthorizedAccessException denied => new ErrorRecord(denied, command + "PermissionDenied", ErrorCategory.PermissionDenied, target),
        IOException io => new ErrorRecord(io, command + "Io", ErrorCategory.WriteError, target),
        AggregateException { InnerExceptions.Count: 1 } aggregate => ToErrorRecord(aggregate.InnerException!, command, target),
        _ => null,
    };

    /// <summary>A problem with what the user asked for (a directory without -Recurse, a root to delete).</summary>
    public static ErrorRecord Invalid(string message, string command, string reason, object? target) =>
        new(new InvalidOperationException(message), command + reason, ErrorCategory.InvalidOperation, target);

    /// <summary>Something asked for that does not exist.</summary>
    public static ErrorRecord NotFound(string message, string command, object? target) =>
        new(new ItemNotFoundException(message), command + "NotFound", ErrorCategory.ObjectNotFound, target);
}
