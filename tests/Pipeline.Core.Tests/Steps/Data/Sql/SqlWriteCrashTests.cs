using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using Pipeline.Core.Tests.Support;

namespace Pipeline.Core.Tests.Steps.Data.Sql;

/// <summary>
/// The real <c>pipeline</c> command (copied to Cli/ beside the tests) loads many rows and is killed (SIGKILL) in the
/// middle of the load; <c>pipeline run --resume</c> then finishes it, and the table holds every row exactly once.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed partial class SqlWriteCrashTests : IDisposable
{
    private const int Rows = 200_000;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(120);

    private readonly PostgresServer _server;
    private readonly TempDirectory _dir = new();

    public SqlWriteCrashTests(PostgresServer server)
    {
        _server = server;
        SqliteFile.Execute(_dir["source.db"], $"""
            CREATE TABLE src (id INTEGER PRIMARY KEY, name TEXT, amount DECIMAL);
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {Rows})
            INSERT INTO src SELECT i, 'name ' || i, i * 0.01 FROM n;
            """);
    }

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task A_sqlite_load_killed_mid_way_and_resumed_holds_every_row_once()
    {
        var target = _dir["target.db"];
        await CrashAndResumeAsync("sqlite:target.db", () => Task.FromResult(Count(target, "SELECT count(*) FROM loaded")),
            () => Task.FromResult((Count(target, "SELECT count(*) FROM loaded"), Count(target, "SELECT count(DISTINCT id) FROM loaded"))),
            environment: []);
    }

    [PostgresFact]
    public async Task A_postgresql_load_killed_mid_way_and_resumed_holds_every_row_once()
    {
        var database = await _server.CreateDatabaseAsync();
        async Task<long> CountAsync(string sql)
        {
            try
            {
                return Convert.ToInt64(await _server.ScalarAsync(database, sql));
            }
            catch (Npgsql.PostgresException ex) when (ex.SqlState == "42P01")
            {
                return 0; // not created yet
            }
        }
        // The password reaches the command only as a secret (from the environment), never in the definition.
        await CrashAndResumeAsync($"postgresql://{PostgresServer.User}:{{secret:PG_TEST_PASSWORD}}@127.0.0.1:{_server.Port}/{database}",
            () => CountAsync("SELECT count(*) FROM loaded"),
            async () => (await CountAsync("SELECT count(*) FROM loaded"), await CountAsync("SELECT count(DISTINCT id) FROM loaded")),
            environment: new Dictionary<string, string> { ["PG_TEST_PASSWORD"] = PostgresServer.Password });
    }

    private async Task CrashAndResumeAsync(string connection, Func<Task<long>> loaded, Func<Task<(long Count, long Distinct)>> final, Dictionary<string, string> environment)
    {
        _dir.Write("load.yml", $$"""
            pipeline_id: crash
            variables:
              last: "{{Rows}}"
            steps:
              - id: extract
                type: sql.read
                with:
                  connection: "sqlite:source.db"
                  query: "SELECT id, name, amount FROM src WHERE id <= {last} ORDER BY id"
              - id: load
                type: sql.write
                input: extract
                with:
                  connection: "{{connection}}"
                  table: loaded
                  batch_size: 250
                  copy: false
            """);

        string runId;
        using (var first = Start(environment, "run", "load.yml"))
        {
            runId = await first.RunIdAsync();
            // Kill once a good part, and not all, of the rows are in: SIGKILL, no chance to clean up.
            var until = DateTime.UtcNow + Patience;
            while (await loaded() < Rows / 10)
            {
                Assert.True(DateTime.UtcNow < until && !first.Process.HasExited, $"The load did not get going.{Environment.NewLine}{first.Output}");
                await Task.Delay(10);
            }
            first.Process.Kill(entireProcessTree: true);
            await first.Process.WaitForExitAsync().WaitAsync(Patience);
        }
        var atCrash = await loaded();
        Assert.True(atCrash < Rows, $"The load finished ({atCrash} rows) before it was killed; the test needs a slower load.");
        Assert.Equal(0, atCrash % 250); // whole batches only

        using var resumed = Start(environment, "run", "--resume", runId);
        await resumed.Process.WaitForExitAsync().WaitAsync(Patience);
        Assert.True(resumed.Process.ExitCode == 0, resumed.Output);

        var (count, distinct) = await final();
        Assert.Equal(Rows, count);
        Assert.Equal(Rows, distinct);
        Assert.DoesNotContain(PostgresServer.Password, resumed.Output);
    }

    private static long Count(string path, string sql)
    {
        try
        {
            return File.Exists(path) ? Convert.ToInt64(SqliteFile.Scalar(path, sql)) : 0;
        }
        catch (Microsoft.Data.Sqlite.SqliteException ex) when (ex.SqliteErrorCode is 1 or 5)
        {
            return 0; // no table yet, or busy for a moment
        }
    }

    private Child Start(Dictionary<string, string> environment, params string[] arguments)
    {
        var cli = Path.Combine(AppContext.BaseDirectory, "Cli", "pipeline.dll");
        Assert.True(File.Exists(cli), $"The pipeline command is missing at {cli}; the test project's build copies it there from src/Pipeline.Cli.");
        var start = new ProcessStartInfo(DotnetHost())
        {
            WorkingDirectory = _dir.Path,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(cli);
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        start.ArgumentList.Add("--state-dir");
        start.ArgumentList.Add(_dir["state"]);
        start.Environment["NO_COLOR"] = "1";
        start.Environment.Remove("PIPELINE_SECRETS_FILE");
        foreach (var (name, value) in environment) start.Environment[name] = value;
        return new Child(System.Diagnostics.Process.Start(start)!);
    }

    private static string DotnetHost()
    {
        var fromSdk = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        if (!string.IsNullOrEmpty(fromSdk) && File.Exists(fromSdk)) return fromSdk;
        var current = Environment.ProcessPath;
        return current is not null && Path.GetFileNameWithoutExtension(current).Equals("dotnet", StringComparison.OrdinalIgnoreCase) ? current : "dotnet";
    }

    [GeneratedRegex(@"Run (\d{8}-\d{6}-[0-9a-f]{6}) of 'crash' started")]
    private static partial Regex RunStarted();

    /// <summary>A running command with its output gathered.</summary>
    private sealed class Child : IDisposable
    {
        private readonly StringBuilder _output = new();
        private readonly TaskCompletionSource<string> _runId = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Child(System.Diagnostics.Process process)
        {
            Process = process;
            process.OutputDataReceived += (_, e) => OnLine(e.Data);
            process.ErrorDataReceived += (_, e) => OnLine(e.Data);
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
        }

        public System.Diagnostics.Process Process { get; }

        public string Output
        {
            get
            {
                lock (_output) return _output.ToString();
            }
        }

        public async Task<string> RunIdAsync()
        {
            try
            {
                return await _runId.Task.WaitAsync(Patience);
            }
            catch (TimeoutException)
            {
                throw new TimeoutException($"The command printed no 'Run ... started' line.{Environment.NewLine}{Output}");
            }
        }

        public void Dispose()
        {
            if (!Process.HasExited) Process.Kill(entireProcessTree: true);
            Process.Dispose();
        }

        private void OnLine(string? line)
        {
            if (line is null) return;
            lock (_output) _output.AppendLine(line);
            if (RunStarted().Match(line) is { Success: true } match) _runId.TrySetResult(match.Groups[1].Value);
        }
    }
}
