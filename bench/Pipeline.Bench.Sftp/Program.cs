// Times the SFTP provider on the same transfers that bench/sftp.sh gives OpenSSH's sftp and scp, against the same sshd.
// Usage: Pipeline.Bench.Sftp --endpoint sftp://user@127.0.0.1:PORT/REMOTE_DIR --key FILE --known-hosts FILE
//          --local DIR [--results FILE] [--label NAME] [--set key=value]... [--parallel N] [--only big|small|transfer|put-big|get-big|put-small|get-small|put-transfer|get-transfer,...]
// Every run connects inside its timed region, as sftp and scp do. Results: "label<TAB>case<TAB>seconds<TAB>bytes".
using System.Diagnostics;
using System.Globalization;
using Pipeline.RemoteFs;
using Pipeline.RemoteFs.Local;
using Pipeline.RemoteFs.Sftp;
using Pipeline.RemoteFs.Transfers;

var options = new Dictionary<string, string>();
var settings = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase) { ["ssh_config"] = "none" };
for (var i = 0; i < args.Length; i += 2)
{
    if (i + 1 >= args.Length) throw new ArgumentException($"The option {args[i]} needs a value.");
    if (args[i] == "--set")
    {
        var pair = args[i + 1].Split('=', 2);
        settings[pair[0]] = pair[1];
    }
    else
    {
        options[args[i].TrimStart('-')] = args[i + 1];
    }
}
string Need(string name) => options.TryGetValue(name, out var value) ? value : throw new ArgumentException($"--{name} is required.");
var endpoint = RemoteEndpoint.Parse(Need("endpoint"));
var local = Need("local");
settings["known_hosts"] = Need("known-hosts");
var label = options.GetValueOrDefault("label", "pipeline");
var parallel = int.Parse(options.GetValueOrDefault("parallel", "8"), CultureInfo.InvariantCulture);
var only = options.GetValueOrDefault("only", "");
// "transfer" (the transfer layer with its defaults: MD5 verification on) runs only when asked for.
bool Runs(string group, string direction) =>
    (only == "" && group != "transfer") || only.Split(',').Any(o => o == group || o == direction + "-" + group);
var results = options.GetValueOrDefault("results");
var connection = new RemoteConnectionOptions { KeyFile = Need("key"), Settings = settings };
var provider = new SftpFileSystemProvider();

var exceptions = 0;
AppDomain.CurrentDomain.FirstChanceException += (_, _) => Interlocked.Increment(ref exceptions);

async Task Measure(string name, long bytes, Func<IRemoteFileSystem, Task> body)
{
    var (group, direction) = (name.Contains("verified") ? "transfer" : name.Contains("GiB") ? "big" : "small", name[..3]);
    if (!Runs(group, direction)) return;
    var (user, system) = (Process.GetCurrentProcess().UserProcessorTime, Process.GetCurrentProcess().PrivilegedProcessorTime);
    var (exceptionsBefore, gcBefore, workItemsBefore) = (exceptions, GC.CollectionCount(0), ThreadPool.CompletedWorkItemCount);
    // As bench/sftp.sh does before each reference row: nothing left for the disk to write from the case before.
    using (var sync = Process.Start("sync")) sync.WaitForExit();
    var clock = Stopwatch.StartNew();
    await using (var fs = await provider.ConnectAsync(endpoint, connection))
        await body(fs);
    var seconds = clock.Elapsed.TotalSeconds;
    using var self = Process.GetCurrentProcess();
    (user, system) = (self.UserProcessorTime - user, self.PrivilegedProcessorTime - system);
    var line = string.Create(CultureInfo.InvariantCulture, $"{label}\t{name}\t{seconds:0.000}\t{bytes}");
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{label,-28} {name,-14} {seconds,8:0.000} s {bytes / seconds / 1e6,9:0.0} MB/s  (this process: {user.TotalSeconds:0.00} s user + {system.TotalSeconds:0.00} s system CPU, {exceptions - exceptionsBefore} exceptions, {GC.CollectionCount(0) - gcBefore} GCs, {ThreadPool.CompletedWorkItemCount - workItemsBefore} thread-pool work items)"));
    if (results is not null) File.AppendAllText(results, line + "\n");
}

if (Runs("big", "put") || Runs("big", "get"))
{
    var big = Path.Combine(local, "big.bin");
    var size = new FileInfo(big).Length;
    await Measure("put 1 GiB", size, async fs =>
    {
        await using var input = new FileStream(big, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.SequentialScan);
        await using var output = await fs.OpenWriteAsync("big-pipeline.bin", new WriteOptions { ExpectedLength = size });
        await input.CopyToAsync(output, 1 << 20);
        await output.CommitAsync();
    });
    var downloaded = Path.Combine(local, "big-pipeline-get.bin");
    await Measure("get 1 GiB", size, async fs =>
    {
        await using var input = await fs.OpenReadAsync("big.bin");
        await using var output = new FileStream(downloaded, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
        await input.CopyToAsync(output, 1 << 20);
    });
    File.Delete(downloaded);
}

if (Runs("small", "put") || Runs("small", "get"))
{
    var files = Directory.GetFiles(Path.Combine(local, "small")).Order(StringComparer.Ordinal).ToArray();
    var total = files.Sum(f => new FileInfo(f).Length);
    var target = Path.Combine(local, "small-pipeline-get");
    Directory.CreateDirectory(target);
    var limits = new ParallelOptions { MaxDegreeOfParallelism = parallel };
    await Measure($"put {files.Length} files", total, async fs =>
    {
        await fs.CreateDirectoryAsync("small-pipeline");
        await Parallel.ForEachAsync(files, limits, async (file, cancellationToken) =>
        {
            // Small local files: synchronous I/O costs less than a thread-pool hop. The length is told, as the transfer
            // layer tells it.
            var content = File.ReadAllBytes(file);
            await using var output = await fs.OpenWriteAsync("small-pipeline/" + Path.GetFileName(file), new WriteOptions { CreateParents = false, ExpectedLength = content.Length }, cancellationToken);
            await output.WriteAsync(content, cancellationToken);
            await output.CommitAsync(cancellationToken);
        });
    });
    await Measure($"get {files.Length} files", total, async fs =>
    {
        await Parallel.ForEachAsync(files, limits, async (file, cancellationToken) =>
        {
            await using var input = await fs.OpenReadAsync("small/" + Path.GetFileName(file), cancellationToken: cancellationToken);
            var content = new MemoryStream(64 * 1024);
            await input.CopyToAsync(content, 1 << 16, cancellationToken);
            File.WriteAllBytes(Path.Combine(target, Path.GetFileName(file)), content.ToArray());
        });
    });
    Directory.Delete(target, recursive: true);
}

if (Runs("transfer", "put") || Runs("transfer", "get"))
{
    // What Copy-RemoteItem and the remote steps do: RemoteTransfer with its default options (MD5 verified after every
    // file: an upload to SFTP is read back over the connection, a download is hashed as it is written).
    var size = new FileInfo(Path.Combine(local, "big.bin")).Length;
    var transfer = new RemoteTransfer();
    var disk = new LocalFileSystem();
    static void Check(TransferResult result)
    {
        if (result.Failures.Count > 0 || result.Transferred.Any(f => f.Checksum is null))
            throw new InvalidOperationException("The verified transfer failed: " + string.Join("; ", result.Failures.Select(f => f.Error.Message)));
    }
    await Measure("put 1 GiB verified", size, async fs => Check(await transfer.CopyAsync(disk, Path.Combine(local, "big.bin"), fs, "big-pipeline.bin")));
    var downloaded = Path.Combine(local, "big-pipeline-get.bin");
    await Measure("get 1 GiB verified", size, async fs => Check(await transfer.CopyAsync(fs, "big.bin", disk, downloaded)));
    File.Delete(downloaded);
}
