using System.Buffers;
using System.Buffers.Binary;

namespace Pipeline.RemoteFs.Sftp;

/// <summary>One packet received from the server, in a pooled buffer that returns to the pool on dispose.</summary>
internal sealed class SftpResponse : IDisposable
{
    private byte[]? _buffer;
    private readonly int _length;

    /// <param name="buffer">A pooled buffer holding the packet after its length prefix: type, request id, fields.</param>
    /// <param name="length">The packet's length.</param>
    public SftpResponse(byte[] buffer, int length)
    {
        if (length < 5) throw new SftpProtocolException($"A packet of {length} bytes is too short to carry a request id.");
        _buffer = buffer;
        _length = length;
        Type = (SftpPacketType)buffer[0];
        RequestId = BinaryPrimitives.ReadUInt32BigEndian(buffer.AsSpan(1));
    }

    public SftpPacketType Type { get; }

    public uint RequestId { get; }

    /// <summary>The fields after the request id.</summary>
    public ReadOnlySpan<byte> Payload => (_buffer ?? throw new ObjectDisposedException(nameof(SftpResponse))).AsSpan(5, _length - 5);

    public SftpPacketReader Reader() => new(Payload);

    /// <summary>Throws <see cref="SftpStatusException"/> for an error status, and a protocol error for any other
    /// type than <paramref name="expected"/>. A status OK is accepted when <paramref name="expected"/> is Status.</summary>
    public void Expect(SftpPacketType expected)
    {
        if (Type == SftpPacketType.Status)
        {
            var reader = Reader();
            var code = (SftpStatusCode)reader.ReadUInt32();
            if (code == SftpStatusCode.Ok && expected == SftpPacketType.Status) return;
            var message = reader.Remaining >= 4 ? reader.ReadString() : "";
            throw new SftpStatusException(code, message);
        }
        if (Type != expected)
            throw new SftpProtocolException($"The server answered {Type} where {expected} was expected.");
    }

    /// <summary>The handle of a HANDLE response, as raw bytes.</summary>
    public byte[] ReadHandle()
    {
        Expect(SftpPacketType.Handle);
        var reader = Reader();
        return reader.ReadBytes().ToArray();
    }

    public SftpAttributes ReadAttributes()
    {
        Expect(SftpPacketType.Attrs);
        var reader = Reader();
        return reader.ReadAttributes();
    }

    /// <summary>The single name of a NAME response (REALPATH, READLINK).</summary>
    public string ReadSingleName()
    {
        Expect(SftpPacketType.Name);
        var reader = Reader();
        if (reader.ReadUInt32() < 1) throw new SftpProtocolException("The server answered an empty NAME list where one name was expected.");
        return reader.ReadString();
    }

    /// <summary>Returns an answer's buffer to the pool once it is there (disposing an answer twice is harmless).</summary>
    public static void DisposeWhenAnswered(Task<SftpResponse>? answer)
    {
        if (answer is null) return;
        if (answer.IsCompleted)
        {
            if (answer.IsCompletedSuccessfully) answer.Result.Dispose();
            return;
        }
        _ = answer.ContinueWith(static t =>
        {
            if (t.IsCompletedSuccessfully) t.Result.Dispose();
        }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    public void Dispose()
    {
        var buffer = Interlocked.Exchange(ref _buffer, null);
        if (buffer is not null) ArrayPool<byte>.Shared.Return(buffer);
    }
}

/// <summary>The server answered a request with an error status.</summary>
internal sealed class SftpStatusException(SftpStatusCode code, string serverMessage)
    : Exception($"{code}{(string.IsNullOrWhiteSpace(serverMessage) ? "" : ": " + serverMessage)}")
{
    public SftpStatusCode Code { get; } = code;

    public string ServerMessage { get; } = serverMessage;
}

/// <summary>The ssh process or its SFTP session is gone (or never came up); every request on it fails with this.</summary>
internal sealed class SftpChannelException(RemoteErrorKind kind, string message, Exception? inner = null, string? detail = null) : Exception(message, inner)
{
    public RemoteErrorKind Kind { get; } = kind;

    /// <summary>Everything ssh printed on standard error, for finding a host key fingerprint in it.</summary>
    public string Detail { get; } = detail ?? (inner as SftpChannelException)?.Detail ?? "";
}
