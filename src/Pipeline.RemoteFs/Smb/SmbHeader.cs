using System.Buffers.Binary;

namespace Pipeline.RemoteFs.Smb;

/// <summary>SMB2 commands (MS-SMB2 2.2.1).</summary>
internal enum SmbCommand : ushort
{
    Negotiate = 0,
    SessionSetup = 1,
    Logoff = 2,
    TreeConnect = 3,
    TreeDisconnect = 4,
    Create = 5,
    Close = 6,
    Flush = 7,
    Read = 8,
    Write = 9,
    Lock = 10,
    Ioctl = 11,
    Cancel = 12,
    Echo = 13,
    QueryDirectory = 14,
    ChangeNotify = 15,
    QueryInfo = 16,
    SetInfo = 17,
    OplockBreak = 18,
}

/// <summary>The 64-byte SMB2 header (MS-SMB2 2.2.1.2, the synchronous form) and its constants.</summary>
internal static class SmbHeader
{
    public const int Size = 64;
    public const uint FlagServerToRedirector = 0x1;
    public const uint FlagAsync = 0x2;
    public const uint FlagRelated = 0x4;
    public const uint FlagSigned = 0x8;

    public static void Write(Span<byte> h, SmbCommand command, ushort creditCharge, ushort creditRequest, ulong messageId, uint treeId, ulong sessionId)
    {
        h[..Size].Clear();
        h[0] = 0xFE; h[1] = (byte)'S'; h[2] = (byte)'M'; h[3] = (byte)'B';
        BinaryPrimitives.WriteUInt16LittleEndian(h[4..], Size);
        BinaryPrimitives.WriteUInt16LittleEndian(h[6..], creditCharge);
        BinaryPrimitives.WriteUInt16LittleEndian(h[12..], (ushort)command);
        BinaryPrimitives.WriteUInt16LittleEndian(h[14..], creditRequest);
        BinaryPrimitives.WriteUInt64LittleEndian(h[24..], messageId);
        BinaryPrimitives.WriteUInt32LittleEndian(h[36..], treeId);
        BinaryPrimitives.WriteUInt64LittleEndian(h[40..], sessionId);
    }
}

/// <summary>A response: its header fields and its body (everything after the header).</summary>
internal sealed class SmbResponse
{
    public required uint Status { get; init; }
    public required SmbCommand Command { get; init; }
    public required ushort CreditsGranted { get; init; }
    public required uint Flags { get; init; }
    public required ulong MessageId { get; init; }
    public required ulong AsyncId { get; init; }
    public required ulong SessionId { get; init; }
    public required uint TreeId { get; init; }
    /// <summary>The whole message (header and body), for the pre-authentication hash and the signature; it may lie
    /// inside a larger frame (a compound, a decrypted TRANSFORM, a pooled buffer).</summary>
    public required ArraySegment<byte> Message { get; init; }

    /// <summary>The pooled array (from <see cref="System.Buffers.ArrayPool{T}.Shared"/>) under <see cref="Message"/>
    /// when this response is its only user, or null. Whoever consumes the response last may give it back with
    /// <see cref="ReturnBuffer"/>; a response nobody returns is simply collected.</summary>
    private byte[]? _rented;

    public ReadOnlySpan<byte> Body => Message.AsSpan(SmbHeader.Size);

    /// <summary>Whether the message lies in a pooled buffer that <see cref="ReturnBuffer"/> gives back.</summary>
    public bool IsPooled => Volatile.Read(ref _rented) is not null;

    /// <summary>Gives a pooled buffer back (once; later calls do nothing). The message must not be read afterwards.</summary>
    public void ReturnBuffer()
    {
        if (Interlocked.Exchange(ref _rented, null) is { } rented) System.Buffers.ArrayPool<byte>.Shared.Return(rented);
    }

    public static SmbResponse Parse(ArraySegment<byte> message, byte[]? rented = null)
    {
        if (message.Count < SmbHeader.Size + 2 || message[0] != 0xFE || message[1] != 'S' || message[2] != 'M' || message[3] != 'B')
            throw new SmbProtocolException($"The server sent a message that is not SMB2 ({message.Count} bytes).");
        var flags = BinaryPrimitives.ReadUInt32LittleEndian(message.AsSpan(16));
        var isAsync = (flags & SmbHeader.FlagAsync) != 0;
        return new SmbResponse
        {
            Status = BinaryPrimitives.ReadUInt32LittleEndian(message.AsSpan(8)),
            Command = (SmbCommand)BinaryPrimitives.ReadUInt16LittleEndian(message.AsSpan(12)),
            CreditsGranted = BinaryPrimitives.ReadUInt16LittleEndian(message.AsSpan(14)),
            Flags = flags,
            MessageId = BinaryPrimitives.ReadUInt64LittleEndian(message.AsSpan(24)),
            AsyncId = isAsync ? BinaryPrimitives.ReadUInt64LittleEndian(message.AsSpan(32)) : 0,
            TreeId = isAsync ? 0 : BinaryPrimitives.ReadUInt32LittleEndian(message.AsSpan(36)),
            SessionId = BinaryPrimitives.ReadUInt64LittleEndian(message.AsSpan(40)),
            Message = message,
            _rented = rented,
        };
    }

    /// <summary>A field of the body that lies within the message, or a protocol error naming it.</summary>
    public ReadOnlySpan<byte> Slice(int offsetFromHeader, int length, string what)
    {
        if (length == 0) return [];
        if (offsetFromHeader < SmbHeader.Size || length < 0 || (long)offsetFromHeader + length > Message.Count)
            throw new SmbProtocolException($"The server's {Command} response has its {what} outside the message.");
        return Message.AsSpan(offsetFromHeader, length);
    }

    /// <summary>Checks that the body is at least <paramref name="length"/> bytes.</summary>
    public void Require(int length)
    {
        if (Message.Count - SmbHeader.Size < length)
            throw new SmbProtocolException($"The server's {Command} response is truncated ({Message.Count - SmbHeader.Size} bytes of body, {length} needed).");
    }
}
