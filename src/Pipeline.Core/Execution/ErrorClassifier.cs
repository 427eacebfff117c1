using System.Net.Sockets;
using Pipeline.Core.Templates;
using Pipeline.RemoteFs;
using Polly.Timeout;

namespace Pipeline.Core.Execution;

/// <summary>Decides the <see cref="ErrorKind"/> of an exception thrown by a step.</summary>
public static class ErrorClassifier
{
    /// <summary>The kind of a failure.</summary>
    public static ErrorKind Classify(Exception exception) => exception switch
    {
        StepException step => step.Kind,
        RemoteFsException remote => remote.Kind switch
        {
            RemoteErrorKind.Authentication => ErrorKind.Authentication,
            RemoteErrorKind.NotFound => ErrorKind.NotFound,
            RemoteErrorKind.PermissionDenied => ErrorKind.Permission,
            RemoteErrorKind.Conflict => ErrorKind.Conflict,
            RemoteErrorKind.Transient => ErrorKind.Transient,
            RemoteErrorKind.Timeout => ErrorKind.Timeout,
            RemoteErrorKind.Protocol => ErrorKind.Protocol,
            RemoteErrorKind.Cancelled => ErrorKind.Cancelled,
            RemoteErrorKind.NotSupported => ErrorKind.Configuration,
            RemoteErrorKind.HostVerification => ErrorKind.Authentication,
            _ => ErrorKind.Io,
        },
        TimeoutRejectedException or TimeoutException => ErrorKind.Timeout,
        OperationCanceledException => ErrorKind.Cancelled,
        TemplateException or FormatException => ErrorKind.Configuration,
        UnauthorizedAccessException => ErrorKind.Permission,
        FileNotFoundException or DirectoryNotFoundException => ErrorKind.NotFound,
        SocketException or HttpRequestException => ErrorKind.Transient,
        IOException => ErrorKind.Io,
        AggregateException { InnerExceptions.Count: 1 } aggregate => Classify(aggregate.InnerExceptions[0]),
        _ => ErrorKind.Unknown,
    };
}
