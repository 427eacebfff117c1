// Data benchmark: generates a CSV of orders and runs a YAML pipeline through the engine (PipelineExecutor), printing
// rows/s and the process's peak working set. bench/data.sh runs it beside pandas, Miller and awk on the same file.
//   generate <path> <rows>          ids, names, countries, decimals, timestamps (no field needs quoting, so awk is fair)
//   run <pipeline.yml> [name=value ...]
using System.Diagnostics;
using System.Globalization;
using System.Text;
using Pipeline.Core.Definitions;
using Pipeline.Core.Execution;
using Pipeline.Core.Steps;
using Pipeline.Core.Steps.Data.Transforms;

return args.FirstOrDefault() switch
{
    "generate" when args.Length == 3 => Generate(args[1], long.Parse(args[2], CultureInfo.InvariantCulture)),
    "run" when args.Length >= 2 => await RunAsync(args[1], args.Skip(2).ToArray()),
    "parse" when args.Length == 2 => await ParseAsync(args[1]),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: Pipeline.Bench.Data generate <path> <rows> | run <pipeline.yml> [name=value ...]");
    return 2;
}

static int Generate(string path, long rows)
{
    string[] countries = ["DE", "FR", "US", "GB", "NL", "SE", "ES", "IT", "PL", "JP"];
    var random = new Random(42);
    var start = new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc);
    using var file = new StreamWriter(path, false, new UTF8Encoding(false), 1 << 20);
    file.Write("id,customer,country,amount,ordered_at\n");
    Span<char> buffer = stackalloc char[128];
    for (long i = 1; i <= rows; i++)
    {
        var cents = random.Next(1, 100_000_00);
        var at = start.AddSeconds(random.Next(0, 365 * 24 * 3600));
        var line = string.Create(CultureInfo.InvariantCulture,
            $"{i},customer_{random.Next(1, 1_000_000)},{countries[random.Next(countries.Length)]},{cents / 100}.{cents % 100:00},{at:yyyy-MM-dd'T'HH:mm:ss'Z'}\n");
        file.Write(line);
    }
    return 0;
}

// The CSV parser alone (no values, no records), to tell parsing from the rest when profiling.
static async Task<int> ParseAsync(string path)
{
    for (var round = 0; round < 3; round++)
    {
        var watch = Stopwatch.StartNew();
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.Asynchronous | FileOptions.SequentialScan);
        using var parser = new Pipeline.Core.Steps.Data.Formats.CsvParser(stream, "utf-8", ',', '"', '"');
        long records = 0, chars = 0;
        while (true)
        {
            var status = parser.TryReadRecord();
            if (status == Pipeline.Core.Steps.Data.Formats.CsvStatus.End) break;
            if (status == Pipeline.Core.Steps.Data.Formats.CsvStatus.NeedMore) { await parser.FillAsync(default); continue; }
            records++;
            for (var i = 0; i < parser.FieldCount; i++) chars += parser.Field(i).Length;
        }
        var used = Process.GetCurrentProcess().TotalProcessorTime - cpu;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"parse: {records} records, {chars} chars in {watch.Elapsed.TotalSeconds:0.000} s wall, {used.TotalSeconds:0.000} s cpu"));
    }
    return 0;
}

static async Task<int> RunAsync(string yamlPath, string[] variables)
{
    var registry = StepTypeRegistry.CreateDefault();
    // The transforms may not be registered as built-ins yet on this branch; the benchmark needs them either way.
    foreach (var handler in new IStepHandler[] { new FilterStep(), new DeriveStep(), new AggregateStep() })
    {
        if (!registry.TryGet(handler.Info.Name, out _)) registry.Register(handler);
    }
    var definition = DefinitionLoader.LoadFile(Path.GetFullPath(yamlPath), registry);
    var executor = new PipelineExecutor(registry);
    var vars = variables.Select(v => v.Split('=', 2)).ToDictionary(p => p[0], p => p[1]);

    var watch = Stopwatch.StartNew();
    using var sampler = new HeapSampler();
    var result = await executor.RunAsync(new RunRequest { Definition = definition, Variables = vars, Parallel = true });
    watch.Stop();
    sampler.Dispose();
    using var self = Process.GetCurrentProcess();
    self.Refresh();
    if (result.Status != Pipeline.Core.State.RunStatus.Succeeded)
    {
        Console.Error.WriteLine($"run {result.Status}: {result.Error}");
        return 1;
    }
    var read = result.Steps.Where(s => s.StepId == "read").Select(s => s.Rows).FirstOrDefault();
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"engine: {read} rows read in {watch.Elapsed.TotalSeconds:0.00} s = {read / watch.Elapsed.TotalSeconds:0} rows/s, peak working set {self.PeakWorkingSet64 / (1024 * 1024)} MiB"));
    foreach (var step in result.Steps)
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {step.StepId,-10} {step.Rows,12} rows"));
    Console.WriteLine(sampler.Report());
    return 0;
}

// Where the peak comes from: the GC heap (live and not yet collected), what the GC has committed, and the rest of the
// working set (runtime, JIT, native buffers), sampled every 10 ms, with the collections per generation.
sealed class HeapSampler : IDisposable
{
    private readonly Timer _timer;
    private long _heap, _committed, _workingSet, _afterGc;

    public HeapSampler() => _timer = new Timer(_ => Sample(), null, 0, 10);

    private void Sample()
    {
        var info = GC.GetGCMemoryInfo();
        _heap = Math.Max(_heap, GC.GetTotalMemory(false));
        _committed = Math.Max(_committed, info.TotalCommittedBytes);
        _afterGc = Math.Max(_afterGc, info.HeapSizeBytes);
        _workingSet = Math.Max(_workingSet, Environment.WorkingSet);
    }

    public void Dispose() => _timer.Dispose();

    public string Report()
    {
        const double MiB = 1 << 20;
        var info = GC.GetGCMemoryInfo();
        return string.Create(CultureInfo.InvariantCulture,
            $"  gc: max heap {_heap / MiB:0} MiB, max heap after a gc {_afterGc / MiB:0} MiB, max committed {_committed / MiB:0} MiB, max working set {_workingSet / MiB:0} MiB; " +
            $"collections gen0 {GC.CollectionCount(0)} gen1 {GC.CollectionCount(1)} gen2 {GC.CollectionCount(2)}, allocated {GC.GetTotalAllocatedBytes() / MiB:0} MiB, " +
            $"pause {GC.GetTotalPauseDuration().TotalSeconds:0.00} s, concurrent {System.Runtime.GCSettings.LatencyMode}");
    }
}
