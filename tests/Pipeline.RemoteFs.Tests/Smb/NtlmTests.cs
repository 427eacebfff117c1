using System.Text;
using Pipeline.RemoteFs.Smb;

namespace Pipeline.RemoteFs.Tests.Smb;

/// <summary>NTLMv2 against the worked example of MS-NLMP 4.2.4 (user "User", domain "Domain", password "Password").</summary>
public sealed class NtlmTests
{
    private static byte[] Hex(string hex) => Convert.FromHexString(hex.Replace(" ", ""));

    private static readonly byte[] ServerChallenge = Hex("01 23 45 67 89 ab cd ef");
    private static readonly byte[] ClientChallenge = Hex("aa aa aa aa aa aa aa aa");
    private static readonly byte[] RandomSessionKey = Hex("55 55 55 55 55 55 55 55 55 55 55 55 55 55 55 55");
    // MsvAvNbDomainName "Domain", MsvAvNbComputerName "Server", MsvAvEOL (MS-NLMP 4.2.4.3).
    private static readonly byte[] TargetInfo = Hex("02 00 0c 00 44 00 6f 00 6d 00 61 00 69 00 6e 00 01 00 0c 00 53 00 65 00 72 00 76 00 65 00 72 00 00 00 00 00");

    [Fact]
    public void Md4_matches_the_RFC_1320_test_suite()
    {
        Assert.Equal("31d6cfe0d16ae931b73c59d7e0c089c0", Convert.ToHexStringLower(Md4.Hash([])));
        Assert.Equal("a448017aaf21d8525fc10ae87aa6729d", Convert.ToHexStringLower(Md4.Hash("abc"u8)));
        Assert.Equal("e33b4ddc9c38f2199c3e7b164fcc0536",
            Convert.ToHexStringLower(Md4.Hash("12345678901234567890123456789012345678901234567890123456789012345678901234567890"u8)));
    }

    [Fact]
    public void NT_hash_of_Password_matches_MS_NLMP_4_2_2_1_2()
    {
        Assert.Equal(Hex("a4 f4 9c 40 65 10 bd ca b6 82 4e e7 c3 0f d8 52"), Md4.Hash(Encoding.Unicode.GetBytes("Password")));
    }

    [Fact]
    public void NTOWFv2_matches_MS_NLMP_4_2_4_1_1()
    {
        Assert.Equal(Hex("0c 86 8a 40 3b fd 7a 93 a3 00 1e f2 2e f0 2e 3f"), NtlmClient.NtowfV2("Password", "User", "Domain"));
    }

    [Fact]
    public void NTProofStr_and_session_base_key_match_MS_NLMP_4_2_4()
    {
        var key = NtlmClient.NtowfV2("Password", "User", "Domain");
        var (response, sessionBaseKey) = NtlmClient.ComputeNtlmV2Response(key, ServerChallenge, ClientChallenge, 0, TargetInfo);
        Assert.Equal(Hex("68 cd 0a b8 51 e5 1c 96 aa bc 92 7b eb ef 6a 1c"), response[..16]);
        Assert.Equal(Hex("8d e4 0c ca db c1 4a 82 f1 5c b0 ad 0d e9 5c a3"), sessionBaseKey);
        // The blob after NTProofStr is the "temp" of MS-NLMP 3.3.2.
        Assert.Equal(Hex("01 01 00 00 00 00 00 00 00 00 00 00 00 00 00 00 aa aa aa aa aa aa aa aa 00 00 00 00") .Concat(TargetInfo).Concat(new byte[4]), response[16..]);
    }

    [Fact]
    public void LMv2_response_matches_MS_NLMP_4_2_4_2_1()
    {
        var key = NtlmClient.NtowfV2("Password", "User", "Domain");
        Assert.Equal(Hex("86 c3 50 97 ac 9c ec 10 25 54 76 4a 57 cc cc 19 aa aa aa aa aa aa aa aa"),
            NtlmClient.ComputeLmV2Response(key, ServerChallenge, ClientChallenge));
    }

    [Fact]
    public void Encrypted_session_key_matches_MS_NLMP_4_2_4_2_3()
    {
        var sessionBaseKey = Hex("8d e4 0c ca db c1 4a 82 f1 5c b0 ad 0d e9 5c a3");
        Assert.Equal(Hex("c5 da d2 54 4f c9 79 90 94 ce 1c e9 0b c9 d0 3e"), Rc4.Apply(sessionBaseKey, RandomSessionKey));
    }

    [Fact]
    public void AUTHENTICATE_message_carries_the_MS_NLMP_4_2_4_responses_and_key()
    {
        var client = new NtlmClient("User", "Domain", "Password", "COMPUTER")
        {
            FixedClientChallenge = ClientChallenge,
            FixedTime = 0,
            FixedRandomSessionKey = RandomSessionKey,
        };
        client.CreateNegotiate();
        var challenge = Challenge(0xe28a8233);
        var message = client.CreateAuthenticate(challenge);
        Assert.Equal(RandomSessionKey, client.SessionKey);
        Assert.Equal("NTLMSSP\0"u8.ToArray(), message[..8]);
        Assert.Equal(3u, BitConverter.ToUInt32(message, 8));
        byte[] Field(int at) => message.AsSpan(BitConverter.ToInt32(message, at + 4), BitConverter.ToUInt16(message, at)).ToArray();
        Assert.Equal(Hex("86 c3 50 97 ac 9c ec 10 25 54 76 4a 57 cc cc 19 aa aa aa aa aa aa aa aa"), Field(12));
        Assert.Equal(Hex("68 cd 0a b8 51 e5 1c 96 aa bc 92 7b eb ef 6a 1c"), Field(20)[..16]);
        Assert.Equal(Encoding.Unicode.GetBytes("Domain"), Field(28));
        Assert.Equal(Encoding.Unicode.GetBytes("User"), Field(36));
        Assert.Equal(Encoding.Unicode.GetBytes("COMPUTER"), Field(44));
        Assert.Equal(Hex("c5 da d2 54 4f c9 79 90 94 ce 1c e9 0b c9 d0 3e"), Field(52));
    }

    [Fact]
    public void AUTHENTICATE_with_a_server_timestamp_has_a_MIC_over_all_three_messages()
    {
        var client = new NtlmClient("User", "Domain", "Password");
        var negotiate = client.CreateNegotiate();
        // The target info with an MsvAvTimestamp, which makes the client send a MIC and zero LM response.
        var info = TargetInfo[..^4].Concat(Hex("07 00 08 00 00 00 00 00 00 00 00 00 00 00 00 00")).ToArray();
        var challenge = Challenge(0xe28a8233, info);
        var message = client.CreateAuthenticate(challenge);
        var mic = message.AsSpan(72, 16).ToArray();
        var zeroed = message.ToArray();
        Array.Clear(zeroed, 72, 16);
        var expected = System.Security.Cryptography.HMACMD5.HashData(client.SessionKey!, negotiate.Concat(challenge).Concat(zeroed).ToArray());
        Assert.Equal(expected, mic);
        var lm = message.AsSpan(BitConverter.ToInt32(message, 16), BitConverter.ToUInt16(message, 12)).ToArray();
        Assert.Equal(new byte[24], lm);
    }

    [Fact]
    public void A_malformed_CHALLENGE_is_a_protocol_error()
    {
        var client = new NtlmClient("User", "Domain", "Password");
        client.CreateNegotiate();
        Assert.Throws<SmbProtocolException>(() => client.CreateAuthenticate("NTLMSSP\0"u8));
        var challenge = Challenge(0xe28a8233);
        BitConverter.GetBytes(4000).CopyTo(challenge, 44); // target info offset beyond the message
        Assert.Throws<SmbProtocolException>(() => client.CreateAuthenticate(challenge));
    }

    [Fact]
    public void SPNEGO_response_token_is_read_back_with_its_state()
    {
        var inner = new byte[] { 1, 2, 3 };
        var token = Spnego.ResponseToken(inner, null);
        var (state, parsed) = Spnego.ParseResponse(token);
        Assert.Equal(-1, state);
        Assert.Equal(inner, parsed);
        Assert.Throws<SmbProtocolException>(() => Spnego.ParseResponse(token[..^2]));
    }

    private static byte[] Challenge(uint flags, byte[]? targetInfo = null)
    {
        targetInfo ??= TargetInfo;
        var m = new byte[56 + targetInfo.Length];
        "NTLMSSP\0"u8.CopyTo(m);
        BitConverter.GetBytes(2u).CopyTo(m, 8);
        BitConverter.GetBytes(flags).CopyTo(m, 20);
        ServerChallenge.CopyTo(m, 24);
        BitConverter.GetBytes((ushort)targetInfo.Length).CopyTo(m, 40);
        BitConverter.GetBytes((ushort)targetInfo.Length).CopyTo(m, 42);
        BitConverter.GetBytes(56u).CopyTo(m, 44);
        targetInfo.CopyTo(m, 56);
        return m;
    }
}
