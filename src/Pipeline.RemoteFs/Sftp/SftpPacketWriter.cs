using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace Pipeline.RemoteFs.Sftp;

/// <summary>
/// Builds one SFTP packet (uint32 length, byte type, [uint32 request id], fields) in a pooled buffer, big-endian.
/// The request id is filled in by the channel when the packet is sent.
/// </summary>
internal sealed class SftpPacketWriter : IDisposable
{
    private const int RequestIdOffset = 5;
    private byte[] _buffer;
    private int _length;

    public SftpPacketWriter(SftpPacketType type, int capacity = 256)
    {
        _buffer = ArrayPool<byte>.Shared.Rent(Math.Max(capacity, 16));
        _length = 4;
        Type = type;
        WriteByte((byte)type);
        if (type != SftpPacketType.Init)
            WriteUInt32(0); // request id placeholder
    }

    public SftpPacketType Type { get; }

    public void SetRequestId(uint id) => BinaryPrimitives.WriteUInt32BigEndian(_buffer.AsSpan(RequestIdOffset), id);

    public void WriteByte(byte value)
    {
        Ensure(1);
        _buffer[_length++] = value;
    }

    public void WriteUInt32(uint value)
    {
        Ensure(4);
        BinaryPrimitives.WriteUInt32BigEndian(_buffer.AsSpan(_length), value);
        _length += 4;
    }

    public void WriteUInt64(ulong value)
    {
        Ensure(8);
        BinaryPrimitives.WriteUInt64BigEndian(_buffer.AsSpan(_length), value);
        _length += 8;
    }

    public void WriteInt64(long value) => WriteUInt64(checked((ulong)value));

    /// <summary>A string: uint32 length and its UTF-8 bytes.</summary>
    public void WriteString(string value)
    {
        var count = Encoding.UTF8.GetByteCount(value);
        WriteUInt32((uint)count);
        Ensure(count);
        _length += Encoding.UTF8.GetBytes(value, _buffer.AsSpan(_length));
    }

    /// <summary>A string of raw bytes: uint32 length and the bytes.</summary>
    public void WriteBytes(ReadOnlySpan<byte> value)
    {
        WriteUInt32((uint)value.Length);
        Ensure(value.Length);
        value.CopyTo(_buffer.AsSpan(_length));
        _length += value.Length;
    }

    /// <summary>The number of bytes written so far (the length prefix included).</summary>
    public int Length => _length;

    /// <summary>Leaves room for a uint32 filled in later by <see cref="PatchUInt32"/>; returns its position.</summary>
    public int ReserveUInt32()
    {
        WriteUInt32(0);
        return _length - 4;
    }

    public void PatchUInt32(int position, uint value) => BinaryPrimitives.WriteUInt32BigEndian(_buffer.AsSpan(position), value);

    /// <summary>Appends bytes without a length prefix (the data of a WRITE, after a reserved length).</summary>
    public void WriteRaw(ReadOnlySpan<byte> value)
    {
        Ensure(value.Length);
        value.CopyTo(_buffer.AsSpan(_length));
        _length += value.Length;
    }

    public void WriteAttributes(in SftpAttributes attributes)
    {
        var flags = attributes.Flags & ~SftpAttributeFlags.Extended;
        WriteUInt32((uint)flags);
        if (flags.HasFlag(SftpAttributeFlags.Size)) WriteInt64(attributes.Size);
        if (flags.HasFlag(SftpAttributeFlags.UidGid))
        {
            WriteUInt32(attributes.Uid);
            WriteUInt32(attributes.Gid);
        }
        if (flags.HasFlag(SftpAttributeFlags.Permissions)) WriteUInt32(attributes.Permissions);
        if (flags.HasFlag(SftpAttributeFlags.AccessModificationTime))
        {
            WriteUInt32(attributes.AccessTime);
            WriteUInt32(attributes.ModificationTime);
        }
    }

    /// <summary>The finished packet with its length prefix.</summary>
    public ReadOnlyMemory<byte> Complete()
    {
        BinaryPrimitives.WriteUInt32BigEndian(_buffer, (uint)(_length - 4));
        return _buffer.AsMemory(0, _length);
    }

    private void Ensure(int count)
    {
        if (_length + count <= _buffer.Length) return;
        var larger = ArrayPool<byte>.Shared.Rent(Math.Max(_buffer.Length * 2, _length + count));
        _buffer.AsSpan(0, _length).CopyTo(larger);
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = larger;
    }

    public void Dispose()
    {
        var buffer = Interlocked.Exchange(ref _buffer, null!);
        if (buffer is not null) ArrayPool<byte>.Shared.Return(buffer);
    }
}
