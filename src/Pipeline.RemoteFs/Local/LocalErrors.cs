namespace Pipeline.RemoteFs.Local;

/// <summary>Maps .NET I/O exceptions to typed remote errors.</summary>
internal static class LocalErrors
{
    private const int DiskFullWindows = unchecked((int)0x80070070);
    private const int DiskFullHandleWindows = unchecked((int)0x80070027);
    private const int DiskFullUnix = 28; // ENOSPC

    public static RemoteFsException Map(Exception ex, string path) => ex switch
    {
        RemoteFsException remote => remote,
        FileNotFoundException or DirectoryNotFoundException => new RemoteFsException(RemoteErrorKind.NotFound, "Not found", path, innerException: ex),
        UnauthorizedAccessException => new RemoteFsException(RemoteErrorKind.PermissionDenied, "Permission denied", path, innerException: ex),
        IOException io when IsDiskFull(io) => new RemoteFsException(RemoteErrorKind.Io, "The disk is full", path, innerException: ex),
        IOException io => new RemoteFsException(RemoteErrorKind.Io, io.Message, path, innerException: ex),
        _ => new RemoteFsException(RemoteErrorKind.Io, ex.Message, path, innerException: ex),
    };

    public static bool IsDiskFull(IOException io) =>
        io.HResult is DiskFullWindows or DiskFullHandleWindows or DiskFullUnix ||
        (io.HResult & 0xFFFF) == DiskFullUnix && io.Message.Contains("space", StringComparison.OrdinalIgnoreCase);

    public static Task Run(string path, Action action)
    {
        try
        {
            action();
            return Task.CompletedTask;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw Map(ex, path);
        }
    }
}
