using System.Diagnostics;
using System.Globalization;
using System.Net;
using Pipeline.RemoteFs;
using Pipeline.RemoteFs.Local;
using Pipeline.RemoteFs.S3;
using Pipeline.RemoteFs.Transfers;

// The S3 transfer benchmark's client: one transfer through RemoteTransfer (verified, parallel, as the steps and
// cmdlets run it) against the S3-compatible server at the endpoint given, printing the seconds it took in process.
//   put      <endpoint> <bucket> <local file> <key>
//   get      <endpoint> <bucket> <key> <local file>
//   putmany  <endpoint> <bucket> <local dir> <prefix> [parallelism]
//   getmany  <endpoint> <bucket> <prefix> <local dir> [parallelism] [again]
// "again" repeats the transfer in the same process (into "<local dir>-again" or "<key>-again"), as a long-lived
// PowerShell session or pipeline host runs its second transfer: without .NET's start-up and JIT warm-up.
// Credentials come from S3_BENCH_ACCESS_KEY / S3_BENCH_SECRET_KEY (s3rver's fixed test pair by default).
if (args.Length < 5)
{
    Console.Error.WriteLine("usage: put|get|putmany|getmany <endpoint> <bucket> <from> <to> [parallelism]");
    return 2;
}

var (command, endpoint, bucket, from, to) = (args[0], args[1], args[2], args[3], args[4]);
var parallelism = args.Length > 5 ? int.Parse(args[5], CultureInfo.InvariantCulture) : 4;
var options = new RemoteConnectionOptions
{
    Credential = new NetworkCredential(
        Environment.GetEnvironmentVariable("S3_BENCH_ACCESS_KEY") ?? "S3RVER",
        Environment.GetEnvironmentVariable("S3_BENCH_SECRET_KEY") ?? "S3RVER"),
    Settings = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase) { ["endpoint"] = endpoint },
};
await using var provider = new S3FileSystemProvider();
await using var s3 = await provider.ConnectAsync(RemoteEndpoint.Parse($"s3://{bucket}/"), options);
var local = new LocalFileSystem();
var transfer = new RemoteTransfer(new TransferOptions { Overwrite = true, Parallelism = parallelism });

async Task<TransferResult> Transfer(string suffix) => command switch
{
    "put" or "putmany" => await transfer.CopyAsync(local, Path.GetFullPath(from), s3, "/" + to.TrimStart('/') + suffix),
    "get" or "getmany" => await transfer.CopyAsync(s3, "/" + from.TrimStart('/'), local, Path.GetFullPath(to) + suffix),
    _ => throw new ArgumentException($"unknown command '{command}'"),
};

var clock = Stopwatch.StartNew();
var result = await Transfer("");
clock.Stop();
result.ThrowIfFailed();
var line = string.Create(CultureInfo.InvariantCulture,
    $"{clock.Elapsed.TotalSeconds:0.00} s ({result.Files} files, {result.Bytes / 1048576.0:0.0} MiB, verified: {result.Transferred.All(f => f.Checksum is not null)})");
if (args.Length > 6 && args[6] == "again")
{
    clock.Restart();
    var again = await Transfer("-again");
    clock.Stop();
    again.ThrowIfFailed();
    line += string.Create(CultureInfo.InvariantCulture, $"; again in the same process {clock.Elapsed.TotalSeconds:0.00} s");
}
Console.WriteLine(line);
return 0;
