using System.Buffers.Binary;
using System.Text;

namespace Pipeline.RemoteFs.Smb;

/// <summary>An open handle's identity (persistent and volatile parts, 16 bytes).</summary>
internal readonly record struct SmbFileId(ulong Persistent, ulong Volatile)
{
    /// <summary>The handle that the CREATE earlier in the same related compound opened (MS-SMB2 3.2.4.1.4).</summary>
    public static readonly SmbFileId Related = new(ulong.MaxValue, ulong.MaxValue);

    public void Write(Span<byte> span)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(span, Persistent);
        BinaryPrimitives.WriteUInt64LittleEndian(span[8..], Volatile);
    }

    public static SmbFileId Read(ReadOnlySpan<byte> span) =>
        new(BinaryPrimitives.ReadUInt64LittleEndian(span), BinaryPrimitives.ReadUInt64LittleEndian(span[8..]));
}

/// <summary>What a CREATE (or a directory entry) says about a file.</summary>
internal sealed record SmbFileInfo(bool IsDirectory, long Length, DateTimeOffset? LastWriteTime, uint Attributes);

/// <summary>An open file or directory on one connection.</summary>
internal sealed record SmbHandle(SmbConnection Connection, SmbFileId Id, SmbFileInfo Info)
{
    /// <summary>The handle a CREATE earlier in the same related compound opens, for the requests after it.</summary>
    public static SmbHandle Related(SmbConnection connection) => new(connection, SmbFileId.Related, new SmbFileInfo(false, 0, null, 0));
}

/// <summary>The data of one READ. When <see cref="Owner"/> is set, the data lies in that response's pooled buffer:
/// <see cref="Release"/> gives it back once the data has been used (never earlier, and never twice).</summary>
internal readonly record struct SmbReadChunk(ArraySegment<byte> Data, SmbResponse? Owner)
{
    public void Release() => Owner?.ReturnBuffer();
}

/// <summary>Access rights, share modes, dispositions and options of CREATE (MS-SMB2 2.2.13, MS-FSCC).</summary>
internal static class SmbAccess
{
    public const uint ReadData = 0x1, WriteData = 0x2, AppendData = 0x4, ReadEa = 0x8, ReadAttributes = 0x80, WriteAttributes = 0x100;
    public const uint Delete = 0x10000, ReadControl = 0x20000, Synchronize = 0x100000;
    public const uint Read = ReadData | ReadEa | ReadAttributes | ReadControl | Synchronize;
    public const uint Write = WriteData | AppendData | WriteAttributes | Synchronize;
    public const uint ShareRead = 1, ShareWrite = 2, ShareDelete = 4, ShareAll = 7;
    public const uint Supersede = 0, Open = 1, Create = 2, OpenIf = 3, Overwrite = 4, OverwriteIf = 5;
    public const uint DirectoryFile = 0x1, NonDirectoryFile = 0x40, DeleteOnClose = 0x1000, OpenReparsePoint = 0x200000;
    public const uint AttributeDirectory = 0x10, AttributeNormal = 0x80;
}

/// <summary>The file commands of SMB2 over one connection: CREATE, CLOSE, READ, WRITE, FLUSH, QUERY_DIRECTORY,
/// QUERY_INFO, SET_INFO and the copy-chunk IOCTLs. Paths are share-relative and '/'-separated.</summary>
internal static class SmbFiles
{
    private const ulong FileTimeUnixEpoch = 116444736000000000;

    /// <summary>A share path ('/a/b') as SMB wants it ('a\b').</summary>
    public static string ToSmbName(string path) => path.Trim('/').Replace('/', '\\');

    public static DateTimeOffset? FromFileTime(long value) =>
        value <= 0 || value >= DateTime.MaxValue.ToFileTimeUtc() ? null : DateTimeOffset.FromFileTime(value).ToUniversalTime();

    public static async Task<SmbHandle> CreateAsync(this SmbConnection c, string path, uint access, uint disposition, uint options, CancellationToken cancellationToken, uint share = SmbAccess.ShareAll, uint attributes = 0)
    {
        var response = await c.SendAsync(SmbCommand.Create, CreateRequest(path, access, disposition, options, share, attributes), 0, cancellationToken).ConfigureAwait(false);
        return ParseCreate(c, response);
    }

    /// <summary>A CREATE request (alone, or first in a related compound).</summary>
    public static byte[] CreateRequest(string path, uint access, uint disposition, uint options, uint share = SmbAccess.ShareAll, uint attributes = 0)
    {
        var name = Encoding.Unicode.GetBytes(ToSmbName(path));
        var request = SmbConnection.NewRequest(56 + Math.Max(name.Length, 8));
        var b = request.AsSpan(SmbHeader.Size);
        BinaryPrimitives.WriteUInt16LittleEndian(b, 57);
        BinaryPrimitives.WriteUInt32LittleEndian(b[4..], 2); // impersonation
        BinaryPrimitives.WriteUInt32LittleEndian(b[24..], access);
        BinaryPrimitives.WriteUInt32LittleEndian(b[28..], attributes);
        BinaryPrimitives.WriteUInt32LittleEndian(b[32..], share);
        BinaryPrimitives.WriteUInt32LittleEndian(b[36..], disposition);
        BinaryPrimitives.WriteUInt32LittleEndian(b[40..], options);
        BinaryPrimitives.WriteUInt16LittleEndian(b[44..], SmbHeader.Size + 56);
        BinaryPrimitives.WriteUInt16LittleEndian(b[46..], (ushort)name.Length);
        name.CopyTo(b[56..]);
        return request;
    }

    /// <summary>The handle a successful CREATE response opened.</summary>
    public static SmbHandle ParseCreate(SmbConnection c, SmbResponse response)
    {
        response.Require(88);
        var r = response.Body;
        var attributesOut = BinaryPrimitives.ReadUInt32LittleEndian(r[56..]);
        var info = new SmbFileInfo((attributesOut & SmbAccess.AttributeDirectory) != 0,
            BinaryPrimitives.ReadInt64LittleEndian(r[48..]),
            FromFileTime(BinaryPrimitives.ReadInt64LittleEndian(r[24..])), attributesOut);
        return new SmbHandle(c, SmbFileId.Read(r[64..]), info);
    }

    /// <summary>
    /// CREATE and CLOSE in one compound: what a path is (or a failure status), in one round trip. Failing statuses
    /// are thrown as <see cref="SmbStatusException"/>.
    /// </summary>
    public static async Task<SmbFileInfo> OpenAndCloseAsync(this SmbConnection c, string path, uint access, uint disposition, uint options, CancellationToken cancellationToken)
    {
        var related = SmbHandle.Related(c);
        var responses = await c.SendCompoundAsync(
            [new SmbCompoundPart(SmbCommand.Create, CreateRequest(path, access, disposition, options)),
             new SmbCompoundPart(SmbCommand.Close, CloseRequest(related), Accept: _ => true)], cancellationToken).ConfigureAwait(false);
        return ParseCreate(c, responses[0]).Info;
    }

    public static async Task CloseAsync(this SmbHandle handle, CancellationToken cancellationToken)
    {
        var request = SmbConnection.NewRequest(24);
        BinaryPrimitives.WriteUInt16LittleEndian(request.AsSpan(SmbHeader.Size), 24);
        handle.Id.Write(request.AsSpan(SmbHeader.Size + 8));
        await handle.Connection.SendAsync(SmbCommand.Close, request, 0, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Closes a handle when its connection still lives, ignoring failures (cleanup after another error).</summary>
    public static async Task CloseQuietlyAsync(this SmbHandle handle)
    {
        if (handle.Connection.IsBroken) return;
        try
        {
            using var quick = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await handle.CloseAsync(quick.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is SmbConnectionException or SmbStatusException or SmbProtocolException or OperationCanceledException)
        {
        }
    }

    public static async Task FlushAsync(this SmbHandle handle, CancellationToken cancellationToken) =>
        await handle.Connection.SendAsync(SmbCommand.Flush, FlushRequest(handle), 0, cancellationToken).ConfigureAwait(false);

    /// <summary>A FLUSH request (for a compound).</summary>
    public static byte[] FlushRequest(SmbHandle handle)
    {
        var request = SmbConnection.NewRequest(24);
        BinaryPrimitives.WriteUInt16LittleEndian(request.AsSpan(SmbHeader.Size), 24);
        handle.Id.Write(request.AsSpan(SmbHeader.Size + 8));
        return request;
    }

    /// <summary>A CLOSE request (for a compound).</summary>
    public static byte[] CloseRequest(SmbHandle handle)
    {
        var request = SmbConnection.NewRequest(24);
        BinaryPrimitives.WriteUInt16LittleEndian(request.AsSpan(SmbHeader.Size), 24);
        handle.Id.Write(request.AsSpan(SmbHeader.Size + 8));
        return request;
    }

    /// <summary>A SET_INFO FileRenameInformation request (for a compound).</summary>
    public static byte[] RenameRequest(SmbHandle handle, string path, bool replace)
    {
        var name = Encoding.Unicode.GetBytes(ToSmbName(path));
        var value = new byte[20 + name.Length];
        value[0] = (byte)(replace ? 1 : 0);
        BinaryPrimitives.WriteInt32LittleEndian(value.AsSpan(16), name.Length);
        name.CopyTo(value, 20);
        var request = SmbConnection.NewRequest(32 + value.Length);
        var b = request.AsSpan(SmbHeader.Size);
        BinaryPrimitives.WriteUInt16LittleEndian(b, 33);
        b[2] = 1;
        b[3] = 10;
        BinaryPrimitives.WriteInt32LittleEndian(b[4..], value.Length);
        BinaryPrimitives.WriteUInt16LittleEndian(b[8..], SmbHeader.Size + 32);
        handle.Id.Write(b[16..]);
        value.CopyTo(b[32..]);
        return request;
    }

    /// <summary>READ: up to <paramref name="length"/> bytes at <paramref name="offset"/>; an empty chunk at the end of
    /// the file. The chunk's data may lie in a pooled buffer: <see cref="SmbReadChunk.Release"/> gives it back.</summary>
    public static async Task<SmbReadChunk> ReadAsync(this SmbHandle handle, long offset, int length, CancellationToken cancellationToken)
    {
        var response = await handle.Connection.SendAsync(SmbCommand.Read, ReadRequest(handle, offset, length), length, cancellationToken, s => s == SmbStatus.EndOfFile).ConfigureAwait(false);
        try
        {
            var data = ParseRead(response, length);
            if (data.Count == 0) response.ReturnBuffer();
            return new SmbReadChunk(data, data.Count == 0 ? null : response);
        }
        catch
        {
            response.ReturnBuffer();
            throw;
        }
    }

    /// <summary>A READ request (for a compound).</summary>
    public static byte[] ReadRequest(SmbHandle handle, long offset, int length)
    {
        var request = SmbConnection.NewRequest(49);
        var b = request.AsSpan(SmbHeader.Size);
        BinaryPrimitives.WriteUInt16LittleEndian(b, 49);
        b[2] = 0x50;
        BinaryPrimitives.WriteInt32LittleEndian(b[4..], length);
        BinaryPrimitives.WriteInt64LittleEndian(b[8..], offset);
        handle.Id.Write(b[16..]);
        return request;
    }

    /// <summary>The data of a READ response that succeeded or reached the end of the file (empty).</summary>
    public static ArraySegment<byte> ParseRead(SmbResponse response, int length)
    {
        if (response.Status == SmbStatus.EndOfFile) return ArraySegment<byte>.Empty;
        response.Require(16);
        var dataOffset = response.Body[2];
        var dataLength = BinaryPrimitives.ReadInt32LittleEndian(response.Body[4..]);
        if (dataLength > length) throw new SmbProtocolException($"The server returned {dataLength} bytes for a READ of {length}.");
        response.Slice(dataOffset, dataLength, "data");
        return response.Message.Slice(dataOffset, dataLength);
    }

    /// <summary>Where a WRITE request's data starts: a buffer from <see cref="RentWriteRequest"/> is filled from here.</summary>
    public const int WriteDataOffset = SmbHeader.Size + 48;

    /// <summary>A pooled buffer for a WRITE request of up to <paramref name="dataLength"/> bytes, to be filled from
    /// <see cref="WriteDataOffset"/> and sent by <see cref="WriteAsync(SmbHandle, long, byte[], int, CancellationToken)"/>
    /// without another copy; the caller returns it to <see cref="System.Buffers.ArrayPool{T}.Shared"/> once that
    /// has completed (whether it succeeded or not).</summary>
    public static byte[] RentWriteRequest(int dataLength) => System.Buffers.ArrayPool<byte>.Shared.Rent(WriteDataOffset + dataLength);

    /// <summary>WRITE of the whole of <paramref name="data"/> at <paramref name="offset"/> (the bytes are copied
    /// into a pooled request first).</summary>
    public static async Task WriteAsync(this SmbHandle handle, long offset, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        var request = RentWriteRequest(data.Length);
        try
        {
            data.Span.CopyTo(request.AsSpan(WriteDataOffset));
            await handle.WriteAsync(offset, request, data.Length, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(request);
        }
    }

    /// <summary>WRITE of the <paramref name="length"/> bytes that <paramref name="request"/> (from
    /// <see cref="RentWriteRequest"/>) holds from <see cref="WriteDataOffset"/>. The request is in use until this
    /// task completes.</summary>
    public static async Task WriteAsync(this SmbHandle handle, long offset, byte[] request, int length, CancellationToken cancellationToken)
    {
        FillWriteRequest(handle, offset, request, length);
        var response = await handle.Connection.SendAsync(SmbCommand.Write, new ArraySegment<byte>(request, 0, WriteDataOffset + length), length, cancellationToken).ConfigureAwait(false);
        CheckWritten(response, length);
    }

    /// <summary>A WRITE request (for a compound).</summary>
    public static byte[] WriteRequest(SmbHandle handle, long offset, ReadOnlySpan<byte> data)
    {
        var request = SmbConnection.NewRequest(48 + data.Length);
        data.CopyTo(request.AsSpan(WriteDataOffset));
        FillWriteRequest(handle, offset, request, data.Length);
        return request;
    }

    private static void FillWriteRequest(SmbHandle handle, long offset, byte[] request, int length)
    {
        var b = request.AsSpan(SmbHeader.Size, 48);
        b.Clear();
        BinaryPrimitives.WriteUInt16LittleEndian(b, 49);
        BinaryPrimitives.WriteUInt16LittleEndian(b[2..], WriteDataOffset);
        BinaryPrimitives.WriteInt32LittleEndian(b[4..], length);
        BinaryPrimitives.WriteInt64LittleEndian(b[8..], offset);
        handle.Id.Write(b[16..]);
    }

    /// <summary>Fails unless a successful WRITE response counts every byte sent.</summary>
    public static void CheckWritten(SmbResponse response, int length)
    {
        response.Require(16);
        var count = BinaryPrimitives.ReadInt32LittleEndian(response.Body[4..]);
        if (count != length) throw new SmbStatusException(SmbStatus.DiskFull, "Write", $"the server wrote {count} of {length} bytes");
    }

    /// <summary>QUERY_DIRECTORY with FileDirectoryInformation until STATUS_NO_MORE_FILES; the pattern may hold * and ?.</summary>
    public static async Task<List<(string Name, SmbFileInfo Info)>> ListAsync(this SmbHandle directory, string pattern, CancellationToken cancellationToken)
    {
        var entries = new List<(string, SmbFileInfo)>();
        var name = Encoding.Unicode.GetBytes(pattern);
        var outputLength = Math.Min(directory.Connection.MaxTransactSize, 1024 * 1024);
        var first = true;
        while (true)
        {
            var request = SmbConnection.NewRequest(32 + name.Length);
            var b = request.AsSpan(SmbHeader.Size);
            BinaryPrimitives.WriteUInt16LittleEndian(b, 33);
            b[2] = 1; // FileDirectoryInformation
            b[3] = (byte)(first ? 1 : 0); // SMB2_RESTART_SCANS
            directory.Id.Write(b[8..]);
            BinaryPrimitives.WriteUInt16LittleEndian(b[24..], SmbHeader.Size + 32);
            BinaryPrimitives.WriteUInt16LittleEndian(b[26..], (ushort)name.Length);
            BinaryPrimitives.WriteInt32LittleEndian(b[28..], outputLength);
            name.CopyTo(b[32..]);
            first = false;
            var response = await directory.Connection.SendAsync(SmbCommand.QueryDirectory, request, outputLength, cancellationToken,
                s => s is SmbStatus.NoMoreFiles or SmbStatus.NoSuchFile).ConfigureAwait(false);
            if (response.Status != SmbStatus.Success) return entries;
            response.Require(8);
            var buffer = response.Slice(BinaryPrimitives.ReadUInt16LittleEndian(response.Body[2..]), BinaryPrimitives.ReadInt32LittleEndian(response.Body[4..]), "directory entries");
            var offset = 0;
            while (true)
            {
                if (offset + 64 > buffer.Length) throw new SmbProtocolException("The server's QUERY_DIRECTORY response has a truncated entry.");
                var e = buffer[offset..];
                var next = BinaryPrimitives.ReadInt32LittleEndian(e);
                var nameLength = BinaryPrimitives.ReadInt32LittleEndian(e[60..]);
                if (nameLength < 0 || 64 + nameLength > e.Length || (next != 0 && next < 64 + nameLength))
                    throw new SmbProtocolException("The server's QUERY_DIRECTORY response has an entry whose name lies outside it.");
                var entryName = Encoding.Unicode.GetString(e.Slice(64, nameLength));
                var attributes = BinaryPrimitives.ReadUInt32LittleEndian(e[56..]);
                if (entryName is not ("." or ".."))
                {
                    entries.Add((entryName, new SmbFileInfo((attributes & SmbAccess.AttributeDirectory) != 0,
                        BinaryPrimitives.ReadInt64LittleEndian(e[40..]), FromFileTime(BinaryPrimitives.ReadInt64LittleEndian(e[24..])), attributes)));
                }
                if (next == 0) break;
                offset += next;
            }
        }
    }

    public static async Task SetInfoAsync(this SmbHandle handle, byte infoClass, byte[] value, CancellationToken cancellationToken)
    {
        var request = SmbConnection.NewRequest(32 + value.Length);
        var b = request.AsSpan(SmbHeader.Size);
        BinaryPrimitives.WriteUInt16LittleEndian(b, 33);
        b[2] = 1; // SMB2_0_INFO_FILE
        b[3] = infoClass;
        BinaryPrimitives.WriteInt32LittleEndian(b[4..], value.Length);
        BinaryPrimitives.WriteUInt16LittleEndian(b[8..], SmbHeader.Size + 32);
        handle.Id.Write(b[16..]);
        value.CopyTo(b[32..]);
        await handle.Connection.SendAsync(SmbCommand.SetInfo, request, value.Length, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>QUERY_INFO of a file information class; returns the output buffer.</summary>
    public static async Task<byte[]> QueryInfoAsync(this SmbHandle handle, byte infoClass, int outputLength, CancellationToken cancellationToken)
    {
        var request = SmbConnection.NewRequest(41);
        var b = request.AsSpan(SmbHeader.Size);
        BinaryPrimitives.WriteUInt16LittleEndian(b, 41);
        b[2] = 1;
        b[3] = infoClass;
        BinaryPrimitives.WriteInt32LittleEndian(b[4..], outputLength);
        handle.Id.Write(b[24..]);
        var response = await handle.Connection.SendAsync(SmbCommand.QueryInfo, request, outputLength, cancellationToken).ConfigureAwait(false);
        response.Require(8);
        return response.Slice(BinaryPrimitives.ReadUInt16LittleEndian(response.Body[2..]), BinaryPrimitives.ReadInt32LittleEndian(response.Body[4..]), "information").ToArray();
    }

    /// <summary>Renames the open file to <paramref name="path"/> (FileRenameInformation).</summary>
    public static Task RenameAsync(this SmbHandle handle, string path, bool replace, CancellationToken cancellationToken)
    {
        var name = Encoding.Unicode.GetBytes(ToSmbName(path));
        var value = new byte[20 + name.Length];
        value[0] = (byte)(replace ? 1 : 0);
        BinaryPrimitives.WriteInt32LittleEndian(value.AsSpan(16), name.Length);
        name.CopyTo(value, 20);
        return handle.SetInfoAsync(10, value, cancellationToken);
    }

    /// <summary>Marks the open file for deletion on close (FileDispositionInformation).</summary>
    public static Task DeleteOnCloseAsync(this SmbHandle handle, CancellationToken cancellationToken) =>
        handle.SetInfoAsync(13, [1], cancellationToken);

    /// <summary>Sets the end of file (FileEndOfFileInformation).</summary>
    public static Task SetLengthAsync(this SmbHandle handle, long length, CancellationToken cancellationToken)
    {
        var value = new byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(value, length);
        return handle.SetInfoAsync(20, value, cancellationToken);
    }

    /// <summary>Sets the last write time (FileBasicInformation; zero leaves the other times alone).</summary>
    public static Task SetLastWriteTimeAsync(this SmbHandle handle, DateTimeOffset time, CancellationToken cancellationToken)
    {
        var value = new byte[40];
        BinaryPrimitives.WriteInt64LittleEndian(value.AsSpan(16), time.ToFileTime());
        return handle.SetInfoAsync(4, value, cancellationToken);
    }

    /// <summary>IOCTL with an FSCTL code; returns the output buffer.</summary>
    public static async Task<byte[]> IoctlAsync(this SmbHandle handle, uint code, byte[] input, int maxOutput, CancellationToken cancellationToken, Func<uint, bool>? accept = null)
    {
        var request = SmbConnection.NewRequest(56 + input.Length);
        var b = request.AsSpan(SmbHeader.Size);
        BinaryPrimitives.WriteUInt16LittleEndian(b, 57);
        BinaryPrimitives.WriteUInt32LittleEndian(b[4..], code);
        handle.Id.Write(b[8..]);
        BinaryPrimitives.WriteInt32LittleEndian(b[24..], input.Length == 0 ? 0 : SmbHeader.Size + 56);
        BinaryPrimitives.WriteInt32LittleEndian(b[28..], input.Length);
        BinaryPrimitives.WriteInt32LittleEndian(b[44..], maxOutput);
        BinaryPrimitives.WriteUInt32LittleEndian(b[48..], 1); // SMB2_0_IOCTL_IS_FSCTL
        input.CopyTo(b[56..]);
        var response = await handle.Connection.SendAsync(SmbCommand.Ioctl, request, Math.Max(input.Length, maxOutput), cancellationToken, accept).ConfigureAwait(false);
        if (response.Body.Length < 48) return [];
        return response.Slice(BinaryPrimitives.ReadInt32LittleEndian(response.Body[32..]), BinaryPrimitives.ReadInt32LittleEndian(response.Body[36..]), "IOCTL output").ToArray();
    }
}
