// Times the SMB provider on one transfer shape, for bench/smb.sh, which runs smbclient beside it on the same smbd in
// the same run. The password comes from SMB_BENCH_PASSWORD, never from the command line; provider settings (for
// example encryption=required) from SMB_BENCH_SETTINGS as key=value pairs separated by '&'.
//
//   Pipeline.Bench.Smb put <uri> <local file> <remote file>
//   Pipeline.Bench.Smb get <uri> <remote file>
//   Pipeline.Bench.Smb putmany <uri> <local dir> <remote dir> [parallel]
//   Pipeline.Bench.Smb getmany <uri> <remote dir> <local dir> [parallel]
//   Pipeline.Bench.Smb upload <uri> <local dir> <remote dir>      (RemoteTransfer with its defaults: 4 files at
//   Pipeline.Bench.Smb download <uri> <remote dir> <local dir>     once, MD5 verification, parents created)
using System.Diagnostics;
using System.Net;
using Pipeline.RemoteFs;
using Pipeline.RemoteFs.Local;
using Pipeline.RemoteFs.Smb;
using Pipeline.RemoteFs.Transfers;

if (args.Length < 3)
{
    Console.Error.WriteLine("usage: Pipeline.Bench.Smb put|get|putmany|getmany <uri> <paths...> [parallel]");
    return 2;
}
var (operation, uri) = (args[0], args[1]);
var endpoint = RemoteEndpoint.Parse(uri);
var settings = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
foreach (var pair in (Environment.GetEnvironmentVariable("SMB_BENCH_SETTINGS") ?? "").Split('&', StringSplitOptions.RemoveEmptyEntries))
    settings[pair.Split('=')[0]] = pair.Split('=')[1];
var options = new RemoteConnectionOptions
{
    Credential = new NetworkCredential(endpoint.UserName, Environment.GetEnvironmentVariable("SMB_BENCH_PASSWORD") ?? ""),
    VerifyChecksum = false,
    Settings = settings,
};
await using var provider = new SmbFileSystemProvider();
await using var fs = await provider.ConnectAsync(endpoint, options);
Console.Error.WriteLine(await ((SmbFileSystem)fs).DescribeSessionAsync());
var clock = Stopwatch.StartNew();
long bytes = 0;
var files = 0;
switch (operation)
{
    case "put":
        bytes = await Put(args[2], args[3]);
        files = 1;
        break;
    case "get":
        bytes = await Get(args[2]);
        files = 1;
        break;
    case "putmany":
    {
        var local = Directory.GetFiles(args[2]);
        await fs.CreateDirectoryAsync(args[3]);
        var parallel = args.Length > 4 ? int.Parse(args[4]) : 1;
        await Parallel.ForEachAsync(local, new ParallelOptions { MaxDegreeOfParallelism = parallel }, async (file, _) =>
            Interlocked.Add(ref bytes, await Put(file, args[3].TrimEnd('/') + "/" + Path.GetFileName(file))));
        files = local.Length;
        break;
    }
    case "getmany":
    {
        var remote = new List<RemoteItem>();
        await foreach (var item in fs.ListAsync(args[2], new ListOptions { IncludeDirectories = false })) remote.Add(item);
        Directory.CreateDirectory(args[3]);
        var parallel = args.Length > 4 ? int.Parse(args[4]) : 1;
        await Parallel.ForEachAsync(remote, new ParallelOptions { MaxDegreeOfParallelism = parallel }, async (item, _) =>
            Interlocked.Add(ref bytes, await Get(item.Path, Path.Combine(args[3], item.Name))));
        files = remote.Count;
        break;
    }
    case "upload" or "download":
    {
        // What a user's copy does: the transfer layer with its defaults (overwrite on, as the bench repeats).
        var local = new LocalFileSystem();
        var transfer = new RemoteTransfer(new TransferOptions { Overwrite = true });
        var result = operation == "upload"
            ? await transfer.CopyAsync(local, Path.GetFullPath(args[2]), fs, args[3])
            : await transfer.CopyAsync(fs, args[2], local, Path.GetFullPath(args[3]));
        result.ThrowIfFailed();
        files = result.Transferred.Count;
        bytes = result.Transferred.Sum(f => f.Bytes);
        break;
    }
    case "stat":
    {
        // Round-trip latency: N stats of one file (CREATE and CLOSE each).
        var n = int.Parse(args[3]);
        for (var i = 0; i < n; i++) await fs.StatAsync(args[2]);
        files = n;
        break;
    }
    default:
        Console.Error.WriteLine($"unknown operation '{operation}'");
        return 2;
}
var seconds = clock.Elapsed.TotalSeconds;
Console.WriteLine($"{seconds:F2} s  {bytes / seconds / (1 << 20):F0} MiB/s  {files} file(s)");
Console.Error.WriteLine($"collections gen0/1/2: {GC.CollectionCount(0)}/{GC.CollectionCount(1)}/{GC.CollectionCount(2)}, CPU {Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds:F2} s");
return 0;

async Task<long> Put(string local, string remote)
{
    await using var input = new FileStream(local, FileMode.Open, FileAccess.Read, FileShare.Read, 0, FileOptions.SequentialScan | FileOptions.Asynchronous);
    await using var output = await fs.OpenWriteAsync(remote, new WriteOptions { CreateParents = false });
    await input.CopyToAsync(output, 1 << 20);
    await output.CommitAsync();
    return input.Length;
}

async Task<long> Get(string remote, string? local = null)
{
    await using var input = await fs.OpenReadAsync(remote);
    await using var output = local is null ? Stream.Null : new FileStream(local, FileMode.Create, FileAccess.Write, FileShare.None, 0, FileOptions.Asynchronous);
    var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(1 << 20);
    long total = 0;
    int read;
    while ((read = await input.ReadAsync(buffer)) > 0)
    {
        await output.WriteAsync(buffer.AsMemory(0, read));
        total += read;
    }
    System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
    return total;
}
