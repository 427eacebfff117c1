// sql.write throughput by batch size, on SQLite and PostgreSQL (INSERT and binary COPY), beside the databases' own
// bulk loaders on the same rows in the same run: sqlite3's .import and psql's \copy of the same rows as CSV.
//
//   dotnet run -c Release --project bench/Pipeline.Bench.Sql [ROWS]
//   PIPELINE_BENCH_PG="Host=127.0.0.1;Port=5432;Username=...;Password=...;Database=..." (optional: PostgreSQL too)
using System.Diagnostics;
using System.Globalization;
using System.Text;
using Pipeline.Core.Records;
using Pipeline.Core.Steps;
using Pipeline.Core.Steps.Data.Sql;

var rows = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 100_000;
var postgres = Environment.GetEnvironmentVariable("PIPELINE_BENCH_PG");
var dir = Directory.CreateTempSubdirectory("pipeline-bench-sql-").FullName;
var schema = new RecordSchema([
    new RecordField("id", FieldType.Integer), new RecordField("customer", FieldType.String), new RecordField("amount", FieldType.Decimal),
    new RecordField("day", FieldType.Date), new RecordField("at", FieldType.Timestamp), new RecordField("paid", FieldType.Boolean)]);
var batches = new List<RecordBatch>();
for (var start = 1; start <= rows; start += 1024)
{
    var list = new List<object?[]>();
    for (var id = start; id < start + 1024 && id <= rows; id++)
        list.Add([(long)id, "customer " + id % 977, id * 1.25m, new DateOnly(2026, 11, 1).AddDays(id % 20), new DateTimeOffset(2026, 11, 21, 10, 0, 0, TimeSpan.Zero).AddSeconds(id), id % 2 == 0]);
    batches.Add(new RecordBatch(schema, list));
}
var csv = Path.Combine(dir, "orders.csv");
await using (var writer = new StreamWriter(csv, false, new UTF8Encoding(false)))
{
    foreach (var row in batches.SelectMany(b => b.Rows))
        await writer.WriteLineAsync(string.Join(',', ((long)row[0]!).ToString(CultureInfo.InvariantCulture), row[1], ((decimal)row[2]!).ToString(CultureInfo.InvariantCulture),
            ((DateOnly)row[3]!).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), ((DateTimeOffset)row[4]!).ToString("o", CultureInfo.InvariantCulture), (bool)row[5]! ? "true" : "false"));
}

Console.WriteLine($"sql.write, {rows:N0} rows (6 columns), load average {File.ReadAllText("/proc/loadavg").Split(' ')[0]}");
Console.WriteLine($"{"target",-32} {"batch",8} {"seconds",9} {"rows/s",12}");
int[] sizes = [100, 1000, 5000, 20000];
foreach (var size in sizes)
    await Measure($"SQLite INSERT", "sqlite:" + Path.Combine(dir, "bench.db"), size, copy: false);
Report("sqlite3 .import (reference)", 0, Time(() => Run("sqlite3", Path.Combine(dir, "ref.db"), $".import --csv {csv} orders")));
if (postgres is not null)
{
    foreach (var size in sizes) await Measure("PostgreSQL INSERT", postgres, size, copy: false);
    foreach (var size in sizes) await Measure("PostgreSQL COPY", postgres, size, copy: true);
    var b = new Npgsql.NpgsqlConnectionStringBuilder(postgres);
    Environment.SetEnvironmentVariable("PGPASSWORD", b.Password);
    var psql = $"-h {b.Host} -p {b.Port} -U {b.Username} -d {b.Database} -q -c";
    Run("psql", psql.Split(' ').Append("DROP TABLE IF EXISTS ref; CREATE TABLE ref (id bigint, customer text, amount numeric, day date, at timestamptz, paid boolean)").ToArray());
    Report("psql \\copy (reference)", 0, Time(() => Run("psql", psql.Split(' ').Append($"\\copy ref FROM '{csv}' CSV").ToArray())));
}
Directory.Delete(dir, recursive: true);

async Task Measure(string name, string connection, int batchSize, bool copy)
{
    var step = new SqlWriteStep();
    var options = new Dictionary<string, object?>
    {
        ["connection"] = connection, ["table"] = "orders", ["mode"] = "truncate", ["batch_size"] = batchSize.ToString(CultureInfo.InvariantCulture),
        ["copy"] = copy ? "true" : "false",
    };
    var context = new StepContext("bench", "run-" + Guid.NewGuid().ToString("N")[..8], "load", 1, new StepOptions(options), new Dictionary<string, string>(), (_, _) => { })
    {
        WorkingDirectory = dir,
        Inputs = new Dictionary<string, IAsyncEnumerable<RecordBatch>> { ["extract"] = batches.ToAsyncEnumerable() },
    };
    var watch = Stopwatch.StartNew();
    await step.ExecuteAsync(context, CancellationToken.None);
    Report(name, batchSize, watch.Elapsed);
}

void Report(string name, int batchSize, TimeSpan elapsed) =>
    Console.WriteLine($"{name,-32} {(batchSize == 0 ? "-" : batchSize.ToString("N0", CultureInfo.InvariantCulture)),8} {elapsed.TotalSeconds,9:F2} {rows / elapsed.TotalSeconds,12:N0}");

static TimeSpan Time(Action action)
{
    var watch = Stopwatch.StartNew();
    action();
    return watch.Elapsed;
}

static void Run(string file, params string[] arguments)
{
    var start = new ProcessStartInfo(file) { RedirectStandardError = true, RedirectStandardOutput = true };
    foreach (var a in arguments) start.ArgumentList.Add(a);
    using var process = Process.Start(start)!;
    var error = process.StandardError.ReadToEnd();
    process.WaitForExit();
    if (process.ExitCode != 0) throw new InvalidOperationException($"{file} failed: {error}");
}
