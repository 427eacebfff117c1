using System.Buffers.Binary;
using System.Text;

namespace Pipeline.RemoteFs.Sftp;

/// <summary>Reads the big-endian fields of one SFTP packet; running past its end is a protocol error.</summary>
internal ref struct SftpPacketReader
{
    private readonly ReadOnlySpan<byte> _data;
    private int _position;

    public SftpPacketReader(ReadOnlySpan<byte> data)
    {
        _data = data;
        _position = 0;
    }

    public readonly int Remaining => _data.Length - _position;

    public byte ReadByte() => Take(1)[0];

    public uint ReadUInt32() => BinaryPrimitives.ReadUInt32BigEndian(Take(4));

    public ulong ReadUInt64() => BinaryPrimitives.ReadUInt64BigEndian(Take(8));

    public ReadOnlySpan<byte> ReadBytes()
    {
        var length = ReadUInt32();
        if (length > (uint)Remaining)
            throw new SftpProtocolException($"A string of {length} bytes runs past the end of its packet ({Remaining} bytes left).");
        return Take((int)length);
    }

    /// <summary>A UTF-8 string; invalid bytes become U+FFFD (file names from the server are raw bytes).</summary>
    public string ReadString() => Encoding.UTF8.GetString(ReadBytes());

    public SftpAttributes ReadAttributes()
    {
        var flags = (SftpAttributeFlags)ReadUInt32();
        long size = 0;
        uint uid = 0, gid = 0, permissions = 0, atime = 0, mtime = 0;
        if (flags.HasFlag(SftpAttributeFlags.Size)) size = (long)ReadUInt64();
        if (flags.HasFlag(SftpAttributeFlags.UidGid))
        {
            uid = ReadUInt32();
            gid = ReadUInt32();
        }
        if (flags.HasFlag(SftpAttributeFlags.Permissions)) permissions = ReadUInt32();
        if (flags.HasFlag(SftpAttributeFlags.AccessModificationTime))
        {
            atime = ReadUInt32();
            mtime = ReadUInt32();
        }
        if (flags.HasFlag(SftpAttributeFlags.Extended))
        {
            var count = ReadUInt32();
            for (var i = 0; i < count; i++)
            {
                ReadBytes();
                ReadBytes();
            }
        }
        return new SftpAttributes(flags, size, uid, gid, permissions, atime, mtime);
    }

    private ReadOnlySpan<byte> Take(int count)
    {
        if (count > Remaining)
            throw new SftpProtocolException($"The packet ended early: {count} bytes wanted at offset {_position}, {Remaining} left.");
        var span = _data.Slice(_position, count);
        _position += count;
        return span;
    }
}

/// <summary>The server sent a packet this client cannot parse.</summary>
internal sealed class SftpProtocolException(string message) : Exception(message);
