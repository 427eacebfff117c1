using System.Security.Cryptography;
using Pipeline.RemoteFs.Smb;

namespace Pipeline.RemoteFs.Tests.Smb;

/// <summary>
/// Large READ responses, WRITE requests and TRANSFORM frames live in pooled buffers. A buffer given back too early, or
/// twice, would show as another transfer's bytes in this one: these tests run transfers that are abandoned, cancelled
/// and disposed half-way beside transfers whose every byte is compared, on one session.
/// </summary>
public sealed class SmbBufferTests
{
    [SambaTheory]
    [InlineData("data")]
    [InlineData("secret")]
    public async Task Abandoned_and_cancelled_reads_beside_whole_ones_leave_every_byte_intact(string share)
    {
        await using var server = await SambaServer.StartAsync();
        var root = share == "data" ? server.DataRoot : server.SecretRoot;
        var files = Enumerable.Range(0, 4).Select(i => RandomNumberGenerator.GetBytes(6 * 1024 * 1024 + i * 4099)).ToArray();
        for (var i = 0; i < files.Length; i++) await File.WriteAllBytesAsync(Path.Combine(root, $"f{i}.bin"), files[i]);
        await using var provider = new SmbFileSystemProvider();
        await using var fs = await provider.ConnectAsync(server.Endpoint(share), server.Options());

        for (var round = 0; round < 3; round++)
        {
            var abandoned = Enumerable.Range(0, files.Length).Select(async i =>
            {
                // Several READs in flight when the stream is disposed after a few bytes: their buffers come back later.
                await using var stream = await fs.OpenReadAsync($"/f{i}.bin");
                var buffer = new byte[1000];
                await stream.ReadExactlyAsync(buffer);
                await stream.ReadExactlyAsync(buffer.AsMemory(0, 100));
            });
            var cancelled = Enumerable.Range(0, files.Length).Select(async i =>
            {
                using var cancel = new CancellationTokenSource();
                await using var stream = await fs.OpenReadAsync($"/f{i}.bin");
                var buffer = new byte[1024 * 1024 + 7];
                await stream.ReadExactlyAsync(buffer);
                cancel.Cancel();
                // What is already buffered may still come; the next chunk does not.
                await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
                {
                    while (await stream.ReadAsync(buffer, cancel.Token) > 0) { }
                });
                Assert.True(stream.Position < files[i].Length);
            });
            var whole = Enumerable.Range(0, files.Length).Select(async i => Assert.Equal(files[i], await fs.ReadAllAsync($"/f{i}.bin")));
            await Task.WhenAll(abandoned.Concat(cancelled).Concat(whole));
        }
        for (var i = 0; i < files.Length; i++) Assert.Equal(files[i], await fs.ReadAllAsync($"/f{i}.bin"));
    }

    [SambaTheory]
    [InlineData("data")]
    [InlineData("secret")]
    public async Task Uploads_that_fail_or_are_disposed_half_way_beside_whole_ones_leave_every_byte_intact(string share)
    {
        await using var server = await SambaServer.StartAsync();
        var root = share == "data" ? server.DataRoot : server.SecretRoot;
        await using var provider = new SmbFileSystemProvider();
        await using var fs = await provider.ConnectAsync(server.Endpoint(share), server.Options());
        var files = Enumerable.Range(0, 3).Select(i => RandomNumberGenerator.GetBytes(5 * 1024 * 1024 + i * 4099)).ToArray();

        for (var round = 0; round < 2; round++)
        {
            var disposed = Enumerable.Range(0, files.Length).Select(async i =>
            {
                await using var stream = await fs.OpenWriteAsync($"/gone{i}.bin");
                await stream.WriteAsync(files[i].AsMemory(0, 3 * 1024 * 1024 + 5));
            });
            var cancelled = Enumerable.Range(0, files.Length).Select(async i =>
            {
                using var cancel = new CancellationTokenSource();
                await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
                {
                    await using var stream = await fs.OpenWriteAsync($"/cancelled{i}.bin", cancellationToken: cancel.Token);
                    await stream.WriteAsync(files[i].AsMemory(0, 2 * 1024 * 1024), cancel.Token);
                    cancel.Cancel();
                    await stream.WriteAsync(files[i].AsMemory(2 * 1024 * 1024), cancel.Token);
                    await stream.CommitAsync(cancel.Token);
                });
            });
            var whole = Enumerable.Range(0, files.Length).Select(i => fs.WriteAllAsync($"/whole{i}.bin", files[i]));
            await Task.WhenAll(disposed.Concat(cancelled).Concat(whole));
        }
        for (var i = 0; i < files.Length; i++) Assert.Equal(files[i], File.ReadAllBytes(Path.Combine(root, $"whole{i}.bin")));
        Assert.Equal(files.Length, Directory.GetFileSystemEntries(root).Length);
    }

    [SambaTheory]
    [InlineData("data")]
    [InlineData("secret")]
    public async Task Largest_io_size_moves_files_without_running_out_of_credits(string share)
    {
        // An 8 MiB READ costs 128 credits (and the open's compound 130): more than a session held when it topped up its
        // credits by a fixed 64, so the open waited for credits no answer would bring, or overspent by one.
        await using var server = await SambaServer.StartAsync();
        await using var provider = new SmbFileSystemProvider();
        var options = server.Options(settings: new Dictionary<string, string> { ["io_size"] = (8 * 1024 * 1024).ToString() });
        await using var fs = await provider.ConnectAsync(server.Endpoint(share), options);
        var content = RandomNumberGenerator.GetBytes(20 * 1024 * 1024 + 3);
        await fs.WriteAllAsync("/big.bin", content);
        Assert.Equal(content, await fs.ReadAllAsync("/big.bin"));
    }

    [Fact]
    public void A_pooled_response_gives_its_buffer_back_once()
    {
        var rented = System.Buffers.ArrayPool<byte>.Shared.Rent(SmbHeader.Size + 16);
        SmbHeader.Write(rented, SmbCommand.Read, 1, 1, 7, 0, 0);
        var response = SmbResponse.Parse(new ArraySegment<byte>(rented, 0, SmbHeader.Size + 16), rented);
        Assert.True(response.IsPooled);
        response.ReturnBuffer();
        Assert.False(response.IsPooled);
        response.ReturnBuffer(); // a second return does nothing (the pool never gets the array twice)
        Assert.False(response.IsPooled);
        var plain = new byte[SmbHeader.Size + 16];
        SmbHeader.Write(plain, SmbCommand.Read, 1, 1, 8, 0, 0);
        Assert.False(SmbResponse.Parse(plain).IsPooled);
    }
}
