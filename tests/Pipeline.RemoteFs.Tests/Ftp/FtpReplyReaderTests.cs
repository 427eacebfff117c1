using System.Text;
using Pipeline.RemoteFs.Ftp;

namespace Pipeline.RemoteFs.Tests.Ftp;

public sealed class FtpReplyReaderTests
{
    private static FtpReplyReader Reader(string text) => new(new MemoryStream(Encoding.UTF8.GetBytes(text)), new UTF8Encoding(false));

    [Fact]
    public async Task Single_line_reply_has_its_code_and_text()
    {
        var reply = await Reader("226 Transfer complete.\r\n").ReadAsync(default);
        Assert.Equal(226, reply.Code);
        Assert.Equal("Transfer complete.", reply.Text);
        Assert.True(reply.IsSuccess);
    }

    [Fact]
    public async Task Multi_line_reply_ends_at_its_code_followed_by_a_space()
    {
        var reader = Reader("211-Features:\r\n EPRT\r\n EPSV\r\n211-not the end\r\n UTF8\r\n211 End\r\n200 next\r\n");
        var reply = await reader.ReadAsync(default);
        Assert.Equal(211, reply.Code);
        Assert.Equal(6, reply.Lines.Count);
        Assert.Equal([" EPRT", " EPSV", "211-not the end", " UTF8"], reply.InnerLines);
        Assert.Equal(200, (await reader.ReadAsync(default)).Code);
    }

    [Fact]
    public async Task Inner_lines_may_start_with_another_code()
    {
        var reply = await Reader("230-Welcome\r\n220 not the end\r\n230 Login successful.\r\n").ReadAsync(default);
        Assert.Equal(230, reply.Code);
        Assert.Equal(3, reply.Lines.Count);
    }

    [Fact]
    public async Task Bare_line_feeds_and_a_code_without_text_are_accepted()
    {
        var reader = Reader("220\n221-bye\n221\n");
        Assert.Equal(220, (await reader.ReadAsync(default)).Code);
        Assert.Equal(2, (await reader.ReadAsync(default)).Lines.Count);
    }

    [Theory]
    [InlineData("hello world\r\n")]
    [InlineData("22 short\r\n")]
    [InlineData("622 code out of range\r\n")]
    [InlineData("220_bad separator\r\n")]
    [InlineData("\r\n")]
    public async Task Malformed_reply_is_a_protocol_error_that_quotes_it(string text)
    {
        var ex = await Assert.ThrowsAsync<RemoteFsException>(() => Reader(text).ReadAsync(default));
        Assert.Equal(RemoteErrorKind.Protocol, ex.Kind);
        Assert.Contains($"'{text.TrimEnd('\r', '\n')}'", ex.Message);
    }

    [Fact]
    public async Task Connection_closed_mid_reply_is_transient()
    {
        var ex = await Assert.ThrowsAsync<RemoteFsException>(() => Reader("211-Features:\r\n EPSV\r\n").ReadAsync(default));
        Assert.Equal(RemoteErrorKind.Transient, ex.Kind);
        Assert.Contains("211-Features:", ex.Message);
        var empty = await Assert.ThrowsAsync<RemoteFsException>(() => Reader("").ReadAsync(default));
        Assert.Equal(RemoteErrorKind.Transient, empty.Kind);
    }

    [Fact]
    public async Task Overlong_line_is_refused()
    {
        var ex = await Assert.ThrowsAsync<RemoteFsException>(() => Reader("200 " + new string('x', FtpReplyReader.MaxLineBytes + 10)).ReadAsync(default));
        Assert.Equal(RemoteErrorKind.Protocol, ex.Kind);
    }

    [Fact]
    public async Task Long_replies_across_many_reads_are_assembled()
    {
        var lines = string.Concat(Enumerable.Range(0, 2000).Select(i => $" line {i} {new string('y', 50)}\r\n"));
        var reply = await Reader("250-Start\r\n" + lines + "250 End\r\n").ReadAsync(default);
        Assert.Equal(2002, reply.Lines.Count);
    }

    [Fact]
    public async Task Unicode_text_is_decoded_as_utf8()
    {
        var reply = await Reader("257 \"/Ünïcødé ✓\" created\r\n").ReadAsync(default);
        Assert.Equal("\"/Ünïcødé ✓\" created", reply.Text);
    }

    [Theory]
    [InlineData(530, "Login incorrect.", RemoteErrorKind.Authentication)]
    [InlineData(550, "Failed to open file.", RemoteErrorKind.NotFound)]
    [InlineData(550, "/x: No such file or directory", RemoteErrorKind.NotFound)]
    [InlineData(550, "/x: Permission denied", RemoteErrorKind.PermissionDenied)]
    [InlineData(550, "Access is denied.", RemoteErrorKind.PermissionDenied)]
    [InlineData(421, "Timeout.", RemoteErrorKind.Transient)]
    [InlineData(425, "Can't open data connection.", RemoteErrorKind.Transient)]
    [InlineData(426, "Failure writing network stream.", RemoteErrorKind.Transient)]
    [InlineData(450, "File busy.", RemoteErrorKind.Transient)]
    [InlineData(452, "Insufficient storage space.", RemoteErrorKind.Io)]
    [InlineData(552, "Disk quota exceeded.", RemoteErrorKind.Io)]
    [InlineData(553, "Could not create file.", RemoteErrorKind.PermissionDenied)]
    [InlineData(502, "Command not implemented.", RemoteErrorKind.NotSupported)]
    [InlineData(522, "SSL connection failed: session reuse required", RemoteErrorKind.Protocol)]
    public void Reply_codes_map_to_typed_errors(int code, string text, RemoteErrorKind kind)
    {
        var reply = new FtpReply(code, [$"{code} {text}"]);
        var ex = FtpErrors.FromReply(reply, "Download", "/x", null);
        Assert.Equal(kind, ex.Kind);
        Assert.Contains($"'{code} {text}'", ex.Message);
        Assert.Contains("Download failed", ex.Message);
    }

    [Fact]
    public void Feat_reply_is_parsed_into_features()
    {
        var reply = new FtpReply(211, ["211-Features:", " MLST type*;size*;modify*;", " REST STREAM", " HASH SHA-1;SHA-256*;MD5", " UTF8", " SIZE", "211 End"]);
        var features = FtpFeatures.Parse(reply);
        Assert.True(features.Mlst);
        Assert.True(features.RestStream);
        Assert.True(features.Utf8);
        Assert.True(features.Size);
        Assert.False(features.Mdtm);
        Assert.Equal(["SHA-1", "SHA-256", "MD5"], features.HashAlgorithms);
    }

    [Theory]
    [InlineData("213 SHA-256 0-1234 b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9 /a file.txt")]
    [InlineData("250 B94D27B9934D3E08A52E52D7DA7DABFAC484EFE37A5380EE9088F7ACE2EFCDE9")]
    [InlineData("213 b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9")]
    public void Hash_replies_give_the_digest(string line)
    {
        var reply = new FtpReply(int.Parse(line[..3]), [line]);
        Assert.Equal("b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9", FtpFileSystem.ParseHashReply(reply, ChecksumAlgorithm.Sha256));
    }

    [Fact]
    public void Hash_command_is_chosen_from_feat()
    {
        var hash = FtpFeatures.Parse(new FtpReply(211, ["211-Features:", " HASH SHA-256*;MD5", "211 End"]));
        var x = FtpFeatures.Parse(new FtpReply(211, ["211-Features:", " XMD5", " XSHA256", "211 End"]));
        Assert.Equal("HASH", FtpFileSystem.NativeHashCommand(ChecksumAlgorithm.Sha256, hash));
        Assert.Null(FtpFileSystem.NativeHashCommand(ChecksumAlgorithm.Sha512, hash));
        Assert.Equal("XSHA256", FtpFileSystem.NativeHashCommand(ChecksumAlgorithm.Sha256, x));
        Assert.Equal("XMD5", FtpFileSystem.NativeHashCommand(ChecksumAlgorithm.Md5, x));
        Assert.Null(FtpFileSystem.NativeHashCommand(ChecksumAlgorithm.Sha256, FtpFeatures.None));
    }
}
