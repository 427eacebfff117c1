using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Pipeline.RemoteFs.Smb;

/// <summary>NTLM negotiate flags this client uses (MS-NLMP 2.2.2.5).</summary>
[Flags]
internal enum NtlmFlags : uint
{
    Unicode = 0x1,
    RequestTarget = 0x4,
    Sign = 0x10,
    Seal = 0x20,
    Ntlm = 0x200,
    Anonymous = 0x800,
    AlwaysSign = 0x8000,
    ExtendedSessionSecurity = 0x80000,
    TargetInfo = 0x800000,
    Version = 0x2000000,
    Use128 = 0x20000000,
    KeyExchange = 0x40000000,
    Use56 = 0x80000000,
}

/// <summary>
/// The client side of NTLMv2 (MS-NLMP): NEGOTIATE, then AUTHENTICATE in answer to the server's CHALLENGE, with
/// key exchange (an RC4-encrypted random session key) and the MIC over all three messages. The session key it
/// yields is SMB's session key. NTLMv1 and LM are never offered.
/// </summary>
internal sealed class NtlmClient
{
    private const uint MsvAvEol = 0, MsvAvTimestamp = 7, MsvAvFlags = 6;
    private static readonly byte[] Signature = "NTLMSSP\0"u8.ToArray();

    private readonly string _user, _domain, _password, _workstation;
    private byte[]? _negotiate;

    public NtlmClient(string user, string domain, string password, string workstation = "")
    {
        _user = user;
        _domain = domain;
        _password = password;
        _workstation = workstation;
    }

    public const NtlmFlags ClientFlags = NtlmFlags.Unicode | NtlmFlags.RequestTarget | NtlmFlags.Sign | NtlmFlags.Seal |
        NtlmFlags.Ntlm | NtlmFlags.AlwaysSign | NtlmFlags.ExtendedSessionSecurity | NtlmFlags.TargetInfo |
        NtlmFlags.Version | NtlmFlags.Use128 | NtlmFlags.KeyExchange | NtlmFlags.Use56;

    /// <summary>The key both sides hold after AUTHENTICATE (ExportedSessionKey).</summary>
    public byte[]? SessionKey { get; private set; }

    /// <summary>The flags agreed in the CHALLENGE.</summary>
    public NtlmFlags NegotiatedFlags { get; private set; }

    /// <summary>Overrides for tests (MS-NLMP 4.2.4 uses fixed values): client challenge, time, random session key.</summary>
    internal byte[]? FixedClientChallenge { get; init; }
    internal long? FixedTime { get; init; }
    internal byte[]? FixedRandomSessionKey { get; init; }

    public byte[] CreateNegotiate()
    {
        var m = new byte[40];
        Signature.CopyTo(m, 0);
        BinaryPrimitives.WriteUInt32LittleEndian(m.AsSpan(8), 1);
        BinaryPrimitives.WriteUInt32LittleEndian(m.AsSpan(12), (uint)ClientFlags);
        // Domain and workstation fields empty (offsets point at the end); version 10.0, NTLM revision 15.
        BinaryPrimitives.WriteUInt32LittleEndian(m.AsSpan(20), 40);
        BinaryPrimitives.WriteUInt32LittleEndian(m.AsSpan(28), 40);
        WriteVersion(m.AsSpan(32));
        _negotiate = m;
        return m;
    }

    private static void WriteVersion(Span<byte> span)
    {
        span[0] = 10;
        span[1] = 0;
        span[7] = 15;
    }

    /// <summary>Answers a CHALLENGE_MESSAGE with an AUTHENTICATE_MESSAGE, and sets <see cref="SessionKey"/>.</summary>
    /// <exception cref="SmbProtocolException">The challenge is malformed or offers no NTLMv2 session security.</exception>
    public byte[] CreateAuthenticate(ReadOnlySpan<byte> challenge)
    {
        if (challenge.Length < 32 || !challenge[..8].SequenceEqual(Signature) || BinaryPrimitives.ReadUInt32LittleEndian(challenge[8..]) != 2)
            throw new SmbProtocolException("The server's NTLM CHALLENGE message is malformed.");
        var flags = (NtlmFlags)BinaryPrimitives.ReadUInt32LittleEndian(challenge[20..]);
        var serverChallenge = challenge.Slice(24, 8).ToArray();
        byte[] targetInfo = [];
        if (challenge.Length >= 48)
        {
            int len = BinaryPrimitives.ReadUInt16LittleEndian(challenge[40..]);
            var off = (int)BinaryPrimitives.ReadUInt32LittleEndian(challenge[44..]);
            if (len > 0)
            {
                if (off < 0 || off + len > challenge.Length)
                    throw new SmbProtocolException("The server's NTLM CHALLENGE message has a target info field outside the message.");
                targetInfo = challenge.Slice(off, len).ToArray();
            }
        }
        NegotiatedFlags = flags & ClientFlags;
        var timestamp = FindAv(targetInfo, MsvAvTimestamp);
        var time = FixedTime ?? (timestamp is { Length: 8 } ? BinaryPrimitives.ReadInt64LittleEndian(timestamp) : DateTime.UtcNow.ToFileTimeUtc());
        var clientChallenge = FixedClientChallenge ?? RandomNumberGenerator.GetBytes(8);
        var withMic = timestamp is not null && FixedTime is null;
        var avPairs = withMic ? AddMicFlag(targetInfo) : targetInfo;

        var responseKey = NtowfV2(_password, _user, _domain);
        var (ntResponse, sessionBaseKey) = ComputeNtlmV2Response(responseKey, serverChallenge, clientChallenge, time, avPairs);
        // With a timestamp in the target info the LM response is all zeroes (MS-NLMP 3.1.5.1.2).
        var lmResponse = withMic ? new byte[24] : ComputeLmV2Response(responseKey, serverChallenge, clientChallenge);

        byte[] encryptedKey = [];
        var exported = sessionBaseKey;
        if ((NegotiatedFlags & NtlmFlags.KeyExchange) != 0)
        {
            exported = FixedRandomSessionKey ?? RandomNumberGenerator.GetBytes(16);
            encryptedKey = Rc4.Apply(sessionBaseKey, exported);
        }
        SessionKey = exported;

        var domain = Encoding.Unicode.GetBytes(_domain);
        var user = Encoding.Unicode.GetBytes(_user);
        var workstation = Encoding.Unicode.GetBytes(_workstation);
        const int header = 88;
        var m = new byte[header + lmResponse.Length + ntResponse.Length + domain.Length + user.Length + workstation.Length + encryptedKey.Length];
        Signature.CopyTo(m, 0);
        BinaryPrimitives.WriteUInt32LittleEndian(m.AsSpan(8), 3);
        var offset = header;
        void Field(int at, byte[] value)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(m.AsSpan(at), (ushort)value.Length);
            BinaryPrimitives.WriteUInt16LittleEndian(m.AsSpan(at + 2), (ushort)value.Length);
            BinaryPrimitives.WriteUInt32LittleEndian(m.AsSpan(at + 4), (uint)offset);
            value.CopyTo(m, offset);
            offset += value.Length;
        }
        Field(12, lmResponse);
        Field(20, ntResponse);
        Field(28, domain);
        Field(36, user);
        Field(44, workstation);
        Field(52, encryptedKey);
        BinaryPrimitives.WriteUInt32LittleEndian(m.AsSpan(60), (uint)NegotiatedFlags);
        WriteVersion(m.AsSpan(64));
        if (withMic && _negotiate is not null)
        {
            using var hmac = new HMACMD5(exported);
            hmac.TransformBlock(_negotiate, 0, _negotiate.Length, null, 0);
            var challengeBytes = challenge.ToArray();
            hmac.TransformBlock(challengeBytes, 0, challengeBytes.Length, null, 0);
            hmac.TransformFinalBlock(m, 0, m.Length);
            hmac.Hash!.CopyTo(m, 72);
        }
        return m;
    }

    /// <summary>NTOWFv2: HMAC-MD5 under MD4(UTF-16 password) of the upper-cased user and the domain.</summary>
    public static byte[] NtowfV2(string password, string user, string domain) =>
        HMACMD5.HashData(Md4.Hash(Encoding.Unicode.GetBytes(password)), Encoding.Unicode.GetBytes(user.ToUpperInvariant() + domain));

    /// <summary>The NTLMv2 response (NTProofStr followed by the client's blob) and the session base key.</summary>
    public static (byte[] Response, byte[] SessionBaseKey) ComputeNtlmV2Response(byte[] responseKeyNt, byte[] serverChallenge, byte[] clientChallenge, long time, byte[] avPairs)
    {
        var temp = new byte[28 + avPairs.Length + 4];
        temp[0] = 1;
        temp[1] = 1;
        BinaryPrimitives.WriteInt64LittleEndian(temp.AsSpan(8), time);
        clientChallenge.CopyTo(temp, 16);
        avPairs.CopyTo(temp, 28);
        var proof = HMACMD5.HashData(responseKeyNt, (byte[])[.. serverChallenge, .. temp]);
        return ([.. proof, .. temp], HMACMD5.HashData(responseKeyNt, proof));
    }

    /// <summary>The LMv2 response: HMAC-MD5 of both challenges, then the client challenge.</summary>
    public static byte[] ComputeLmV2Response(byte[] responseKeyLm, byte[] serverChallenge, byte[] clientChallenge) =>
        [.. HMACMD5.HashData(responseKeyLm, (byte[])[.. serverChallenge, .. clientChallenge]), .. clientChallenge];

    private static byte[]? FindAv(byte[] pairs, uint id)
    {
        for (var i = 0; i + 4 <= pairs.Length;)
        {
            var avId = BinaryPrimitives.ReadUInt16LittleEndian(pairs.AsSpan(i));
            var len = BinaryPrimitives.ReadUInt16LittleEndian(pairs.AsSpan(i + 2));
            if (avId == MsvAvEol || i + 4 + len > pairs.Length) return null;
            if (avId == id) return pairs.AsSpan(i + 4, len).ToArray();
            i += 4 + len;
        }
        return null;
    }

    /// <summary>The target info with MsvAvFlags saying that a MIC is present (bit 0x2), before the terminator.</summary>
    private static byte[] AddMicFlag(byte[] pairs)
    {
        using var result = new MemoryStream();
        var flagsWritten = false;
        for (var i = 0; i + 4 <= pairs.Length;)
        {
            var avId = BinaryPrimitives.ReadUInt16LittleEndian(pairs.AsSpan(i));
            var len = BinaryPrimitives.ReadUInt16LittleEndian(pairs.AsSpan(i + 2));
            if (avId == MsvAvEol || i + 4 + len > pairs.Length) break;
            if (avId == MsvAvFlags && len == 4)
            {
                var existing = BinaryPrimitives.ReadUInt32LittleEndian(pairs.AsSpan(i + 4));
                var pair = new byte[8];
                BinaryPrimitives.WriteUInt16LittleEndian(pair, (ushort)MsvAvFlags);
                BinaryPrimitives.WriteUInt16LittleEndian(pair.AsSpan(2), 4);
                BinaryPrimitives.WriteUInt32LittleEndian(pair.AsSpan(4), existing | 2);
                result.Write(pair);
                flagsWritten = true;
            }
            else
            {
                result.Write(pairs, i, 4 + len);
            }
            i += 4 + len;
        }
        if (!flagsWritten)
            result.Write([(byte)MsvAvFlags, 0, 4, 0, 2, 0, 0, 0]);
        result.Write([0, 0, 0, 0]);
        return result.ToArray();
    }

    /// <summary>
    /// The NTLM signature of <paramref name="message"/> with sequence number 0, as SPNEGO's mechListMIC needs it
    /// (MS-NLMP 3.4.4.2, extended session security with key exchange: the checksum sealed with RC4).
    /// </summary>
    public byte[] SignMechList(ReadOnlySpan<byte> message)
    {
        var key = SessionKey ?? throw new InvalidOperationException("NTLM has not authenticated yet.");
        var signKey = MD5.HashData([.. key, .. "session key to client-to-server signing key magic constant\0"u8]);
        var sealKey = MD5.HashData([.. key, .. "session key to client-to-server sealing key magic constant\0"u8]);
        var checksum = HMACMD5.HashData(signKey, (byte[])[0, 0, 0, 0, .. message])[..8];
        if ((NegotiatedFlags & NtlmFlags.KeyExchange) != 0)
            new Rc4(sealKey).Transform(checksum);
        return [1, 0, 0, 0, .. checksum, 0, 0, 0, 0];
    }
}
