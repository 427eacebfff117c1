using System.Security.Cryptography;
using System.Text;
using Pipeline.RemoteFs.Smb;

namespace Pipeline.RemoteFs.Tests.Smb;

/// <summary>Every operation of the interface against a real smbd, on each dialect it offers.</summary>
public sealed class SmbOperationsTests
{
    [SambaTheory]
    [InlineData("SMB2_02", false, "SMB 2.0.2, signed (HmacSha256)")]
    [InlineData("SMB2_10", true, "SMB 2.1, signed (HmacSha256)")]
    [InlineData("SMB3_00", true, "SMB 3.0, signed (AesCmac)")]
    [InlineData("SMB3_02", true, "SMB 3.0.2, signed (AesCmac)")]
    [InlineData("SMB3_11", false, "SMB 3.1.1, signed (AesGmac)")]
    public async Task Every_operation_works_on_each_dialect(string protocol, bool signingMandatory, string session)
    {
        await using var server = await SambaServer.StartAsync(protocol, protocol, signingMandatory);
        await using var provider = new SmbFileSystemProvider();
        await using var fs = await provider.ConnectAsync(server.Endpoint(), server.Options());
        Assert.Equal(session, await ((SmbFileSystem)fs).DescribeSessionAsync());
        var connection = await ((SmbFileSystem)fs).Pool.GetAsync(default);
        Assert.Equal(protocol is "SMB3_00" or "SMB3_02", connection.NegotiateValidated);

        // mkdir -p, and again (already there)
        await fs.CreateDirectoryAsync("/a/b/c");
        await fs.CreateDirectoryAsync("/a/b/c");
        Assert.True(Directory.Exists(Path.Combine(server.DataRoot, "a", "b", "c")));

        // upload larger than one READ/WRITE (several requests in flight, multi-credit on 2.1+), then stat
        var content = RandomNumberGenerator.GetBytes(5 * 1024 * 1024 + 123);
        await fs.WriteAllAsync("/a/b/data.bin", content);
        Assert.Equal(content, File.ReadAllBytes(Path.Combine(server.DataRoot, "a", "b", "data.bin")));
        Assert.Empty(Directory.GetFiles(Path.Combine(server.DataRoot, "a", "b"), ".*"));
        var item = await fs.StatAsync("/a/b/data.bin");
        Assert.NotNull(item);
        Assert.False(item.IsDirectory);
        Assert.Equal(content.Length, item.Length);
        Assert.InRange(item.LastWriteTime!.Value, DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddMinutes(5));
        Assert.True((await fs.StatAsync("/a/b"))!.IsDirectory);
        Assert.Null(await fs.StatAsync("/a/nothing"));
        Assert.Null(await fs.StatAsync("/nothing/at/all"));

        // read whole, and a range
        Assert.Equal(content, await fs.ReadAllAsync("/a/b/data.bin"));
        Assert.Equal(content.AsSpan(1_000_000, 2_500_000).ToArray(), await fs.ReadAllAsync("/a/b/data.bin", 1_000_000, 2_500_000));
        Assert.Empty(await fs.ReadAllAsync("/a/b/data.bin", content.Length));

        // overwrite off
        var conflict = await Assert.ThrowsAsync<RemoteFsException>(() => fs.WriteAllAsync("/a/b/data.bin", [1], new WriteOptions { Overwrite = false }));
        Assert.Equal(RemoteErrorKind.Conflict, conflict.Kind);

        // list: plain, server-side wildcard, recursive with a glob, files only
        await fs.WriteAllAsync("/a/one.txt", "1"u8.ToArray());
        await fs.WriteAllAsync("/a/two.csv", "2"u8.ToArray());
        var plain = await fs.ListAsync("/a").ToListAsync();
        Assert.Equal(["/a/b", "/a/one.txt", "/a/two.csv"], plain.Select(i => i.Path));
        Assert.True(plain[0].IsDirectory);
        var wildcard = await fs.ListAsync("/a", new ListOptions { Filter = "*.TXT" }).ToListAsync();
        Assert.Equal(["/a/one.txt"], wildcard.Select(i => i.Path));
        var recursive = await fs.ListAsync("/", new ListOptions { Recursive = true, Filter = "**/*.bin", IncludeDirectories = false }).ToListAsync();
        Assert.Equal(["/a/b/data.bin"], recursive.Select(i => i.Path));
        Assert.Equal(content.Length, recursive[0].Length);
        var missing = await Assert.ThrowsAsync<RemoteFsException>(async () => await fs.ListAsync("/nope").ToListAsync());
        Assert.Equal(RemoteErrorKind.NotFound, missing.Kind);
        var notDirectory = await Assert.ThrowsAsync<RemoteFsException>(async () => await fs.ListAsync("/a/one.txt").ToListAsync());
        Assert.Equal(RemoteErrorKind.Conflict, notDirectory.Kind);

        // copy (server-side), move, checksum
        await fs.CopyAsync("/a/b/data.bin", "/copy/data.bin");
        Assert.Equal(content, File.ReadAllBytes(Path.Combine(server.DataRoot, "copy", "data.bin")));
        var copyConflict = await Assert.ThrowsAsync<RemoteFsException>(() => fs.CopyAsync("/a/one.txt", "/copy/data.bin"));
        Assert.Equal(RemoteErrorKind.Conflict, copyConflict.Kind);
        await fs.MoveAsync("/copy/data.bin", "/moved/data.bin");
        Assert.False(File.Exists(Path.Combine(server.DataRoot, "copy", "data.bin")));
        var moveConflict = await Assert.ThrowsAsync<RemoteFsException>(() => fs.MoveAsync("/a/one.txt", "/a/two.csv"));
        Assert.Equal(RemoteErrorKind.Conflict, moveConflict.Kind);
        await fs.MoveAsync("/a/one.txt", "/a/two.csv", overwrite: true);
        Assert.Equal("1", File.ReadAllText(Path.Combine(server.DataRoot, "a", "two.csv")));
        var checksum = await fs.GetChecksumAsync("/moved/data.bin");
        Assert.True(checksum.Matches(Convert.ToHexString(SHA256.HashData(content))));
        Assert.False(checksum.Native);

        // times
        var when = new DateTimeOffset(2020, 5, 17, 10, 30, 0, TimeSpan.Zero);
        await ((SmbFileSystem)fs).SetLastWriteTimeAsync("/a/two.csv", when);
        Assert.Equal(when, (await fs.StatAsync("/a/two.csv"))!.LastWriteTime);

        // delete, rmdir (refused while not empty), rmdir -r
        await fs.DeleteFileAsync("/a/two.csv");
        var gone = await Assert.ThrowsAsync<RemoteFsException>(() => fs.DeleteFileAsync("/a/two.csv"));
        Assert.Equal(RemoteErrorKind.NotFound, gone.Kind);
        var notEmpty = await Assert.ThrowsAsync<RemoteFsException>(() => fs.DeleteDirectoryAsync("/a"));
        Assert.Equal(RemoteErrorKind.Conflict, notEmpty.Kind);
        await fs.DeleteDirectoryAsync("/a", recursive: true);
        await fs.DeleteDirectoryAsync("/copy");
        Assert.False(Directory.Exists(Path.Combine(server.DataRoot, "a")));
        Assert.Null(await fs.StatAsync("/a"));
    }

    [SambaTheory]
    [InlineData("SMB3_00", null, "SMB 3.0, encrypted (Aes128Ccm)")]
    [InlineData("SMB3_02", null, "SMB 3.0.2, encrypted (Aes128Ccm)")]
    [InlineData("SMB3_11", null, "SMB 3.1.1, encrypted (Aes128Gcm)")]
    [InlineData("SMB3_11", "aes256", "SMB 3.1.1, encrypted (Aes256Gcm)")]
    public async Task Share_that_requires_encryption_is_encrypted(string protocol, string? cipher, string session)
    {
        await using var server = await SambaServer.StartAsync(protocol, protocol);
        await using var provider = new SmbFileSystemProvider();
        var settings = cipher is null ? null : new Dictionary<string, string> { ["cipher"] = cipher };
        await using var fs = await provider.ConnectAsync(server.Endpoint("secret"), server.Options(settings: settings));
        Assert.Equal(session, await ((SmbFileSystem)fs).DescribeSessionAsync());
        var content = RandomNumberGenerator.GetBytes(3 * 1024 * 1024);
        await fs.WriteAllAsync("/dir/secret.bin", content);
        Assert.Equal(content, File.ReadAllBytes(Path.Combine(server.SecretRoot, "dir", "secret.bin")));
        Assert.Equal(content, await fs.ReadAllAsync("/dir/secret.bin"));
        Assert.Single(await fs.ListAsync("/dir").ToListAsync());
    }

    [SambaFact]
    public async Task Encryption_asked_by_the_client_encrypts_a_share_that_does_not_require_it()
    {
        await using var server = await SambaServer.StartAsync();
        await using var provider = new SmbFileSystemProvider();
        await using var fs = await provider.ConnectAsync(server.Endpoint(), server.Options(settings: new Dictionary<string, string> { ["encryption"] = "required" }));
        Assert.Equal("SMB 3.1.1, encrypted (Aes128Gcm)", await ((SmbFileSystem)fs).DescribeSessionAsync());
        await fs.WriteAllAsync("/x.txt", "x"u8.ToArray());
        Assert.Equal("x"u8.ToArray(), await fs.ReadAllAsync("/x.txt"));
    }

    [SambaFact]
    public async Task Encryption_asked_on_SMB_2_is_refused_as_not_supported()
    {
        await using var server = await SambaServer.StartAsync("SMB2_02", "SMB2_10");
        await using var provider = new SmbFileSystemProvider();
        var ex = await Assert.ThrowsAsync<RemoteFsException>(() => provider.ConnectAsync(server.Endpoint(), server.Options(settings: new Dictionary<string, string> { ["encryption"] = "required" })));
        Assert.Equal(RemoteErrorKind.NotSupported, ex.Kind);
        Assert.Contains("2.1", ex.Message);
    }

    [SambaTheory]
    [InlineData("SMB3_11", "data")]
    [InlineData("SMB3_02", "data")]
    [InlineData("SMB3_11", "secret")]
    public async Task Many_transfers_at_once_share_one_session(string protocol, string share)
    {
        await using var server = await SambaServer.StartAsync("SMB2_02", protocol, signingMandatory: true);
        await using var provider = new SmbFileSystemProvider();
        await using var fs = await provider.ConnectAsync(server.Endpoint(share), server.Options());
        var contents = Enumerable.Range(0, 24).Select(i => RandomNumberGenerator.GetBytes(256 * 1024 + i * 4099)).ToArray();
        await Parallel.ForEachAsync(Enumerable.Range(0, contents.Length), new ParallelOptions { MaxDegreeOfParallelism = 12 }, async (i, _) =>
        {
            await fs.WriteAllAsync($"/p/{i}.bin", contents[i]);
            Assert.Equal(contents[i], await fs.ReadAllAsync($"/p/{i}.bin"));
        });
        Assert.Equal(contents.Length, (await fs.ListAsync("/p").ToListAsync()).Count);
        Assert.Equal(1, ((SmbFileSystem)fs).Pool.Opened);
    }

    [SambaFact]
    public async Task Names_with_spaces_and_unicode_round_trip()
    {
        await using var server = await SambaServer.StartAsync();
        await using var provider = new SmbFileSystemProvider();
        await using var fs = await provider.ConnectAsync(server.Endpoint(), server.Options());
        const string directory = "/Ordner mit Leerzeichen/Überprüfung ✓";
        const string name = "日本語 ファイル ÄÖÜ ß.txt";
        await fs.WriteAllAsync(directory + "/" + name, Encoding.UTF8.GetBytes("grüße"));
        Assert.Equal("grüße", File.ReadAllText(Path.Combine(server.DataRoot, "Ordner mit Leerzeichen", "Überprüfung ✓", name)));
        var listed = await fs.ListAsync("/", new ListOptions { Recursive = true, IncludeDirectories = false }).ToListAsync();
        Assert.Equal([directory + "/" + name], listed.Select(i => i.Path));
        Assert.Equal("grüße", Encoding.UTF8.GetString(await fs.ReadAllAsync(directory + "/" + name)));
        await fs.MoveAsync(directory + "/" + name, "/ünïcødé ➜ moved.txt");
        Assert.NotNull(await fs.StatAsync("/ünïcødé ➜ moved.txt"));
    }

    [SambaFact]
    public async Task Endpoint_path_below_the_share_is_the_base_of_relative_paths()
    {
        await using var server = await SambaServer.StartAsync();
        Directory.CreateDirectory(Path.Combine(server.DataRoot, "base", "in"));
        File.WriteAllText(Path.Combine(server.DataRoot, "base", "in", "f.txt"), "f");
        await using var provider = new SmbFileSystemProvider();
        await using var fs = await provider.ConnectAsync(server.Endpoint("data", "/base"), server.Options());
        Assert.Equal("f"u8.ToArray(), await fs.ReadAllAsync("in/f.txt"));
        Assert.Equal(["/base/in/f.txt"], (await fs.ListAsync("in").ToListAsync()).Select(i => i.Path));
    }

    [SambaFact]
    public async Task File_larger_than_4_GiB_is_read_and_resumed_at_64_bit_offsets()
    {
        await using var server = await SambaServer.StartAsync();
        const long fourGiB = 4L * 1024 * 1024 * 1024;
        var marker = RandomNumberGenerator.GetBytes(300_000);
        // A sparse file on the share's disk with data above 4 GiB.
        var big = Path.Combine(server.DataRoot, "sparse.bin");
        await using (var file = new FileStream(big, FileMode.Create))
        {
            file.SetLength(fourGiB + 1_000_000);
            file.Position = fourGiB + 500_000;
            file.Write(marker);
        }
        SambaServer.MakeWritable(big);
        await using var provider = new SmbFileSystemProvider();
        await using var fs = await provider.ConnectAsync(server.Endpoint(), server.Options());
        Assert.Equal(fourGiB + 1_000_000, (await fs.StatAsync("/sparse.bin"))!.Length);
        Assert.Equal(marker, await fs.ReadAllAsync("/sparse.bin", fourGiB + 500_000, marker.Length));

        // A resumable upload whose partial file already holds 4 GiB + 7 bytes continues writing above 4 GiB.
        var partial = Path.Combine(server.DataRoot, ".up.bin.partial");
        await using (var file = new FileStream(partial, FileMode.Create))
            file.SetLength(fourGiB + 7);
        SambaServer.MakeWritable(partial);
        await using (var stream = await fs.OpenWriteAsync("/up.bin", new WriteOptions { Resume = true }))
        {
            Assert.Equal(fourGiB + 7, stream.Position);
            await stream.WriteAsync(marker);
            await stream.CommitAsync();
        }
        var written = Path.Combine(server.DataRoot, "up.bin");
        Assert.Equal(fourGiB + 7 + marker.Length, new FileInfo(written).Length);
        await using (var file = new FileStream(written, FileMode.Open, FileAccess.Read))
        {
            file.Position = fourGiB + 7;
            var back = new byte[marker.Length];
            file.ReadExactly(back);
            Assert.Equal(marker, back);
        }
        Assert.Equal(marker, await fs.ReadAllAsync("/up.bin", fourGiB + 7));
    }
}

/// <summary>Responses changed on the way are refused: a bad signature or a ciphertext that does not decrypt.</summary>
public sealed class SmbIntegrityTests
{
    [SambaTheory]
    [InlineData("SMB2_10", "data")]
    [InlineData("SMB3_00", "data")]
    [InlineData("SMB3_11", "data")]
    [InlineData("SMB3_11", "secret")]
    public async Task Response_changed_on_the_way_is_refused_as_a_protocol_error(string protocol, string share)
    {
        await using var server = await SambaServer.StartAsync(protocol, protocol, signingMandatory: true);
        await File.WriteAllTextAsync(Path.Combine(share == "data" ? server.DataRoot : server.SecretRoot, "f.txt"), "content");
        await using var proxy = new TamperingProxy(server.Port);
        await using var provider = new SmbFileSystemProvider();
        var endpoint = RemoteEndpoint.Parse($"smb://{SambaServer.User}@127.0.0.1:{proxy.Port}/{share}");
        await using var fs = await provider.ConnectAsync(endpoint, server.Options());
        Assert.NotNull(await fs.StatAsync("/f.txt"));

        proxy.Armed = true;
        var ex = await Assert.ThrowsAsync<RemoteFsException>(() => fs.StatAsync("/f.txt"));
        Assert.Equal(RemoteErrorKind.Protocol, ex.Kind);
        Assert.Matches("signature that does not verify|failed its integrity check", ex.Message);
        Assert.True(proxy.Tampered > 0);
    }
}
