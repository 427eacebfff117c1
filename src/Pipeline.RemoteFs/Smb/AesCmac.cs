using System.Security.Cryptography;

namespace Pipeline.RemoteFs.Smb;

/// <summary>AES-CMAC (RFC 4493) over .NET's AES in ECB mode: the SMB 3.0 and 3.0.2 signature.</summary>
internal sealed class AesCmac : IDisposable
{
    private readonly Aes _aes;
    private readonly byte[] _k1 = new byte[16], _k2 = new byte[16];

    public AesCmac(ReadOnlySpan<byte> key)
    {
        _aes = Aes.Create();
        _aes.Key = key.ToArray();
        var l = _aes.EncryptEcb(new byte[16], PaddingMode.None);
        Shift(l, _k1);
        Shift(_k1, _k2);
    }

    private static void Shift(ReadOnlySpan<byte> input, Span<byte> output)
    {
        var carry = 0;
        for (var i = 15; i >= 0; i--)
        {
            var b = input[i];
            output[i] = (byte)((b << 1) | carry);
            carry = b >> 7;
        }
        if ((input[0] & 0x80) != 0) output[15] ^= 0x87;
    }

    /// <summary>The 16-byte MAC of <paramref name="message"/>.</summary>
    public byte[] Compute(ReadOnlySpan<byte> message)
    {
        var blocks = Math.Max(1, (message.Length + 15) / 16);
        var complete = message.Length > 0 && message.Length % 16 == 0;
        Span<byte> x = stackalloc byte[16];
        Span<byte> y = stackalloc byte[16];
        x.Clear();
        for (var b = 0; b < blocks - 1; b++)
        {
            for (var i = 0; i < 16; i++) y[i] = (byte)(x[i] ^ message[b * 16 + i]);
            _aes.EncryptEcb(y, x, PaddingMode.None);
        }
        Span<byte> last = stackalloc byte[16];
        last.Clear();
        var tail = message[((blocks - 1) * 16)..];
        tail.CopyTo(last);
        if (complete)
        {
            for (var i = 0; i < 16; i++) last[i] ^= _k1[i];
        }
        else
        {
            last[tail.Length] = 0x80;
            for (var i = 0; i < 16; i++) last[i] ^= _k2[i];
        }
        for (var i = 0; i < 16; i++) y[i] = (byte)(x[i] ^ last[i]);
        var mac = new byte[16];
        _aes.EncryptEcb(y, mac, PaddingMode.None);
        return mac;
    }

    public void Dispose() => _aes.Dispose();
}
