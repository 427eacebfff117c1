namespace Pipeline.RemoteFs.Sftp;

/// <summary>Packet types of SFTP version 3 (draft-ietf-secsh-filexfer-02, section 3).</summary>
internal enum SftpPacketType : byte
{
    Init = 1,
    Version = 2,
    Open = 3,
    Close = 4,
    Read = 5,
    Write = 6,
    Lstat = 7,
    Fstat = 8,
    Setstat = 9,
    Fsetstat = 10,
    Opendir = 11,
    Readdir = 12,
    Remove = 13,
    Mkdir = 14,
    Rmdir = 15,
    Realpath = 16,
    Stat = 17,
    Rename = 18,
    Readlink = 19,
    Symlink = 20,
    Status = 101,
    Handle = 102,
    Data = 103,
    Name = 104,
    Attrs = 105,
    Extended = 200,
    ExtendedReply = 201,
}

/// <summary>Status codes of SSH_FXP_STATUS (section 7).</summary>
internal enum SftpStatusCode : uint
{
    Ok = 0,
    Eof = 1,
    NoSuchFile = 2,
    PermissionDenied = 3,
    Failure = 4,
    BadMessage = 5,
    NoConnection = 6,
    ConnectionLost = 7,
    OpUnsupported = 8,
}

/// <summary>Flags of SSH_FXP_OPEN (section 6.3).</summary>
[Flags]
internal enum SftpOpenFlags : uint
{
    Read = 0x01,
    Write = 0x02,
    Append = 0x04,
    Create = 0x08,
    Truncate = 0x10,
    Exclusive = 0x20,
}

/// <summary>Which fields of an attribute block are present (section 5).</summary>
[Flags]
internal enum SftpAttributeFlags : uint
{
    None = 0,
    Size = 0x01,
    UidGid = 0x02,
    Permissions = 0x04,
    AccessModificationTime = 0x08,
    Extended = 0x80000000,
}

/// <summary>Names of the OpenSSH extensions this client uses when the server offers them.</summary>
internal static class SftpExtensions
{
    public const string PosixRename = "posix-rename@openssh.com";
    public const string StatVfs = "statvfs@openssh.com";
    public const string Fsync = "fsync@openssh.com";
    public const string Hardlink = "hardlink@openssh.com";
    public const string Limits = "limits@openssh.com";
    public const string CopyData = "copy-data";
}

/// <summary>The attribute block of SFTP v3: every field is optional, as its flag says.</summary>
internal readonly record struct SftpAttributes(
    SftpAttributeFlags Flags,
    long Size = 0,
    uint Uid = 0,
    uint Gid = 0,
    uint Permissions = 0,
    uint AccessTime = 0,
    uint ModificationTime = 0)
{
    private const uint FileTypeMask = 0xF000;
    private const uint DirectoryType = 0x4000;
    private const uint SymbolicLinkType = 0xA000;
    private const uint RegularType = 0x8000;

    public static SftpAttributes Empty => new(SftpAttributeFlags.None);

    public bool HasPermissions => Flags.HasFlag(SftpAttributeFlags.Permissions);

    public bool IsDirectory => HasPermissions && (Permissions & FileTypeMask) == DirectoryType;

    public bool IsSymbolicLink => HasPermissions && (Permissions & FileTypeMask) == SymbolicLinkType;

    public bool IsRegularFile => HasPermissions && (Permissions & FileTypeMask) == RegularType;

    public DateTimeOffset? LastWriteTime => Flags.HasFlag(SftpAttributeFlags.AccessModificationTime)
        ? DateTimeOffset.FromUnixTimeSeconds(ModificationTime)
        : null;

    public RemoteItem ToItem(string path) => new(path, IsDirectory, IsDirectory ? 0 : Size, LastWriteTime)
    {
        IsSymbolicLink = IsSymbolicLink,
        Permissions = HasPermissions ? (int)(Permissions & 0xFFF) : null,
    };
}

/// <summary>What the server allows per request (limits@openssh.com), or the draft's safe defaults.</summary>
internal sealed record SftpLimits(long MaxPacketLength, long MaxReadLength, long MaxWriteLength, long MaxOpenHandles)
{
    /// <summary>Every v3 server must take packets of 34000 bytes, so 32 KiB of data is always safe.</summary>
    public static SftpLimits Default { get; } = new(34000, 32768, 32768, 0);
}
