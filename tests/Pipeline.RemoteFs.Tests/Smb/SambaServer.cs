using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Pipeline.RemoteFs.Tests.Support;

namespace Pipeline.RemoteFs.Tests.Smb;

/// <summary>
/// A real Samba smbd (Debian's package) started for one test class on 127.0.0.1 at a free port, with its own
/// smb.conf, private/lock/state/pid directories and passdb in a temp directory (no nmbd, no winbind). It serves
/// two shares as the test user (created by .ci/provision.d/samba.sh): <c>data</c>, and <c>secret</c> with
/// encryption required. Signing is a server-wide setting; dialects are forced with
/// <c>server min protocol</c>/<c>server max protocol</c> by <see cref="RestartAsync"/>.
/// </summary>
public sealed class SambaServer : IAsyncDisposable
{
    public const string Binary = "/usr/sbin/smbd";
    public const string User = "pipelinesmb";
    public const string Password = "pipeline-smb-test";

    private readonly string _directory;
    private Process? _process;

    private SambaServer(string directory, int port)
    {
        _directory = directory;
        Port = port;
    }

    public int Port { get; }
    public string MinProtocol { get; private set; } = "SMB2_02";
    public string MaxProtocol { get; private set; } = "SMB3_11";
    public bool SigningMandatory { get; private set; }

    /// <summary>The directory behind the share <c>data</c>.</summary>
    public string DataRoot => Path.Combine(_directory, "data");

    /// <summary>The directory behind the share <c>secret</c> (encryption required).</summary>
    public string SecretRoot => Path.Combine(_directory, "secret");

    private string Config => Path.Combine(_directory, "smb.conf");

    /// <summary>Why the server cannot run here, or null when it can.</summary>
    public static string? MissingReason()
    {
        if (!OperatingSystem.IsLinux()) return "Samba tests run on Linux only";
        if (!File.Exists(Binary)) return $"{Binary} is not installed (run .ci/provision.d/samba.sh)";
        if (!File.Exists("/usr/bin/pdbedit")) return "pdbedit is not installed (run .ci/provision.d/samba.sh)";
        if (!File.ReadLines("/etc/passwd").Any(l => l.StartsWith(User + ":", StringComparison.Ordinal)))
            return $"the test user '{User}' does not exist (run .ci/provision.d/samba.sh)";
        if (Environment.UserName != "root") return "smbd must be started as root to serve a share as the test user";
        return null;
    }

    public RemoteEndpoint Endpoint(string share = "data", string path = "") =>
        RemoteEndpoint.Parse($"smb://{User}@127.0.0.1:{Port}/{share}{path}");

    public RemoteConnectionOptions Options(string? password = null, IDictionary<string, string>? settings = null) => new()
    {
        Credential = new NetworkCredential(User, password ?? Password),
        Settings = new Dictionary<string, string>(settings ?? new Dictionary<string, string>(), StringComparer.OrdinalIgnoreCase),
        ConnectTimeout = TimeSpan.FromSeconds(10),
        OperationTimeout = TimeSpan.FromSeconds(30),
    };

    public static async Task<SambaServer> StartAsync(string minProtocol = "SMB2_02", string maxProtocol = "SMB3_11", bool signingMandatory = false)
    {
        if (MissingReason() is not null || !OperatingSystem.IsLinux())
            throw new InvalidOperationException($"smbd cannot run: {MissingReason()}. CI must provision it (.ci/provision.d/samba.sh).");
        var directory = Directory.CreateTempSubdirectory("pipeline-samba-").FullName;
        File.SetUnixFileMode(directory, (UnixFileMode)0b111_101_101);
        foreach (var sub in new[] { "private", "lock", "state", "cache", "pid", "ncalrpc", "data", "secret" })
            Directory.CreateDirectory(Path.Combine(directory, sub));
        Run(null, "chown", User + ":", Path.Combine(directory, "data"), Path.Combine(directory, "secret"));
        var server = new SambaServer(directory, ServerProcess.FreePort());
        server.WriteConfig(minProtocol, maxProtocol, signingMandatory);
        Run($"{Password}\n{Password}\n", "/usr/bin/pdbedit", "-s", server.Config, "-a", "-u", User, "-t");
        await server.StartProcessAsync();
        return server;
    }

    private void WriteConfig(string minProtocol, string maxProtocol, bool signingMandatory)
    {
        MinProtocol = minProtocol;
        MaxProtocol = maxProtocol;
        SigningMandatory = signingMandatory;
        string D(string sub) => Path.Combine(_directory, sub);
        File.WriteAllText(Config, $"""
            [global]
            server role = standalone server
            security = user
            workgroup = PIPELINE
            netbios name = PIPELINETEST
            map to guest = never
            restrict anonymous = 2
            ntlm auth = ntlmv2-only
            passdb backend = tdbsam:{D("private")}/passdb.tdb
            private dir = {D("private")}
            lock directory = {D("lock")}
            state directory = {D("state")}
            cache directory = {D("cache")}
            pid directory = {D("pid")}
            ncalrpc dir = {D("ncalrpc")}
            log file = {D("log.smbd")}
            log level = 1
            smb ports = {Port}
            interfaces = 127.0.0.1
            bind interfaces only = yes
            disable netbios = yes
            load printers = no
            printing = bsd
            printcap name = /dev/null
            disable spoolss = yes
            server min protocol = {minProtocol}
            server max protocol = {maxProtocol}
            server signing = {(signingMandatory ? "mandatory" : "auto")}
            kernel oplocks = no
            unix extensions = no
            server multi channel support = no

            [data]
            path = {D("data")}
            read only = no
            valid users = {User}

            [secret]
            path = {D("secret")}
            read only = no
            valid users = {User}
            smb encrypt = required

            """);
    }

    /// <summary>Restarts smbd with other protocol limits or signing, keeping the shares and the user.</summary>
    public async Task RestartAsync(string minProtocol, string maxProtocol, bool signingMandatory = false)
    {
        Kill();
        WriteConfig(minProtocol, maxProtocol, signingMandatory);
        await StartProcessAsync();
    }

    /// <summary>Starts smbd again with the current config (after <see cref="Kill"/>).</summary>
    public Task StartProcessAsync()
    {
        var start = new ProcessStartInfo(Binary);
        // smbd in its own process group: when it stops it signals its whole group, which must not include the test host.
        foreach (var a in new[] { "--foreground", "--debug-stdout", "-s", Config })
            start.ArgumentList.Add(a);
        return StartAndAssignAsync(start);
    }

    private async Task StartAndAssignAsync(ProcessStartInfo start) =>
        _process = await Support.ServerProcess.StartAsync(start, Port, "smbd", TimeSpan.FromSeconds(20));

    /// <summary>Kills smbd and every session process it forked at once, as a crash would.</summary>
    public void Kill()
    {
        if (_process is null) return;
        var tree = ServerProcess.Descendants(_process.Id).Append(_process.Id).ToList();
        foreach (var pid in tree)
        {
            try
            {
                Process.GetProcessById(pid).Kill();
            }
            catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
            {
            }
        }
        _process.WaitForExit(5000);
        _process.Dispose();
        _process = null;
        // Wait until the port is free again, so that a restart can bind it.
        for (var i = 0; i < 100; i++)
        {
            try
            {
                using var probe = new TcpClient();
                probe.Connect(IPAddress.Loopback, Port);
                Thread.Sleep(50);
            }
            catch (SocketException)
            {
                break;
            }
        }
    }

    /// <summary>Kills only the session processes (the children serving connections), leaving the listener up.</summary>
    public void KillSessions()
    {
        if (_process is null) return;
        foreach (var pid in ServerProcess.Descendants(_process.Id))
        {
            try
            {
                using var p = Process.GetProcessById(pid);
                if (p.ProcessName.StartsWith("smbd", StringComparison.Ordinal) || p.ProcessName.StartsWith("smbd[", StringComparison.Ordinal))
                    p.Kill();
            }
            catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
            {
            }
        }
    }

    /// <summary>Lets the share's user write a file the test created on the share's disk as root.</summary>
    public static void MakeWritable(string path)
    {
        if (OperatingSystem.IsLinux()) File.SetUnixFileMode(path, (UnixFileMode)0b110_110_110);
    }

    public string ReadLog()
    {
        var log = Path.Combine(_directory, "log.smbd");
        return File.Exists(log) ? File.ReadAllText(log) : "(no log)";
    }

    public ValueTask DisposeAsync()
    {
        Kill();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
        return ValueTask.CompletedTask;
    }


    private static void Run(string? input, string file, params string[] arguments)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardError = true, RedirectStandardOutput = true, RedirectStandardInput = input is not null };
        foreach (var a in arguments) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        if (input is not null)
        {
            process.StandardInput.Write(input);
            process.StandardInput.Close();
        }
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0) throw new InvalidOperationException($"{file} {string.Join(' ', arguments)} failed: {error} {output.Result}");
    }
}

/// <summary>A test that needs smbd: skipped where it is missing, except on CI (CI=true), where it fails.</summary>
public sealed class SambaFactAttribute : FactAttribute
{
    public SambaFactAttribute()
    {
        if (SambaServer.MissingReason() is { } reason && Environment.GetEnvironmentVariable("CI") != "true")
            Skip = reason;
    }
}

/// <summary>A theory that needs smbd: skipped where it is missing, except on CI (CI=true), where it fails.</summary>
public sealed class SambaTheoryAttribute : TheoryAttribute
{
    public SambaTheoryAttribute()
    {
        if (SambaServer.MissingReason() is { } reason && Environment.GetEnvironmentVariable("CI") != "true")
            Skip = reason;
    }
}
