namespace Pipeline.RemoteFs.Smb;

/// <summary>The NTSTATUS codes this client acts on (MS-ERREF 2.3.1).</summary>
internal static class SmbStatus
{
    public const uint Success = 0x00000000;
    public const uint Pending = 0x00000103;
    public const uint NotifyEnumDir = 0x0000010C;
    public const uint BufferOverflow = 0x80000005;
    public const uint NoMoreFiles = 0x80000006;
    public const uint InvalidParameter = 0xC000000D;
    public const uint NoSuchFile = 0xC000000F;
    public const uint EndOfFile = 0xC0000011;
    public const uint MoreProcessingRequired = 0xC0000016;
    public const uint AccessDenied = 0xC0000022;
    public const uint ObjectNameInvalid = 0xC0000033;
    public const uint ObjectNameNotFound = 0xC0000034;
    public const uint ObjectNameCollision = 0xC0000035;
    public const uint ObjectPathInvalid = 0xC0000039;
    public const uint ObjectPathNotFound = 0xC000003A;
    public const uint ObjectPathSyntaxBad = 0xC000003B;
    public const uint SharingViolation = 0xC0000043;
    public const uint DeletePending = 0xC0000056;
    public const uint PrivilegeNotHeld = 0xC0000061;
    public const uint WrongPassword = 0xC000006A;
    public const uint LogonFailure = 0xC000006D;
    public const uint AccountRestriction = 0xC000006E;
    public const uint PasswordExpired = 0xC0000071;
    public const uint AccountDisabled = 0xC0000072;
    public const uint InsufficientResources = 0xC000009A;
    public const uint DiskFull = 0xC000007F;
    public const uint FileIsADirectory = 0xC00000BA;
    public const uint NotSupported = 0xC00000BB;
    public const uint NetworkNameDeleted = 0xC00000C9;
    public const uint BadNetworkName = 0xC00000CC;
    public const uint RequestNotAccepted = 0xC00000D0;
    public const uint DirectoryNotEmpty = 0xC0000101;
    public const uint NotADirectory = 0xC0000103;
    public const uint Cancelled = 0xC0000120;
    public const uint FileClosed = 0xC0000128;
    public const uint UserSessionDeleted = 0xC0000203;
    public const uint NetworkSessionExpired = 0xC000035C;
    public const uint AccountLockedOut = 0xC0000234;
    public const uint NotFound = 0xC0000225;
    public const uint IoTimeout = 0xC00000B5;
    public const uint FileNotAvailable = 0xC0000467;
    public const uint AccessDeniedAuth = 0xC0000199;
    public const uint NetworkAccessDenied = 0xC00000CA;
    public const uint ObjectTypeMismatch = 0xC0000024;
    public const uint LockNotGranted = 0xC0000055;
    public const uint FileLockConflict = 0xC0000054;

    /// <summary>The kind of failure a status means for the caller.</summary>
    public static RemoteErrorKind Kind(uint status) => status switch
    {
        LogonFailure or WrongPassword or AccountRestriction or PasswordExpired or AccountDisabled or AccountLockedOut => RemoteErrorKind.Authentication,
        ObjectNameNotFound or ObjectPathNotFound or NoSuchFile or BadNetworkName or NotFound or DeletePending => RemoteErrorKind.NotFound,
        AccessDenied or NetworkAccessDenied or PrivilegeNotHeld => RemoteErrorKind.PermissionDenied,
        SharingViolation or ObjectNameCollision or DirectoryNotEmpty or FileIsADirectory or NotADirectory or FileLockConflict or LockNotGranted => RemoteErrorKind.Conflict,
        InsufficientResources or RequestNotAccepted or NetworkNameDeleted or UserSessionDeleted or NetworkSessionExpired or FileNotAvailable => RemoteErrorKind.Transient,
        IoTimeout => RemoteErrorKind.Timeout,
        Cancelled => RemoteErrorKind.Cancelled,
        NotSupported => RemoteErrorKind.NotSupported,
        DiskFull => RemoteErrorKind.Io,
        ObjectNameInvalid or ObjectPathInvalid or ObjectPathSyntaxBad or InvalidParameter => RemoteErrorKind.Protocol,
        _ => RemoteErrorKind.Io,
    };

    /// <summary>A short English name for a status, for messages.</summary>
    public static string Name(uint status) => status switch
    {
        LogonFailure => "STATUS_LOGON_FAILURE (wrong user name or password)",
        WrongPassword => "STATUS_WRONG_PASSWORD",
        AccountDisabled => "STATUS_ACCOUNT_DISABLED",
        AccountLockedOut => "STATUS_ACCOUNT_LOCKED_OUT",
        PasswordExpired => "STATUS_PASSWORD_EXPIRED",
        ObjectNameNotFound => "STATUS_OBJECT_NAME_NOT_FOUND",
        ObjectPathNotFound => "STATUS_OBJECT_PATH_NOT_FOUND",
        NoSuchFile => "STATUS_NO_SUCH_FILE",
        BadNetworkName => "STATUS_BAD_NETWORK_NAME (no such share)",
        AccessDenied => "STATUS_ACCESS_DENIED",
        NetworkAccessDenied => "STATUS_NETWORK_ACCESS_DENIED",
        SharingViolation => "STATUS_SHARING_VIOLATION (another client has the file open)",
        ObjectNameCollision => "STATUS_OBJECT_NAME_COLLISION (the name already exists)",
        DirectoryNotEmpty => "STATUS_DIRECTORY_NOT_EMPTY",
        FileIsADirectory => "STATUS_FILE_IS_A_DIRECTORY",
        NotADirectory => "STATUS_NOT_A_DIRECTORY",
        DeletePending => "STATUS_DELETE_PENDING",
        DiskFull => "STATUS_DISK_FULL",
        ObjectNameInvalid => "STATUS_OBJECT_NAME_INVALID",
        NotSupported => "STATUS_NOT_SUPPORTED",
        InvalidParameter => "STATUS_INVALID_PARAMETER",
        UserSessionDeleted => "STATUS_USER_SESSION_DELETED",
        NetworkNameDeleted => "STATUS_NETWORK_NAME_DELETED",
        _ => $"NTSTATUS 0x{status:X8}",
    };
}

/// <summary>The server broke the protocol: a malformed, truncated or unverifiable message.</summary>
internal sealed class SmbProtocolException(string message) : Exception(message);

/// <summary>The server answered a request with an error status.</summary>
internal sealed class SmbStatusException(uint status, string command, string? detail = null)
    : Exception($"{command} failed: {SmbStatus.Name(status)}{(detail is null ? "" : "; " + detail)}")
{
    public uint Status { get; } = status;
    public string Command { get; } = command;
    /// <summary>What the client knows beyond the status, for the message.</summary>
    public string? Detail { get; } = detail;
}

/// <summary>The connection dropped, timed out or was closed; nothing more can be sent on it.</summary>
internal sealed class SmbConnectionException(string message, Exception? inner = null, bool timeout = false) : Exception(message, inner)
{
    public bool IsTimeout { get; } = timeout;
}

/// <summary>Turns SMB failures into the interface's typed errors.</summary>
internal static class SmbErrors
{
    public static RemoteFsException Map(Exception ex, string operation, string? path, RemoteEndpoint endpoint) => ex switch
    {
        RemoteFsException remote => remote,
        SmbStatusException status => new RemoteFsException(SmbStatus.Kind(status.Status),
            $"{operation} failed: {SmbStatus.Name(status.Status)}{(status.Detail is null ? "" : "; " + status.Detail)}", path, endpoint, ex),
        SmbProtocolException => new RemoteFsException(RemoteErrorKind.Protocol, $"{operation} failed: {ex.Message}", path, endpoint, ex),
        SmbConnectionException { IsTimeout: true } => new RemoteFsException(RemoteErrorKind.Timeout, $"{operation} failed: {ex.Message}", path, endpoint, ex),
        SmbConnectionException => new RemoteFsException(RemoteErrorKind.Transient, $"{operation} failed: {ex.Message}", path, endpoint, ex),
        System.Net.Sockets.SocketException { SocketErrorCode: System.Net.Sockets.SocketError.HostNotFound or System.Net.Sockets.SocketError.NoData } =>
            new RemoteFsException(RemoteErrorKind.NotFound, $"{operation} failed: the host name could not be resolved", path, endpoint, ex),
        System.Net.Sockets.SocketException or IOException or ObjectDisposedException =>
            new RemoteFsException(RemoteErrorKind.Transient, $"{operation} failed: the connection to the server was lost ({ex.Message})", path, endpoint, ex),
        _ => new RemoteFsException(RemoteErrorKind.Protocol, $"{operation} failed: {ex.Message}", path, endpoint, ex),
    };
}
