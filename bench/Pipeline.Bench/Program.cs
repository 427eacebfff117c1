// Scheduling overhead of the engine: 10,000 no-op steps as one wide level and as one chain, with and without the
// run store, beside GNU make running the same graph of no-op targets (a reference DAG scheduler) in the same run.
// Usage: dotnet run -c Release --project bench/Pipeline.Bench -- [steps]
using System.Diagnostics;
using System.Globalization;
using Pipeline.Core.Definitions;
using Pipeline.Core.Execution;
using Pipeline.Core.State;
using Pipeline.Core.Steps;

const int Rounds = 3;
var steps = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 10_000;
var registry = StepTypeRegistry.CreateDefault();
var executor = new PipelineExecutor(registry);

PipelineDefinition Wide() => new()
{
    PipelineId = "bench-wide",
    Steps = Enumerable.Range(0, steps).Select(i => new StepDefinition { Id = "s" + i, Type = "noop" }).ToArray(),
};
PipelineDefinition Chain() => new()
{
    PipelineId = "bench-chain",
    Steps = Enumerable.Range(0, steps).Select(i => new StepDefinition { Id = "s" + i, Type = "noop", DependsOn = i == 0 ? [] : ["s" + (i - 1)] }).ToArray(),
};

// Warm up the JIT (tiered compilation promotes hot methods after some calls) on small graphs of both shapes in
// both modes, so that the first case measured pays for compilation no more than the last.
foreach (var warmParallel in new[] { false, true })
{
    await executor.RunAsync(new RunRequest
    {
        Definition = new PipelineDefinition { PipelineId = "warm", Steps = Enumerable.Range(0, 500).Select(i => new StepDefinition { Id = "w" + i, Type = "noop" }).ToArray() },
        Parallel = warmParallel,
        ThrottleLimit = 4,
    });
    await executor.RunAsync(new RunRequest
    {
        Definition = new PipelineDefinition { PipelineId = "warm", Steps = Enumerable.Range(0, 500).Select(i => new StepDefinition { Id = "w" + i, Type = "noop", DependsOn = i == 0 ? [] : ["w" + (i - 1)] }).ToArray() },
        Parallel = warmParallel,
        ThrottleLimit = 4,
    });
}

Console.WriteLine($"Scheduling overhead, {steps:N0} no-op steps ({Environment.ProcessorCount} cores, .NET {Environment.Version})");
Console.WriteLine();
Console.WriteLine($"best of {Rounds} rounds per case; cpu is the process's processor time (all threads) during plan+run, per step");
Console.WriteLine($"{"case",-42} {"plan",10} {"plan+run",10} {"per step",10} {"cpu per step",12}");
foreach (var (name, build) in new (string, Func<PipelineDefinition>)[] { ("wide", Wide), ("chain", Chain) })
{
    foreach (var (mode, parallel) in new[] { ("sequential", false), ("parallel x4", true) })
    {
        foreach (var withStore in new[] { false, true })
        {
            var definition = build();
            TimeSpan bestPlan = TimeSpan.MaxValue, bestRun = TimeSpan.MaxValue, bestCpu = TimeSpan.MaxValue;
            for (var round = 0; round < Rounds; round++)
            {
                var dir = Path.Combine(Path.GetTempPath(), "pipeline-bench-" + Guid.NewGuid().ToString("N"));
                Directory.CreateDirectory(dir);
                await using (var store = withStore ? new SqliteRunStore(Path.Combine(dir, "runs.db")) : null)
                {
                    GC.Collect();
                    var planWatch = Stopwatch.StartNew();
                    executor.Plan(definition);
                    planWatch.Stop();
                    var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
                    var watch = Stopwatch.StartNew();
                    var result = await executor.RunAsync(new RunRequest { Definition = definition, Parallel = parallel, ThrottleLimit = 4, Store = store });
                    watch.Stop();
                    var cpu = Process.GetCurrentProcess().TotalProcessorTime - cpuBefore;
                    if (!result.Succeeded) throw new InvalidOperationException($"The benchmark run failed: {result.Error}");
                    if (watch.Elapsed < bestRun) (bestRun, bestCpu) = (watch.Elapsed, cpu);
                    if (planWatch.Elapsed < bestPlan) bestPlan = planWatch.Elapsed;
                }
                Directory.Delete(dir, recursive: true);
            }
            var label = $"{name}, {mode}, {(withStore ? "SQLite run store" : "no run store")}";
            Console.WriteLine($"{label,-42} {Ms(bestPlan),10} {Ms(bestRun),10} {Us(bestRun / steps),10} {Us(bestCpu / steps),12}");
        }
    }
}

Console.WriteLine();
Console.WriteLine("Reference: GNU make, the same graph as phony targets without recipes (make -s, -j1 and -j4)");
foreach (var (name, chain) in new[] { ("wide", false), ("chain", true) })
{
    foreach (var jobs in new[] { 1, 4 })
    {
        var elapsed = RunMake(steps, chain, jobs);
        Console.WriteLine($"{$"make {name}, -j{jobs}",-42} {"",10} {(elapsed is null ? "n/a" : Ms(elapsed.Value)),10} {(elapsed is null ? "" : Us(elapsed.Value / steps)),10}");
    }
}

static string Ms(TimeSpan t) => t.TotalMilliseconds.ToString("N0", CultureInfo.InvariantCulture) + " ms";
static string Us(TimeSpan t) => (t.TotalMilliseconds * 1000).ToString("N1", CultureInfo.InvariantCulture) + " µs";

static TimeSpan? RunMake(int steps, bool chain, int jobs)
{
    var dir = Path.Combine(Path.GetTempPath(), "pipeline-bench-make-" + Guid.NewGuid().ToString("N"));
    Directory.CreateDirectory(dir);
    try
    {
        using (var writer = new StreamWriter(Path.Combine(dir, "Makefile")))
        {
            writer.WriteLine(".PHONY: all " + string.Join(' ', Enumerable.Range(0, steps).Select(i => "s" + i)));
            writer.WriteLine(chain ? $"all: s{steps - 1}" : "all: " + string.Join(' ', Enumerable.Range(0, steps).Select(i => "s" + i)));
            for (var i = 0; i < steps; i++)
                writer.WriteLine(chain && i > 0 ? $"s{i}: s{i - 1}" : $"s{i}:"); // no recipe: scheduling only, no shell
        }
        var info = new ProcessStartInfo("make", ["-s", "-j" + jobs, "-C", dir]) { RedirectStandardOutput = true, RedirectStandardError = true };
        var watch = Stopwatch.StartNew();
        using var process = Process.Start(info);
        if (process is null) return null;
        process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        watch.Stop();
        return process.ExitCode == 0 ? watch.Elapsed : null;
    }
    catch (System.ComponentModel.Win32Exception)
    {
        return null;
    }
    finally
    {
        Directory.Delete(dir, recursive: true);
    }
}
