using System.IO.Pipes;
using Microsoft.Win32.SafeHandles;
using Pipeline.RemoteFs.Sftp;
using static Pipeline.RemoteFs.Tests.RemoteFileSystemTestExtensions;

namespace Pipeline.RemoteFs.Tests.Sftp;

/// <summary>What the provider does for speed (cipher order, pipe sizes, reads that fill the caller's buffer), and that it stays correct.</summary>
[Collection("sshd")]
public sealed class SftpPerformanceTests(SshdServer server)
{
    private string NewDirectory()
    {
        var name = "p-" + Guid.NewGuid().ToString("N")[..8];
        Directory.CreateDirectory(server.Local(name));
        return name;
    }

    /// <summary>The ssh command line of the pool's first process (Linux: /proc).</summary>
    private static string[] SshArguments(SftpFileSystem fs) =>
        File.ReadAllText($"/proc/{fs.ProcessIds[0]}/cmdline").Split('\0', StringSplitOptions.RemoveEmptyEntries);

    [Fact]
    public void Aes_gcm_ciphers_move_to_the_front_and_the_others_keep_their_order()
    {
        Assert.Equal("aes128-gcm@openssh.com,aes256-gcm@openssh.com,chacha20-poly1305@openssh.com,aes128-ctr,aes256-ctr",
            SshCommand.PreferGcm("chacha20-poly1305@openssh.com,aes128-ctr,aes128-gcm@openssh.com,aes256-ctr,aes256-gcm@openssh.com"));
        Assert.Null(SshCommand.PreferGcm("chacha20-poly1305@openssh.com,aes128-ctr"));
    }

    [SshdFact]
    public async Task Aes_gcm_goes_first_when_the_cpu_has_aes_and_nothing_chose_the_ciphers()
    {
        await using var fs = await server.ConnectAsync();

        var ciphers = SshArguments(fs).Where(a => a.StartsWith("Ciphers=", StringComparison.Ordinal)).ToArray();

        if (SshCommand.HasAesInstructions)
            Assert.StartsWith("Ciphers=aes128-gcm@openssh.com,aes256-gcm@openssh.com,", Assert.Single(ciphers));
        else
            Assert.Empty(ciphers);
    }

    [SshdFact]
    public async Task Ciphers_chosen_in_ssh_options_are_left_alone()
    {
        var dir = NewDirectory();
        await using var fs = await server.ConnectAsync(server.Options(settings: new Dictionary<string, string> { ["ssh_options"] = "Ciphers=aes256-ctr" }));

        Assert.Equal(["Ciphers=aes256-ctr"], SshArguments(fs).Where(a => a.StartsWith("Ciphers=", StringComparison.Ordinal)));
        await fs.WriteAllAsync($"{dir}/a.bin", RandomBytes(1000, 1));
        Assert.Equal(RandomBytes(1000, 1), await fs.ReadAllAsync($"{dir}/a.bin"));
    }

    [SshdFact]
    public async Task Cipher_preference_can_be_turned_off()
    {
        await using var fs = await server.ConnectAsync(server.Options(settings: new Dictionary<string, string> { ["prefer_aes_gcm"] = "false" }));

        Assert.DoesNotContain(SshArguments(fs), a => a.StartsWith("Ciphers=", StringComparison.Ordinal));
    }

    [Fact]
    public void Pipes_to_ssh_are_enlarged_to_a_mebibyte_on_linux()
    {
        if (!OperatingSystem.IsLinux()) return;
        using var server = new AnonymousPipeServerStream(PipeDirection.Out);
        using var stream = BlockingPipe.Open(server, FileAccess.Write);

        Assert.IsType<FileStream>(stream);
        Assert.Equal(BlockingPipe.WantedCapacity, BlockingPipe.TryEnlarge(new SafeFileHandle(server.SafePipeHandle.DangerousGetHandle(), ownsHandle: false)));
    }

    [SshdFact]
    public async Task A_read_fills_the_callers_buffer_from_several_answers_in_order()
    {
        var dir = NewDirectory();
        var content = RandomBytes(5 * 1024 * 1024 + 777, 4);
        File.WriteAllBytes(server.Local($"{dir}/big.bin"), content);
        await using var fs = await server.ConnectAsync(server.Options(settings: new Dictionary<string, string> { ["chunk_size"] = "65536" }));
        await using var stream = await fs.OpenReadAsync($"{dir}/big.bin");

        var buffer = new byte[1024 * 1024];
        var copy = new MemoryStream();
        var largest = 0;
        int read;
        while ((read = await stream.ReadAsync(buffer)) > 0)
        {
            largest = Math.Max(largest, read);
            copy.Write(buffer, 0, read);
        }

        Assert.Equal(Sha256(content), Sha256(copy.ToArray()));
        Assert.True(largest > 65536, $"Each read returned at most {largest} bytes: one answer per read.");
    }
}
