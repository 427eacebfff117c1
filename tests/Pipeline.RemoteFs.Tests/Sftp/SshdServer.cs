using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Pipeline.RemoteFs.Sftp;
using Pipeline.RemoteFs.Tests.Support;

namespace Pipeline.RemoteFs.Tests.Sftp;

/// <summary>
/// A real OpenSSH sshd for the tests: its own host key, client keys, authorized_keys and sshd_config in a temporary
/// directory, listening on 127.0.0.1 at a free port; stopped (with every session) on dispose.
/// Key logins use the account running the tests (root in CI: the config permits it). Password logins use the account
/// 'pipelinesftp' that .ci/provision.d/sshd.sh creates; without it those tests are skipped (and fail when CI=true).
/// </summary>
public sealed class SshdServer : IDisposable
{
    public const string SshdPath = "/usr/sbin/sshd";
    public const string PasswordUser = "pipelinesftp";
    public const string PasswordUserPassword = "Sftp-Test-Only-7c1e";
    public const string Passphrase = "correct horse battery staple";

    private readonly StringBuilder _log = new();
    private Process? _sshd;

    public SshdServer()
        : this("")
    {
    }

    /// <param name="sftpArguments">Arguments for sshd's internal-sftp, e.g. "-P write" to refuse every WRITE request.</param>
    internal SshdServer(string sftpArguments)
    {
        if (Unavailable is not null) return;
        Root = Directory.CreateTempSubdirectory("pipeline-sshd-").FullName;
        SetMode(Root, 0x1ED); // 0755: sshd reads authorized_keys as the logging-in user
        DataDirectory = Path.Combine(Root, "data");
        Directory.CreateDirectory(DataDirectory);
        SetMode(DataDirectory, 0x1FF); // 0777: both test accounts write here
        HostKey = Path.Combine(Root, "ssh_host_ed25519_key");
        ClientKey = Path.Combine(Root, "client_key");
        PassphraseKey = Path.Combine(Root, "client_key_passphrase");
        StrangerKey = Path.Combine(Root, "stranger_key");
        KeyGen("-t", "ed25519", "-N", "", "-f", HostKey);
        KeyGen("-t", "ed25519", "-N", "", "-f", ClientKey);
        KeyGen("-t", "ed25519", "-N", Passphrase, "-f", PassphraseKey);
        KeyGen("-t", "ed25519", "-N", "", "-f", StrangerKey);
        var authorized = Path.Combine(Root, "authorized_keys");
        File.WriteAllText(authorized, File.ReadAllText(ClientKey + ".pub") + File.ReadAllText(PassphraseKey + ".pub"));
        SetMode(authorized, 0x1A4); // 0644
        HostKeyFingerprint = KeyGen("-l", "-E", "sha256", "-f", HostKey + ".pub").Split(' ')[1];
        Port = ServerProcess.FreePort();
        KnownHosts = Path.Combine(Root, "known_hosts");
        File.WriteAllText(KnownHosts, $"[127.0.0.1]:{Port} {File.ReadAllText(HostKey + ".pub").Trim()}\n");
        var config = Path.Combine(Root, "sshd_config");
        File.WriteAllText(config, $"""
            Port {Port}
            ListenAddress 127.0.0.1
            HostKey {HostKey}
            PidFile {Path.Combine(Root, "sshd.pid")}
            AuthorizedKeysFile {authorized}
            StrictModes no
            PermitRootLogin yes
            PubkeyAuthentication yes
            PasswordAuthentication yes
            KbdInteractiveAuthentication no
            UsePAM no
            MaxStartups 100
            MaxSessions 100
            Subsystem sftp internal-sftp {sftpArguments}
            LogLevel INFO

            """);
        ConfigFile = config;
        if (Environment.UserName == "root") Directory.CreateDirectory("/run/sshd");
        Start();
    }

    /// <summary>Why no server can run here, or null.</summary>
    public static string? Unavailable =>
        !OperatingSystem.IsLinux() ? "the sshd tests run on Linux"
        : !File.Exists(SshdPath) ? $"{SshdPath} is missing (run .ci/provision.d/sshd.sh, or apt-get install openssh-server)"
        : null;

    /// <summary>Why password logins cannot be tested here, or null.</summary>
    public static string? PasswordLoginUnavailable =>
        Unavailable ?? (Environment.UserName != "root" ? "password logins need root to run sshd"
            : !File.ReadAllText("/etc/passwd").Contains($"\n{PasswordUser}:") ? $"the account '{PasswordUser}' is missing (run .ci/provision.d/sshd.sh)"
            : null);

    public string Root { get; } = "";
    public string DataDirectory { get; } = "";
    public string HostKey { get; } = "";
    public string HostKeyFingerprint { get; } = "";
    public string ClientKey { get; } = "";
    public string PassphraseKey { get; } = "";
    public string StrangerKey { get; } = "";
    public string KnownHosts { get; } = "";
    public string ConfigFile { get; } = "";
    public int Port { get; }

    public string Log
    {
        get
        {
            lock (_log) return _log.ToString();
        }
    }

    /// <summary>sftp://user@127.0.0.1:port/&lt;data dir&gt;</summary>
    public RemoteEndpoint Endpoint(string? user = null) => Require().Parse(user);

    private SshdServer Require() => Unavailable is { } reason
        ? throw new InvalidOperationException("The sshd tests cannot run: " + reason)
        : this;

    private RemoteEndpoint Parse(string? user) =>
        RemoteEndpoint.Parse($"sftp://{user ?? Environment.UserName}@127.0.0.1:{Port}{DataDirectory}");

    /// <summary>Options that log in with the client key and trust the server's key through a known_hosts file.</summary>
    public RemoteConnectionOptions Options(string? knownHosts = null, IDictionary<string, string>? settings = null)
    {
        var all = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
        {
            ["known_hosts"] = knownHosts ?? KnownHosts,
            ["ssh_config"] = "none",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string>()) all[key] = value;
        return new RemoteConnectionOptions { KeyFile = ClientKey, Settings = all, ConnectTimeout = TimeSpan.FromSeconds(20) };
    }

    /// <summary>Connects with <see cref="Options"/> (or the given options) through a new provider.</summary>
    internal async Task<SftpFileSystem> ConnectAsync(RemoteConnectionOptions? options = null, RemoteEndpoint? endpoint = null) =>
        (SftpFileSystem)await new SftpFileSystemProvider().ConnectAsync(endpoint ?? Endpoint(), options ?? Options());

    /// <summary>A path in the data directory, for checking on the server's side.</summary>
    public string Local(string name) => Path.Combine(Require().DataDirectory, name);

    /// <summary>The current account's home directory as the system records it (what sshd starts a session in).</summary>
    public static string HomeDirectory() =>
        File.ReadAllLines("/etc/passwd").Select(line => line.Split(':')).First(fields => fields[0] == Environment.UserName)[5];

    /// <summary>Kills sshd and every session it runs, as a crash would.</summary>
    public void Kill()
    {
        if (_sshd is null) return;
        _sshd.Kill(entireProcessTree: true);
        _sshd.WaitForExit();
        _sshd.Dispose();
        _sshd = null;
    }

    public bool IsRunning => _sshd is { HasExited: false };

    /// <summary>Stops (SIGSTOP) every session process of sshd, as a hung server; <see cref="Resume"/> continues them.</summary>
    public void Freeze() => Signal("STOP");

    public void Resume() => Signal("CONT");

    private void Signal(string signal)
    {
        if (_sshd is null) return;
        var sessions = ServerProcess.Descendants(_sshd.Id);
        if (sessions.Count == 0) return;
        using var kill = Process.Start("kill", new[] { "-" + signal }.Concat(sessions.Select(p => p.ToString())))!;
        kill.WaitForExit();
    }

    /// <summary>Starts sshd and waits until it says it is listening.</summary>
    public void Start()
    {
        var start = new ProcessStartInfo(SshdPath) { RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { "-D", "-e", "-f", ConfigFile }) start.ArgumentList.Add(arg);
        var listening = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var process = new Process { StartInfo = start };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                listening.TrySetException(new InvalidOperationException($"sshd exited before listening:\n{Log}"));
                return;
            }
            lock (_log) _log.AppendLine(e.Data);
            if (e.Data.Contains($"Server listening on 127.0.0.1 port {Port}")) listening.TrySetResult();
        };
        process.Start();
        process.BeginErrorReadLine();
        _sshd = process;
        listening.Task.Wait(TimeSpan.FromSeconds(30));
        if (!listening.Task.IsCompletedSuccessfully)
            throw new InvalidOperationException($"sshd did not start listening on port {Port}:\n{Log}", listening.Task.Exception);
    }

    public void Dispose()
    {
        Kill();
        if (Root != "")
        {
            try
            {
                Directory.Delete(Root, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    /// <summary>Runs ssh-keygen and returns what it printed.</summary>
    public static string KeyGen(params string[] args)
    {
        var start = new ProcessStartInfo("ssh-keygen") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add("-q");
        foreach (var arg in args) start.ArgumentList.Add(arg);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEnd();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0) throw new InvalidOperationException($"ssh-keygen {string.Join(' ', args)} failed: {error}");
        return output.Trim();
    }

    internal static void SetMode(string path, int mode)
    {
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, (UnixFileMode)mode);
    }


    /// <summary>The ssh processes whose parent is this test process.</summary>
    public static IReadOnlyList<int> ChildSshProcesses()
    {
        var me = Environment.ProcessId;
        var children = new List<int>();
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), out var pid)) continue;
            try
            {
                var stat = File.ReadAllText(Path.Combine(directory, "stat"));
                var close = stat.LastIndexOf(')');
                var name = stat[(stat.IndexOf('(') + 1)..close];
                var fields = stat[(close + 2)..].Split(' ');
                if (name == "ssh" && int.Parse(fields[1]) == me && fields[0] != "Z") children.Add(pid);
            }
            catch (IOException)
            {
            }
        }
        return children;
    }
}

[CollectionDefinition("sshd")]
public sealed class SshdCollection : ICollectionFixture<SshdServer>;

/// <summary>A test that needs sshd: skipped when it is missing, unless CI=true, where it fails.</summary>
public sealed class SshdFactAttribute : FactAttribute
{
    public SshdFactAttribute()
    {
        if (SshdServer.Unavailable is { } reason && Environment.GetEnvironmentVariable("CI") != "true")
            Skip = "No sshd here: " + reason;
    }
}

/// <summary>A test that logs in with a password: needs sshd run by root and the provisioned test account.</summary>
public sealed class SshdPasswordFactAttribute : FactAttribute
{
    public SshdPasswordFactAttribute()
    {
        if (SshdServer.PasswordLoginUnavailable is { } reason && Environment.GetEnvironmentVariable("CI") != "true")
            Skip = "No password login here: " + reason;
    }
}
