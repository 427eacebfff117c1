using System.Text;

namespace Pipeline.RemoteFs.Tests.Sftp;

[Collection("sshd")]
public sealed class SftpSmokeTests(SshdServer server)
{
    [SshdFact]
    public async Task Smoke()
    {
        await using var fs = await server.ConnectAsync();
        Console.WriteLine(string.Join(", ", fs.Extensions.Select(kv => kv.Key + "=" + kv.Value)));
        Console.WriteLine(fs.Limits);
        await using (var w = await fs.OpenWriteAsync("a.txt"))
        {
            await w.WriteAsync(Encoding.UTF8.GetBytes("hello"));
            await w.CommitAsync();
        }
        Assert.Equal("hello", File.ReadAllText(server.Local("a.txt")));
    }
}
