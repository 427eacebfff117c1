using Pipeline.Core.Execution;
using Pipeline.RemoteFs;

namespace Pipeline.Core.Steps.Files;

/// <summary>Turns file system failures into classified step failures, so <c>retry_on</c> sees their real kind.</summary>
internal static class FileErrors
{
    /// <summary>Runs a file step's body, classifying what it throws. Cancellation passes through unchanged.</summary>
    public static async Task RunAsync(Func<Task> body)
    {
        try
        {
            await body().ConfigureAwait(false);
        }
        catch (RemoteFsException ex)
        {
            throw new StepException(Classify(ex.Kind), ex.Message, ex);
        }
        catch (UnauthorizedAccessException ex)
        {
            throw new StepException(ErrorKind.Permission, ex.Message, ex);
        }
        catch (IOException ex)
        {
            throw new StepException(ErrorKind.Io, ex.Message, ex);
        }
    }

    /// <summary>The step error kind of a file system error kind.</summary>
    public static ErrorKind Classify(RemoteErrorKind kind) => kind switch
    {
        RemoteErrorKind.Authentication or RemoteErrorKind.HostVerification => ErrorKind.Authentication,
        RemoteErrorKind.NotFound => ErrorKind.NotFound,
        RemoteErrorKind.PermissionDenied => ErrorKind.Permission,
        RemoteErrorKind.Conflict => ErrorKind.Conflict,
        RemoteErrorKind.Transient or RemoteErrorKind.Timeout => ErrorKind.Transient,
        RemoteErrorKind.Protocol => ErrorKind.Protocol,
        RemoteErrorKind.Cancelled => ErrorKind.Cancelled,
        RemoteErrorKind.NotSupported => ErrorKind.Configuration,
        _ => ErrorKind.Io,
    };

    /// <summary>"The source 'x' does not exist."</summary>
    public static StepException NotFound(string what, string display) =>
        new(ErrorKind.NotFound, $"The {what} '{display}' does not exist.");

    /// <summary>"The destination 'x' already exists; set overwrite: true to replace it."</summary>
    public static StepException Exists(string display) =>
        new(ErrorKind.Conflict, $"The destination '{display}' already exists; set overwrite: true to replace it.");
}
