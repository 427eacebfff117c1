namespace Pipeline.RemoteFs.Smb;

/// <summary>
/// The few SPNEGO (RFC 4178, MS-SPNG) tokens an NTLM-only client needs, in DER: a NegTokenInit offering NTLMSSP
/// with its first token, NegTokenResp carrying the AUTHENTICATE message and the mechListMIC, and the server's
/// NegTokenResp read back. Kerberos is never offered.
/// </summary>
internal static class Spnego
{
    /// <summary>OID 1.3.6.1.5.5.2 (SPNEGO).</summary>
    private static readonly byte[] SpnegoOid = [0x06, 0x06, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x02];
    /// <summary>OID 1.3.6.1.4.1.311.2.2.10 (NTLMSSP).</summary>
    private static readonly byte[] NtlmOid = [0x06, 0x0a, 0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37, 0x02, 0x02, 0x0a];
    private static readonly byte[] KerberosOids = [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02];

    /// <summary>The DER MechTypeList (SEQUENCE OF OID) this client sends; mechListMIC is computed over it.</summary>
    public static byte[] MechTypeList => Tlv(0x30, NtlmOid);

    public static byte[] InitToken(byte[] ntlmNegotiate)
    {
        var negTokenInit = Tlv(0x30, [.. Tlv(0xa0, MechTypeList), .. Tlv(0xa2, Tlv(0x04, ntlmNegotiate))]);
        return Tlv(0x60, [.. SpnegoOid, .. Tlv(0xa0, negTokenInit)]);
    }

    public static byte[] ResponseToken(byte[] ntlmAuthenticate, byte[]? mechListMic)
    {
        byte[] body = [.. Tlv(0xa2, Tlv(0x04, ntlmAuthenticate)), .. mechListMic is null ? [] : Tlv(0xa3, Tlv(0x04, mechListMic))];
        return Tlv(0xa1, Tlv(0x30, body));
    }

    /// <summary>Whether the server's NegTokenInit (from NEGOTIATE) offers NTLMSSP; an empty one means "try NTLM".</summary>
    public static bool OffersNtlm(ReadOnlySpan<byte> serverInit) =>
        serverInit.Length == 0 || serverInit.IndexOf(NtlmOid.AsSpan(2)) >= 0;

    /// <summary>Whether the server's NegTokenInit offers only Kerberos (for the error message).</summary>
    public static bool OffersKerberos(ReadOnlySpan<byte> serverInit) => serverInit.IndexOf(KerberosOids) >= 0;

    /// <summary>Reads a NegTokenResp: its negState (or -1) and responseToken (or null).</summary>
    /// <exception cref="SmbProtocolException">The token is not DER this parser understands.</exception>
    public static (int State, byte[]? Token) ParseResponse(ReadOnlySpan<byte> token)
    {
        var reader = new Der(token.ToArray());
        var (tag, outer) = reader.Read();
        if (tag == 0x60)
        {
            // A GSS-API wrapped token: skip the OID and unwrap.
            var inner = new Der(outer);
            inner.Read();
            (tag, outer) = inner.Read();
        }
        if (tag != 0xa1) throw new SmbProtocolException($"The server's SPNEGO token has tag 0x{tag:x2}, not a NegTokenResp.");
        var (seqTag, seq) = new Der(outer).Read();
        if (seqTag != 0x30) throw new SmbProtocolException("The server's SPNEGO NegTokenResp is not a SEQUENCE.");
        var fields = new Der(seq);
        int state = -1;
        byte[]? responseToken = null;
        while (!fields.AtEnd)
        {
            var (fieldTag, value) = fields.Read();
            var (innerTag, innerValue) = new Der(value).Read();
            if (fieldTag == 0xa0 && innerTag == 0x0a && innerValue.Length == 1) state = innerValue[0];
            else if (fieldTag == 0xa2 && innerTag == 0x04) responseToken = innerValue;
        }
        return (state, responseToken);
    }

    private static byte[] Tlv(byte tag, byte[] value)
    {
        byte[] length = value.Length switch
        {
            < 0x80 => [(byte)value.Length],
            < 0x100 => [0x81, (byte)value.Length],
            < 0x10000 => [0x82, (byte)(value.Length >> 8), (byte)value.Length],
            _ => [0x83, (byte)(value.Length >> 16), (byte)(value.Length >> 8), (byte)value.Length],
        };
        return [tag, .. length, .. value];
    }

    private sealed class Der(byte[] data)
    {
        private int _position;

        public bool AtEnd => _position >= data.Length;

        public (byte Tag, byte[] Value) Read()
        {
            if (_position + 2 > data.Length) throw new SmbProtocolException("The server's SPNEGO token is truncated.");
            var tag = data[_position++];
            int length = data[_position++];
            if (length >= 0x80)
            {
                var count = length & 0x7f;
                if (count is 0 or > 3 || _position + count > data.Length) throw new SmbProtocolException("The server's SPNEGO token has a bad length.");
                length = 0;
                for (var i = 0; i < count; i++) length = (length << 8) | data[_position++];
            }
            if (_position + length > data.Length) throw new SmbProtocolException("The server's SPNEGO token is truncated.");
            var value = data.AsSpan(_position, length).ToArray();
            _position += length;
            return (tag, value);
        }
    }
}
