using System.Security.Cryptography;
using Pipeline.RemoteFs.Smb;

namespace Pipeline.RemoteFs.Tests.Smb;

/// <summary>AES-CMAC against RFC 4493, the SP800-108 key derivation and SMB signing/encryption round trips.</summary>
public sealed class SmbCryptoTests
{
    private static byte[] Hex(string hex) => Convert.FromHexString(hex.Replace(" ", ""));

    private static readonly byte[] RfcKey = Hex("2b7e1516 28aed2a6 abf71588 09cf4f3c");
    private static readonly byte[] RfcMessage = Hex(
        "6bc1bee2 2e409f96 e93d7e11 7393172a ae2d8a57 1e03ac9c 9eb76fac 45af8e51 30c81c46 a35ce411 e5fbc119 1a0a52ef f69f2445 df4f9b17 ad2b417b e66c3710");

    [Theory]
    [InlineData(0, "bb1d6929 e9593728 7fa37d12 9b756746")]
    [InlineData(16, "070a16b4 6b4d4144 f79bdd9d d04a287c")]
    [InlineData(40, "dfa66747 de9ae630 30ca3261 1497c827")]
    [InlineData(64, "51f0bebf 7e3b9d92 fc497417 79363cfe")]
    public void AES_CMAC_matches_RFC_4493_examples(int length, string mac)
    {
        using var cmac = new AesCmac(RfcKey);
        Assert.Equal(Hex(mac), cmac.Compute(RfcMessage.AsSpan(0, length)));
    }

    [Fact]
    public void KDF_is_SP800_108_counter_mode_with_the_SMB_3_0_label_and_context()
    {
        var key = Hex("726d4c454e63516446695457664e5042");
        var expected = HMACSHA256.HashData(key, (byte[])[0, 0, 0, 1, .. "SMB2AESCMAC\0"u8, 0, .. "SmbSign\0"u8, 0, 0, 0, 128])[..16];
        Assert.Equal(expected, SmbKeys.Derive(SmbDialect.Smb300, key, null, SmbCipher.None).Signing);
        Assert.Equal(32, SmbKeys.Derive(SmbDialect.Smb311, key, new byte[64], SmbCipher.Aes256Gcm).Encrypt.Length);
        Assert.Equal(key, SmbKeys.Derive(SmbDialect.Smb210, key, null, SmbCipher.None).Signing);
    }

    [Fact]
    public void SMB_3_0_signature_matches_a_captured_session_setup()
    {
        // A SESSION_SETUP request captured by the go-smb project with its session key and AES-CMAC signature.
        var sessionKey = Hex("726d4c454e63516446695457664e5042");
        var packet = Hex("fe534d42400001000000000001007f00090000000000000003000000000000000000000000000000020000007bfba3f4000000000000000000000000000000000900000048000900a1073005a0030a0100");
        using var signer = new SmbSigner(SmbSigningAlgorithm.AesCmac, SmbKeys.Derive(SmbDialect.Smb300, sessionKey, null, SmbCipher.None).Signing);
        signer.Sign(packet);
        Assert.Equal(Hex("041393e756a048c9092c4e52dc703719"), packet[48..64]);
        Assert.True(signer.Verify(packet));
        packet[70] ^= 1;
        Assert.False(signer.Verify(packet));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    public void A_tampered_message_fails_verification(int algorithmId)
    {
        var algorithm = (SmbSigningAlgorithm)algorithmId;
        using var signer = new SmbSigner(algorithm, RandomNumberGenerator.GetBytes(16));
        var message = new byte[100];
        message[0] = 0xFE;
        signer.Sign(message);
        Assert.True(signer.Verify(message));
        message[99] ^= 0x40;
        Assert.False(signer.Verify(message));
    }

    [Theory]
    [InlineData(1, 16)]
    [InlineData(2, 16)]
    [InlineData(3, 32)]
    [InlineData(4, 32)]
    public void Encrypted_messages_decrypt_with_the_peer_key_and_refuse_tampering(int cipherId, int keyLength)
    {
        var cipher = (SmbCipher)cipherId;
        var c2s = RandomNumberGenerator.GetBytes(keyLength);
        var s2c = RandomNumberGenerator.GetBytes(keyLength);
        using var client = new SmbEncryptor(cipher, c2s, s2c);
        using var server = new SmbEncryptor(cipher, s2c, c2s);
        var message = RandomNumberGenerator.GetBytes(200);
        var frame = client.Encrypt(message, 42);
        Assert.Equal(message, server.Decrypt(frame));
        frame[^1] ^= 1;
        Assert.Throws<SmbProtocolException>(() => server.Decrypt(frame));
        Assert.Throws<SmbProtocolException>(() => server.Decrypt(frame.AsSpan(0, 60)));
    }
}
