// Times the FTP provider on one transfer shape, for bench/ftp.sh, which runs curl and lftp beside it on the same
// vsftpd in the same run. The password comes from FTP_BENCH_PASSWORD and the pinned certificate thumbprint from
// FTP_BENCH_PIN, never from the command line.
//
//   Pipeline.Bench.Ftp put <uri> <local file> <remote file>
//   Pipeline.Bench.Ftp get <uri> <remote file>
//   Pipeline.Bench.Ftp putmany <uri> <local dir> <remote dir> [parallel]
//   Pipeline.Bench.Ftp getmany <uri> <remote dir> <local dir> [parallel]
using System.Buffers;
using System.Diagnostics;
using System.Net;
using Pipeline.RemoteFs;
using Pipeline.RemoteFs.Ftp;

if (args.Length < 3)
{
    Console.Error.WriteLine("usage: Pipeline.Bench.Ftp put|get|putmany|getmany <uri> <paths...> [parallel]");
    return 2;
}
var (operation, uri) = (args[0], args[1]);
var endpoint = RemoteEndpoint.Parse(uri);
var options = new RemoteConnectionOptions
{
    Credential = new NetworkCredential(endpoint.UserName, Environment.GetEnvironmentVariable("FTP_BENCH_PASSWORD") ?? ""),
    PinnedFingerprint = Environment.GetEnvironmentVariable("FTP_BENCH_PIN") is { Length: > 0 } pin ? pin : null,
};
var traceClock = Stopwatch.StartNew();
await using var provider = Environment.GetEnvironmentVariable("FTP_BENCH_TRACE") == "1"
    ? new FtpFileSystemProvider(null, line => Console.Error.WriteLine($"{traceClock.Elapsed.TotalMilliseconds,9:F2} {line}"))
    : new FtpFileSystemProvider();
await using var fs = await provider.ConnectAsync(endpoint, options);
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
    default:
        Console.Error.WriteLine($"unknown operation '{operation}'");
        return 2;
}
var seconds = clock.Elapsed.TotalSeconds;
Console.WriteLine($"{seconds:F2} s  {bytes / seconds / (1 << 20):F0} MiB/s  {files} file(s)  {ThreadPool.CompletedWorkItemCount} thread-pool work items");
return 0;

// Local files are read and written synchronously: on Linux an asynchronous FileStream hands every read and write to
// the thread pool, a cost of the local disk, not of FTP (curl and lftp use plain read/write too).
async Task<long> Put(string local, string remote)
{
    using var input = new FileStream(local, FileMode.Open, FileAccess.Read, FileShare.Read, 0, FileOptions.SequentialScan);
    await using var output = await fs.OpenWriteAsync(remote, new WriteOptions { CreateParents = false });
    var buffer = ArrayPool<byte>.Shared.Rent(1 << 20);
    long total = 0;
    int read;
    while ((read = input.Read(buffer)) > 0)
    {
        await output.WriteAsync(buffer.AsMemory(0, read));
        total += read;
    }
    await output.CommitAsync();
    ArrayPool<byte>.Shared.Return(buffer);
    return total;
}

async Task<long> Get(string remote, string? local = null)
{
    await using var input = await fs.OpenReadAsync(remote);
    using var output = local is null ? Stream.Null : new FileStream(local, FileMode.Create, FileAccess.Write, FileShare.None, 0);
    var buffer = ArrayPool<byte>.Shared.Rent(1 << 20);
    long total = 0;
    int read;
    while ((read = await input.ReadAsync(buffer)) > 0)
    {
        output.Write(buffer, 0, read);
        total += read;
    }
    ArrayPool<byte>.Shared.Return(buffer);
    return total;
}
