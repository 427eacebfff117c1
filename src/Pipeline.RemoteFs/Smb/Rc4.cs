namespace Pipeline.RemoteFs.Smb;

/// <summary>RC4, needed by NTLM for the key exchange and the SPNEGO mechListMIC seal; .NET does not ship it.
/// A cipher state that keeps its position across calls, as NTLM's sealing handle does.</summary>
internal sealed class Rc4
{
    private readonly byte[] _s = new byte[256];
    private int _i, _j;

    public Rc4(ReadOnlySpan<byte> key)
    {
        for (var i = 0; i < 256; i++) _s[i] = (byte)i;
        for (int i = 0, j = 0; i < 256; i++)
        {
            j = (j + _s[i] + key[i % key.Length]) & 0xff;
            (_s[i], _s[j]) = (_s[j], _s[i]);
        }
    }

    public void Transform(Span<byte> data)
    {
        for (var k = 0; k < data.Length; k++)
        {
            _i = (_i + 1) & 0xff;
            _j = (_j + _s[_i]) & 0xff;
            (_s[_i], _s[_j]) = (_s[_j], _s[_i]);
            data[k] ^= _s[(_s[_i] + _s[_j]) & 0xff];
        }
    }

    public static byte[] Apply(ReadOnlySpan<byte> key, ReadOnlySpan<byte> data)
    {
        var result = data.ToArray();
        new Rc4(key).Transform(result);
        return result;
    }
}
