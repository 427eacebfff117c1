using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Pipeline.RemoteFs.Tests.Support;

namespace Pipeline.RemoteFs.Tests.Ftp;

public enum VsftpdTls
{
    None,
    Explicit,
    Implicit,
}

/// <summary>
/// A real vsftpd (Debian's package) started for one test on 127.0.0.1 at a free port, with its own config in a temp
/// directory, serving a temp root as the test user (created by .ci/provision.d/vsftpd.sh), optionally with TLS from
/// a self-signed certificate. Disposing kills it and every session process it forked.
/// </summary>
public sealed class VsftpdServer : IAsyncDisposable
{
    public const string Binary = "/usr/sbin/vsftpd";
    public const string User = "pipelineftp";
    public const string Password = "pipeline-ftp-test";

    private static readonly Lazy<(string Cert, string Key, string Thumbprint)> SelfSigned = new(CreateCertificate);

    private readonly string _directory;
    private readonly string _config;
    private Process? _process;

    private VsftpdServer(string directory, string config, int port, VsftpdTls tls)
    {
        _directory = directory;
        _config = config;
        Port = port;
        Tls = tls;
    }

    public int Port { get; }
    public VsftpdTls Tls { get; }

    /// <summary>The directory the FTP user sees as '/'.</summary>
    public string Root => Path.Combine(_directory, "root");

    public string LogPath => Path.Combine(_directory, "vsftpd.log");

    /// <summary>The SHA-256 thumbprint of the server's self-signed certificate (hex).</summary>
    public static string Thumbprint => SelfSigned.Value.Thumbprint;

    /// <summary>Why the server cannot run here, or null when it can.</summary>
    public static string? MissingReason()
    {
        if (!OperatingSystem.IsLinux()) return "vsftpd tests run on Linux only";
        if (!File.Exists(Binary)) return $"{Binary} is not installed (run .ci/provision.d/vsftpd.sh)";
        if (!File.ReadLines("/etc/passwd").Any(l => l.StartsWith(User + ":", StringComparison.Ordinal)))
            return $"the test user '{User}' does not exist (run .ci/provision.d/vsftpd.sh)";
        return null;
    }

    /// <summary>The URI of this server: <c>ftp://</c>, <c>ftpes://</c> or <c>ftps://</c>, by host name so that TLS sessions can be resumed.</summary>
    public RemoteEndpoint Endpoint(string path = "/") => RemoteEndpoint.Parse(
        $"{Tls switch { VsftpdTls.Explicit => "ftpes", VsftpdTls.Implicit => "ftps", _ => "ftp" }}://{User}@localhost:{Port}{path}");

    public RemoteConnectionOptions Options(string mode = "passive", bool pin = true, string? password = null) => new()
    {
        Credential = new NetworkCredential(User, password ?? Password),
        PinnedFingerprint = pin && Tls != VsftpdTls.None ? Thumbprint : null,
        Settings = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase) { ["mode"] = mode },
        ConnectTimeout = TimeSpan.FromSeconds(10),
        OperationTimeout = TimeSpan.FromSeconds(20),
    };

    public static async Task<VsftpdServer> StartAsync(VsftpdTls tls = VsftpdTls.None, bool requireSslReuse = true)
    {
        if (MissingReason() is { } reason || !OperatingSystem.IsLinux())
            throw new InvalidOperationException($"vsftpd cannot run: {MissingReason()}. CI must provision it (.ci/provision.d/vsftpd.sh).");
        var directory = Directory.CreateTempSubdirectory("pipeline-vsftpd-").FullName;
        File.SetUnixFileMode(directory, (UnixFileMode)0b111_101_101);
        var root = Path.Combine(directory, "root");
        var empty = Path.Combine(directory, "empty");
        Directory.CreateDirectory(root);
        Directory.CreateDirectory(empty);
        File.SetUnixFileMode(empty, (UnixFileMode)0b111_101_101);
        Run("chown", User + ":", root);
        File.WriteAllText(Path.Combine(directory, "users"), User + "\n");
        var port = ServerProcess.FreePort();
        // Passive ports below Linux's ephemeral range (32768 and up), where no client socket can hold them.
        var pasvStart = Random.Shared.Next(10_000, 32_000);
        var conf = new StringBuilder($"""
            listen=YES
            listen_ipv6=NO
            listen_address=127.0.0.1
            listen_port={port}
            background=NO
            anonymous_enable=NO
            local_enable=YES
            write_enable=YES
            local_umask=022
            chroot_local_user=YES
            allow_writeable_chroot=YES
            local_root={root}
            secure_chroot_dir={empty}
            pam_service_name=vsftpd
            userlist_enable=YES
            userlist_deny=NO
            userlist_file={Path.Combine(directory, "users")}
            seccomp_sandbox=NO
            pasv_enable=YES
            pasv_min_port={pasvStart}
            pasv_max_port={pasvStart + 500}
            port_enable=YES
            connect_from_port_20=NO
            utf8_filesystem=YES
            use_localtime=NO
            xferlog_enable=YES
            vsftpd_log_file={Path.Combine(directory, "vsftpd.log")}
            dual_log_enable=NO
            log_ftp_protocol=YES
            idle_session_timeout=120
            data_connection_timeout=60

            """);
        if (tls != VsftpdTls.None)
        {
            var (cert, key, _) = SelfSigned.Value;
            conf.Append($"""
                ssl_enable=YES
                rsa_cert_file={cert}
                rsa_private_key_file={key}
                allow_anon_ssl=NO
                force_local_logins_ssl=YES
                force_local_data_ssl=YES
                require_ssl_reuse={(requireSslReuse ? "YES" : "NO")}
                ssl_sslv2=NO
                ssl_sslv3=NO
                debug_ssl=YES
                implicit_ssl={(tls == VsftpdTls.Implicit ? "YES" : "NO")}

                """);
        }
        var config = Path.Combine(directory, "vsftpd.conf");
        File.WriteAllText(config, conf.ToString());
        var server = new VsftpdServer(directory, config, port, tls);
        await server.RestartAsync();
        return server;
    }

    /// <summary>Starts vsftpd (again) with the same config and root, and waits until it accepts connections.</summary>
    public async Task RestartAsync()
    {
        var start = new ProcessStartInfo(Binary, _config) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        _process = await Support.ServerProcess.StartAsync(start, Port, "vsftpd", TimeSpan.FromSeconds(15));
    }

    /// <summary>Kills vsftpd and all its session processes at once, as a crash would.</summary>
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
    }

    public string ReadLog() => File.Exists(LogPath) ? File.ReadAllText(LogPath) : "(no log)";

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


    private static void Run(string file, params string[] arguments)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in arguments) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0) throw new InvalidOperationException($"{file} {string.Join(' ', arguments)} failed: {error}");
    }

    private static (string, string, string) CreateCertificate()
    {
        var directory = Directory.CreateTempSubdirectory("pipeline-vsftpd-cert-").FullName;
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Directory.Delete(directory, recursive: true);
        var cert = Path.Combine(directory, "cert.pem");
        var key = Path.Combine(directory, "key.pem");
        Run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-days", "2",
            "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1");
        using var certificate = X509CertificateLoader.LoadCertificateFromFile(cert);
        return (cert, key, Convert.ToHexString(SHA256.HashData(certificate.RawData)));
    }
}

/// <summary>A test that needs vsftpd: skipped where it is missing, except on CI (CI=true), where it fails.</summary>
public sealed class VsftpdFactAttribute : FactAttribute
{
    public VsftpdFactAttribute()
    {
        if (VsftpdServer.MissingReason() is { } reason && Environment.GetEnvironmentVariable("CI") != "true")
            Skip = reason;
    }
}

/// <summary>A theory that needs vsftpd: skipped where it is missing, except on CI (CI=true), where it fails.</summary>
public sealed class VsftpdTheoryAttribute : TheoryAttribute
{
    public VsftpdTheoryAttribute()
    {
        if (VsftpdServer.MissingReason() is { } reason && Environment.GetEnvironmentVariable("CI") != "true")
            Skip = reason;
    }
}
