using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Pipeline.RemoteFs.Smb;

/// <summary>SMB dialect revisions (MS-SMB2 2.2.3).</summary>
internal enum SmbDialect : ushort
{
    Smb202 = 0x0202,
    Smb210 = 0x0210,
    Smb300 = 0x0300,
    Smb302 = 0x0302,
    Smb311 = 0x0311,
}

/// <summary>Encryption ciphers (MS-SMB2 2.2.3.1.2).</summary>
internal enum SmbCipher : ushort
{
    None = 0,
    Aes128Ccm = 1,
    Aes128Gcm = 2,
    Aes256Ccm = 3,
    Aes256Gcm = 4,
}

/// <summary>Signing algorithms (MS-SMB2 2.2.3.1.7).</summary>
internal enum SmbSigningAlgorithm : ushort
{
    HmacSha256 = 0,
    AesCmac = 1,
    AesGmac = 2,
}

/// <summary>
/// The key derivation of SMB 3 (MS-SMB2 3.1.4.2): SP800-108 in counter mode with HMAC-SHA256, one block, where
/// the label and context depend on the dialect (3.1.1 uses the pre-authentication integrity hash as context).
/// </summary>
internal static class SmbKeys
{
    public static byte[] Kdf(ReadOnlySpan<byte> key, ReadOnlySpan<byte> label, ReadOnlySpan<byte> context, int bits = 128)
    {
        var input = new byte[4 + label.Length + 1 + context.Length + 4];
        BinaryPrimitives.WriteUInt32BigEndian(input, 1);
        label.CopyTo(input.AsSpan(4));
        context.CopyTo(input.AsSpan(4 + label.Length + 1));
        BinaryPrimitives.WriteUInt32BigEndian(input.AsSpan(input.Length - 4), (uint)bits);
        return HMACSHA256.HashData(key, input)[..(bits / 8)];
    }

    private static byte[] Z(string text) => Encoding.ASCII.GetBytes(text + "\0");

    /// <summary>The session's signing key and the client-to-server and server-to-client cipher keys.</summary>
    public static (byte[] Signing, byte[] Encrypt, byte[] Decrypt) Derive(SmbDialect dialect, byte[] sessionKey, byte[]? preauthHash, SmbCipher cipher)
    {
        if (dialect < SmbDialect.Smb300)
            return (sessionKey, [], []);
        var bits = cipher is SmbCipher.Aes256Ccm or SmbCipher.Aes256Gcm ? 256 : 128;
        if (dialect == SmbDialect.Smb311)
        {
            var context = preauthHash ?? throw new InvalidOperationException("SMB 3.1.1 needs the pre-authentication integrity hash.");
            return (Kdf(sessionKey, Z("SMBSigningKey"), context),
                Kdf(sessionKey, Z("SMBC2SCipherKey"), context, bits),
                Kdf(sessionKey, Z("SMBS2CCipherKey"), context, bits));
        }
        return (Kdf(sessionKey, Z("SMB2AESCMAC"), Z("SmbSign")),
            Kdf(sessionKey, Z("SMB2AESCCM"), Z("ServerIn ")),
            Kdf(sessionKey, Z("SMB2AESCCM"), Z("ServerOut")));
    }
}

/// <summary>Signs and verifies SMB2 messages with the session's signing key (MS-SMB2 3.1.4.1).</summary>
internal sealed class SmbSigner : IDisposable
{
    private readonly SmbSigningAlgorithm _algorithm;
    private readonly byte[] _key;
    private readonly AesCmac? _cmac;
    private readonly AesGcm? _gmac;

    public SmbSigner(SmbSigningAlgorithm algorithm, byte[] key)
    {
        _algorithm = algorithm;
        _key = key;
        if (algorithm == SmbSigningAlgorithm.AesCmac) _cmac = new AesCmac(key);
        if (algorithm == SmbSigningAlgorithm.AesGmac) _gmac = new AesGcm(key, 16);
    }

    public SmbSigningAlgorithm Algorithm => _algorithm;

    /// <summary>The signature of a message whose signature field (bytes 48..64) is zero.</summary>
    public byte[] Compute(ReadOnlySpan<byte> message)
    {
        switch (_algorithm)
        {
            case SmbSigningAlgorithm.HmacSha256:
                return HMACSHA256.HashData(_key, message)[..16];
            case SmbSigningAlgorithm.AesCmac:
                lock (_cmac!) return _cmac.Compute(message);
            default:
                Span<byte> nonce = stackalloc byte[12];
                nonce.Clear();
                message.Slice(24, 8).CopyTo(nonce); // MessageId
                var flags = BinaryPrimitives.ReadUInt32LittleEndian(message[16..]);
                var command = BinaryPrimitives.ReadUInt16LittleEndian(message[12..]);
                uint role = (flags & SmbHeader.FlagServerToRedirector) != 0 ? 1u : 0u;
                if (command == (ushort)SmbCommand.Cancel) role |= 2;
                BinaryPrimitives.WriteUInt32LittleEndian(nonce[8..], role);
                var tag = new byte[16];
                // Signing (send path) and verifying (receive loop) run at once; AesGcm is not thread-safe.
                lock (_gmac!) _gmac.Encrypt(nonce, ReadOnlySpan<byte>.Empty, Span<byte>.Empty, tag, message);
                return tag;
        }
    }

    /// <summary>Writes the signature into a message and sets the signed flag.</summary>
    public void Sign(Span<byte> message)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(message[16..], BinaryPrimitives.ReadUInt32LittleEndian(message[16..]) | SmbHeader.FlagSigned);
        message.Slice(48, 16).Clear();
        Compute(message).CopyTo(message[48..]);
    }

    /// <summary>Whether a received message's signature verifies. The signature field is zeroed to compute and then
    /// put back, so that the message is not copied (a READ response can be megabytes).</summary>
    public bool Verify(Span<byte> message)
    {
        Span<byte> received = stackalloc byte[16];
        message.Slice(48, 16).CopyTo(received);
        message.Slice(48, 16).Clear();
        var computed = Compute(message);
        received.CopyTo(message[48..]);
        return CryptographicOperations.FixedTimeEquals(computed, received);
    }

    public void Dispose()
    {
        _cmac?.Dispose();
        _gmac?.Dispose();
    }
}

/// <summary>Encrypts and decrypts whole SMB2 messages in a TRANSFORM_HEADER (MS-SMB2 2.2.41, 3.1.4.3).</summary>
internal sealed class SmbEncryptor : IDisposable
{
    public const int TransformHeaderSize = 52;
    private readonly SmbCipher _cipher;
    private readonly AesGcm? _encryptGcm, _decryptGcm;
    private readonly AesCcm? _encryptCcm, _decryptCcm;
    private long _nonceCounter;
    private readonly byte[] _noncePrefix = RandomNumberGenerator.GetBytes(4);

    public SmbEncryptor(SmbCipher cipher, byte[] encryptKey, byte[] decryptKey)
    {
        _cipher = cipher;
        if (IsGcm)
        {
            _encryptGcm = new AesGcm(encryptKey, 16);
            _decryptGcm = new AesGcm(decryptKey, 16);
        }
        else
        {
            _encryptCcm = new AesCcm(encryptKey);
            _decryptCcm = new AesCcm(decryptKey);
        }
    }

    public SmbCipher Cipher => _cipher;
    private bool IsGcm => _cipher is SmbCipher.Aes128Gcm or SmbCipher.Aes256Gcm;
    private int NonceSize => IsGcm ? 12 : 11;

    /// <summary>The size of <paramref name="messageLength"/> bytes in a TRANSFORM_HEADER.</summary>
    public static int EncryptedSize(int messageLength) => TransformHeaderSize + messageLength;

    public byte[] Encrypt(ReadOnlySpan<byte> message, ulong sessionId)
    {
        var output = new byte[EncryptedSize(message.Length)];
        Encrypt(message, sessionId, output);
        return output;
    }

    /// <summary>Encrypts into <paramref name="output"/> (<see cref="EncryptedSize"/> bytes; a pooled buffer).</summary>
    public void Encrypt(ReadOnlySpan<byte> message, ulong sessionId, Span<byte> output)
    {
        var header = output[..TransformHeaderSize];
        header.Clear();
        header[0] = 0xFD; header[1] = (byte)'S'; header[2] = (byte)'M'; header[3] = (byte)'B';
        var nonce = header.Slice(20, NonceSize);
        // A counter under a random prefix: never repeats for one key.
        Span<byte> full = stackalloc byte[12];
        _noncePrefix.CopyTo(full);
        BinaryPrimitives.WriteInt64LittleEndian(full[4..], Interlocked.Increment(ref _nonceCounter));
        full[..NonceSize].CopyTo(nonce); // CCM's 11-byte nonce drops the counter's top byte, never reached
        BinaryPrimitives.WriteUInt32LittleEndian(header[36..], (uint)message.Length);
        BinaryPrimitives.WriteUInt16LittleEndian(header[42..], 1); // Flags (3.1.1) / EncryptionAlgorithm (3.0): encrypted
        BinaryPrimitives.WriteUInt64LittleEndian(header[44..], sessionId);
        var aad = header[20..];
        var tag = header.Slice(4, 16);
        var cipher = output.Slice(TransformHeaderSize, message.Length);
        if (IsGcm) _encryptGcm!.Encrypt(nonce, message, cipher, tag, aad);
        else _encryptCcm!.Encrypt(nonce, message, cipher, tag, aad);
    }

    /// <exception cref="SmbProtocolException">The message is truncated or does not decrypt (tampered or wrong key).</exception>
    public byte[] Decrypt(ReadOnlySpan<byte> frame)
    {
        var copy = frame.ToArray();
        return DecryptInPlace(copy).ToArray();
    }

    /// <summary>Decrypts a TRANSFORM frame where it lies (AES-GCM and AES-CCM take the same buffer for both sides)
    /// and returns the plain message inside it, without a second megabyte per READ response.</summary>
    /// <exception cref="SmbProtocolException">The message is truncated or does not decrypt (tampered or wrong key).</exception>
    public ArraySegment<byte> DecryptInPlace(ArraySegment<byte> frame)
    {
        if (frame.Count < TransformHeaderSize + 64) throw new SmbProtocolException("An encrypted SMB message is truncated.");
        var f = frame.AsSpan();
        var size = BinaryPrimitives.ReadUInt32LittleEndian(f[36..]);
        if (size != frame.Count - TransformHeaderSize) throw new SmbProtocolException("An encrypted SMB message's length does not match its header.");
        var data = f[TransformHeaderSize..];
        try
        {
            // The receive loop is the only decryptor, so the AesGcm/AesCcm instance is never used by two threads at once.
            if (IsGcm) _decryptGcm!.Decrypt(f.Slice(20, 12), data, f.Slice(4, 16), data, f[20..TransformHeaderSize]);
            else _decryptCcm!.Decrypt(f.Slice(20, 11), data, f.Slice(4, 16), data, f[20..TransformHeaderSize]);
        }
        catch (AuthenticationTagMismatchException)
        {
            data.Clear(); // an in-place decryption that fails leaves no unauthenticated plain text behind
            throw new SmbProtocolException("An encrypted SMB message failed its integrity check (tampered, or the wrong key).");
        }
        return frame.Slice(TransformHeaderSize);
    }

    public void Dispose()
    {
        _encryptGcm?.Dispose();
        _decryptGcm?.Dispose();
        _encryptCcm?.Dispose();
        _decryptCcm?.Dispose();
    }
}
