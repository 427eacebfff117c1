using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using Npgsql;

namespace Pipeline.Core.Tests.Support;

/// <summary>
/// A real PostgreSQL server (Debian's binaries, /usr/lib/postgresql/VERSION/bin) that the tests start themselves in a
/// temporary directory, listening on 127.0.0.1 at a free port with password (SCRAM) logins only, and stop afterwards.
/// initdb and postgres refuse to run as root: as root they run as the 'postgres' account (which Debian's package
/// creates) through setpriv, and the directory is handed to that account.
/// One server serves every test of the <see cref="PostgresCollection"/>; each test takes a database of its own.
/// </summary>
public sealed class PostgresServer : IAsyncLifetime
{
    public const string User = "etl";

    // A test fixture, not a secret: the server listens on 127.0.0.1 only, for the duration of the tests.
    public const string Password = "etl-test-pw-7Qx";

    private const string Admin = "pipeline_admin";
    private const string AdminPassword = "admin-test-pw-3Kd";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private Process? _process;
    private string? _root;
    private readonly StringBuilder _log = new();

    public int Port { get; private set; }

    /// <summary>Why the server cannot run here, or null.</summary>
    public static string? MissingReason()
    {
        if (!OperatingSystem.IsLinux()) return "The PostgreSQL tests run on Linux (Debian's postgresql package).";
        if (Binaries() is null)
            return "PostgreSQL's server binaries are missing (/usr/lib/postgresql/*/bin/initdb): install the Debian package postgresql (.ci/provision.d/postgresql.sh).";
        if (IsRoot() && !AccountExists("postgres"))
            return "The tests run as root, and initdb refuses root: the 'postgres' account (created by the Debian package postgresql) is missing.";
        return null;
    }

    /// <summary>A connection string for the test user to <paramref name="database"/>.</summary>
    public string ConnectionString(string database, string? password = Password) =>
        new NpgsqlConnectionStringBuilder
        {
            Host = "127.0.0.1",
            Port = Port,
            Username = User,
            Password = password,
            Database = database,
            Pooling = false,
        }.ConnectionString;

    /// <summary>A new, empty database owned by the test user.</summary>
    public async Task<string> CreateDatabaseAsync()
    {
        var name = "t_" + Guid.NewGuid().ToString("N")[..12];
        await using var connection = await OpenAdminAsync("postgres");
        await using var command = connection.CreateCommand();
        command.CommandText = $"CREATE DATABASE {name} OWNER {User}";
        await command.ExecuteNonQueryAsync();
        return name;
    }

    /// <summary>Runs SQL as the test user and returns the first column of the first row.</summary>
    public async Task<object?> ScalarAsync(string database, string sql)
    {
        await using var connection = new NpgsqlConnection(ConnectionString(database));
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        var value = await command.ExecuteScalarAsync();
        return value is DBNull ? null : value;
    }

    public async Task<NpgsqlConnection> OpenAsync(string database)
    {
        var connection = new NpgsqlConnection(ConnectionString(database));
        await connection.OpenAsync();
        return connection;
    }

    public async Task InitializeAsync()
    {
        if (MissingReason() is { } reason)
        {
            // The tests are skipped then (PostgresFact), unless on CI, where they must fail.
            if (Environment.GetEnvironmentVariable("CI") != "true") return;
            throw new InvalidOperationException($"PostgreSQL cannot run: {reason} CI must provision it (.ci/provision.d/postgresql.sh).");
        }
        var bin = Binaries()!;
        _root = Directory.CreateTempSubdirectory("pipeline-pg-").FullName;
        var data = Path.Combine(_root, "data");
        var passwordFile = Path.Combine(_root, "pw");
        await File.WriteAllTextAsync(passwordFile, AdminPassword + "\n");
        if (IsRoot()) await RunAsync("chown", "-R", "postgres:postgres", _root);

        await RunAsync(AsServerAccount(Path.Combine(bin, "initdb"), "-D", data, "-U", Admin, "--pwfile", passwordFile,
            "--auth-host=scram-sha-256", "--auth-local=scram-sha-256", "-E", "UTF8", "--locale=C", "--no-sync"));
        Port = FreePort();
        var start = AsServerAccount(Path.Combine(bin, "postgres"), "-D", data, "-p", Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "-k", _root, "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
            "-c", "max_connections=50", "-c", "logging_collector=off");
        _process = await StartAsync(start);
        // Npgsql answers "the database system is starting up" for a moment after the port opens.
        var until = DateTime.UtcNow + Patience;
        while (true)
        {
            try
            {
                await using var connection = await OpenAdminAsync("postgres");
                await using var command = connection.CreateCommand();
                command.CommandText = $"CREATE ROLE {User} LOGIN CREATEDB PASSWORD '{Password}'";
                await command.ExecuteNonQueryAsync();
                break;
            }
            catch (PostgresException ex) when (ex.SqlState == "57P03" && DateTime.UtcNow < until)
            {
                await Task.Delay(100);
            }
        }
    }

    public async Task DisposeAsync()
    {
        if (_process is { HasExited: false })
        {
            // SIGINT: PostgreSQL's fast shutdown (roll back, disconnect, stop).
            _ = Kill(_process.Id, 2);
            if (!_process.WaitForExit(TimeSpan.FromSeconds(20))) _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process?.Dispose();
        if (_root is not null)
        {
            try
            {
                Directory.Delete(_root, recursive: true);
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
        }
    }

    private async Task<NpgsqlConnection> OpenAdminAsync(string database)
    {
        var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder
        {
            Host = "127.0.0.1",
            Port = Port,
            Username = Admin,
            Password = AdminPassword,
            Database = database,
            Pooling = false,
        }.ConnectionString);
        await connection.OpenAsync();
        return connection;
    }

    private async Task<Process> StartAsync(ProcessStartInfo start)
    {
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.UseShellExecute = false;
        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, e) => { lock (_log) _log.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { lock (_log) _log.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var until = DateTime.UtcNow + Patience;
        while (DateTime.UtcNow < until)
        {
            if (process.HasExited)
            {
                lock (_log) throw new InvalidOperationException($"postgres exited with {process.ExitCode}: {_log}");
            }
            try
            {
                using var probe = new TcpClient();
                await probe.ConnectAsync(IPAddress.Loopback, Port);
                return process;
            }
            catch (SocketException)
            {
                await Task.Delay(50);
            }
        }
        lock (_log) throw new InvalidOperationException($"postgres did not listen on port {Port} within {Patience.TotalSeconds:0} s: {_log}");
    }

    private static ProcessStartInfo AsServerAccount(string executable, params string[] arguments)
    {
        var start = new ProcessStartInfo();
        if (IsRoot())
        {
            start.FileName = "setpriv";
            foreach (var a in new[] { "--reuid=postgres", "--regid=postgres", "--init-groups", "--", executable }) start.ArgumentList.Add(a);
        }
        else
        {
            start.FileName = executable;
        }
        foreach (var a in arguments) start.ArgumentList.Add(a);
        // A locale the server's account may lack must not stop initdb.
        start.Environment["LC_ALL"] = "C";
        start.Environment["LANG"] = "C";
        return start;
    }

    private static Task RunAsync(string executable, params string[] arguments)
    {
        var start = new ProcessStartInfo(executable);
        foreach (var a in arguments) start.ArgumentList.Add(a);
        return RunAsync(start);
    }

    private static async Task RunAsync(ProcessStartInfo start)
    {
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.UseShellExecute = false;
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(Patience);
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{start.FileName} {string.Join(' ', start.ArgumentList)} exited with {process.ExitCode}: {await stdout}{await stderr}");
    }

    private static string? Binaries() =>
        Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql")
                .Select(d => Path.Combine(d, "bin"))
                .Where(d => File.Exists(Path.Combine(d, "initdb")) && File.Exists(Path.Combine(d, "postgres")))
                .OrderByDescending(d => int.TryParse(Path.GetFileName(Path.GetDirectoryName(d)), out var v) ? v : 0)
                .FirstOrDefault()
            : null;

    private static bool IsRoot() => OperatingSystem.IsLinux() && GetEuid() == 0;

    private static bool AccountExists(string name) => File.ReadLines("/etc/passwd").Any(l => l.StartsWith(name + ":", StringComparison.Ordinal));

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    [DllImport("libc", EntryPoint = "geteuid")]
    private static extern uint GetEuid();

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);
}

/// <summary>The tests that share one PostgreSQL server (they run one after another).</summary>
[CollectionDefinition(Name)]
public sealed class PostgresCollection : ICollectionFixture<PostgresServer>
{
    public const string Name = "PostgreSQL";
}

/// <summary>A test that needs PostgreSQL: skipped where its server binaries are missing, except on CI (CI=true), where it fails.</summary>
public sealed class PostgresFactAttribute : FactAttribute
{
    public PostgresFactAttribute()
    {
        if (PostgresServer.MissingReason() is { } reason && Environment.GetEnvironmentVariable("CI") != "true")
            Skip = reason;
    }
}

/// <summary>A theory that needs PostgreSQL: skipped where its server binaries are missing, except on CI (CI=true), where it fails.</summary>
public sealed class PostgresTheoryAttribute : TheoryAttribute
{
    public PostgresTheoryAttribute()
    {
        if (PostgresServer.MissingReason() is { } reason && Environment.GetEnvironmentVariable("CI") != "true")
            Skip = reason;
    }
}
