// Takes a run slot in the run store from a process of its own, and talks to the test over stdin/stdout:
//
//   Pipeline.StateProbe <database> <pipeline> <run> [--concurrency N] [--wait-go] [--exit-without-release]
//
// Prints READY once the store is open (and with --wait-go waits for a line before acquiring, so several probes
// can race), then ACQUIRED [taken-over run ids...] or LOCKED <message>. A holder records its run as started, then
// either exits at once without releasing (--exit-without-release, exit code 3) or waits for a line (or the end of
// stdin), releases, records the run as succeeded and prints RELEASED.
using Pipeline.Core.State;

if (args.Length < 3)
{
    Console.Error.WriteLine("usage: Pipeline.StateProbe <database> <pipeline> <run> [--concurrency N] [--wait-go] [--exit-without-release]");
    return 64;
}
var (database, pipeline, run) = (args[0], args[1], args[2]);
var concurrency = 1;
var waitGo = false;
var exitWithoutRelease = false;
for (var i = 3; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--concurrency" when i + 1 < args.Length && int.TryParse(args[i + 1], out var n):
            concurrency = n;
            i++;
            break;
        case "--wait-go":
            waitGo = true;
            break;
        case "--exit-without-release":
            exitWithoutRelease = true;
            break;
        default:
            Console.Error.WriteLine($"unknown argument '{args[i]}'");
            return 64;
    }
}

await using var store = new SqliteRunStore(database);
Console.WriteLine("READY");
if (waitGo) Console.ReadLine();

RunLock held;
try
{
    held = await store.AcquireLockAsync(pipeline, run, concurrency);
}
catch (RunLockedException ex)
{
    Console.WriteLine("LOCKED " + ex.Message);
    return 2;
}
await store.StartRunAsync(new RunRecord { RunId = run, PipelineId = pipeline, StartedAt = DateTimeOffset.UtcNow });
Console.WriteLine(string.Join(' ', ["ACQUIRED", .. held.TakenOverFrom]));

if (exitWithoutRelease) Environment.Exit(3);

Console.ReadLine();
await held.DisposeAsync();
await store.FinishRunAsync(run, RunStatus.Succeeded, DateTimeOffset.UtcNow, null);
Console.WriteLine("RELEASED");
return 0;
