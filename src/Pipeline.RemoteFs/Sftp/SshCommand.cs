using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.RegularExpressions;

namespace Pipeline.RemoteFs.Sftp;

/// <summary>
/// How to start the system OpenSSH client with the sftp subsystem for one endpoint and credential: its path, its
/// arguments (which never carry a secret) and, per start, a private directory with the askpass helper.
/// </summary>
internal sealed partial class SshCommand
{
    private readonly NetworkCredential? _credential;
    private readonly string? _pin;

    public SshCommand(RemoteEndpoint endpoint, RemoteConnectionOptions options, SftpSettings settings)
    {
        if (endpoint.Host.StartsWith('-') || endpoint.Host.Any(char.IsWhiteSpace))
            throw new ArgumentException($"'{endpoint.Host}' is not a host name.", nameof(endpoint));
        Endpoint = endpoint;
        Settings = settings;
        SshPath = Locate(settings.SshPath);
        UserName = endpoint.UserName ?? (string.IsNullOrEmpty(options.Credential?.UserName) ? null : options.Credential.UserName);
        _credential = string.IsNullOrEmpty(options.Credential?.Password) ? null : options.Credential;
        KeyFile = options.KeyFile;
        if (KeyFile is not null && !File.Exists(KeyFile))
            throw new RemoteFsException(RemoteErrorKind.Authentication, $"The key file '{KeyFile}' does not exist", endpoint: endpoint);
        Policy = options.HostKeyPolicy;
        _pin = options.PinnedFingerprint is null ? null : NormalizeFingerprint(options.PinnedFingerprint);
        ConnectTimeout = options.ConnectTimeout;
        _cipherPreference = new Lazy<string?>(ChooseCiphers);
    }

    public RemoteEndpoint Endpoint { get; }

    public SftpSettings Settings { get; }

    public string SshPath { get; }

    public string? UserName { get; }

    public string? KeyFile { get; }

    public HostKeyPolicy Policy { get; }

    public string? PinnedFingerprint => _pin;

    public TimeSpan ConnectTimeout { get; }

    /// <summary>Whether a password or passphrase goes to ssh through the askpass helper.</summary>
    public bool HasSecret => _credential is not null;

    /// <summary>
    /// The arguments for ssh. <paramref name="launchDirectory"/> holds the helper scripts of a pinned host key;
    /// <paramref name="probeHostKey"/> asks ssh to log the server's host key (and nothing is authenticated).
    /// </summary>
    public IReadOnlyList<string> BuildArguments(string? launchDirectory, bool probeHostKey = false) =>
        Build(launchDirectory, probeHostKey, probeHostKey ? null : CipherPreference);

    private List<string> Build(string? launchDirectory, bool probeHostKey, string? ciphers)
    {
        var args = new List<string> { "-e", "none", "-x", "-a", "-T" };
        void Option(string name, string value) => args.AddRange(["-o", $"{name}={Quote(value)}"]);
        void RawOption(string name, string value) => args.AddRange(["-o", $"{name}={value}"]);
        if (probeHostKey)
        {
            Option("LogLevel", "DEBUG1");
            Option("PreferredAuthentications", "none");
        }
        Option("BatchMode", HasSecret && !probeHostKey ? "no" : "yes");
        Option("ClearAllForwardings", "yes");
        Option("ControlMaster", "no");
        Option("ControlPath", "none");
        Option("ControlPersist", "no");
        Option("PermitLocalCommand", "no");
        Option("ConnectTimeout", Math.Max(1, (int)Math.Ceiling(ConnectTimeout.TotalSeconds)).ToString(CultureInfo.InvariantCulture));
        if (Settings.KeepAlive > TimeSpan.Zero)
        {
            Option("ServerAliveInterval", ((int)Settings.KeepAlive.TotalSeconds).ToString(CultureInfo.InvariantCulture));
            Option("ServerAliveCountMax", "3");
        }
        Option("NumberOfPasswordPrompts", "1");
        if (_pin is not null)
        {
            if (launchDirectory is null) throw new InvalidOperationException("A pinned host key needs a launch directory for its check.");
            Option("StrictHostKeyChecking", "yes");
            Option("UserKnownHostsFile", "none");
            Option("GlobalKnownHostsFile", "none");
            Option("UpdateHostKeys", "no");
            Option("CheckHostIP", "no");
            // ssh hands the key it received to this command; the command vouches for it only when it is the pin.
            RawOption("KnownHostsCommand", $"{ArgvQuote(Path.Combine(launchDirectory, PinScriptName))} %f %H %t %K");
        }
        else
        {
            Option("StrictHostKeyChecking", Policy == HostKeyPolicy.AcceptNew ? "accept-new" : "yes");
            if (Settings.KnownHostsFile is not null) Option("UserKnownHostsFile", Settings.KnownHostsFile);
        }
        if (KeyFile is not null)
        {
            args.AddRange(["-i", KeyFile]);
            Option("IdentitiesOnly", "yes");
            if (!probeHostKey) Option("PreferredAuthentications", "publickey");
        }
        else if (HasSecret && !probeHostKey)
        {
            Option("PreferredAuthentications", "password,keyboard-interactive");
            Option("PubkeyAuthentication", "no");
        }
        if (Settings.SshConfigFile is not null) args.AddRange(["-F", Settings.SshConfigFile]);
        if (Settings.JumpHost is not null) args.AddRange(["-J", Settings.JumpHost]);
        if (Endpoint.Port is not null) args.AddRange(["-p", Endpoint.Port.Value.ToString(CultureInfo.InvariantCulture)]);
        if (UserName is not null) args.AddRange(["-l", UserName]);
        if (ciphers is not null) Option("Ciphers", ciphers);
        foreach (var extra in Settings.ExtraOptions) args.AddRange(["-o", extra]);
        args.AddRange(["-s", "--", Endpoint.Host, "sftp"]);
        return args;
    }

    private readonly Lazy<string?> _cipherPreference;

    /// <summary>
    /// OpenSSH's cipher list with AES-GCM moved first, or null to leave ssh's choice alone: the setting is off, the CPU
    /// has no AES instructions, or the list ssh would use is not its built-in default (someone configured it).
    /// </summary>
    public string? CipherPreference => _cipherPreference.Value;

    private string? ChooseCiphers()
    {
        if (!Settings.PreferAesGcm || !HasAesInstructions) return null;
        var configured = EffectiveCiphers(SshPath, EffectiveConfigArguments());
        var builtIn = BuiltInCiphers.GetOrAdd(SshPath, path => EffectiveCiphers(path, ["-G", "-F", "none", "--", "localhost"]));
        return configured is not null && configured == builtIn ? PreferGcm(configured) : null;
    }

    /// <summary>Whether this CPU encrypts AES in hardware (AES-NI, ARMv8 AES).</summary>
    internal static bool HasAesInstructions =>
        System.Runtime.Intrinsics.X86.Aes.IsSupported || System.Runtime.Intrinsics.Arm.Aes.IsSupported;

    /// <summary>A cipher list with the AES-GCM ciphers first, the others in their order.</summary>
    internal static string? PreferGcm(string ciphers)
    {
        var names = ciphers.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var gcm = names.Where(n => n.StartsWith("aes", StringComparison.Ordinal) && n.Contains("-gcm", StringComparison.Ordinal)).ToArray();
        return gcm.Length == 0 ? null : string.Join(',', gcm.Concat(names.Except(gcm)));
    }

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, string?> BuiltInCiphers = new(StringComparer.Ordinal);

    /// <summary>The arguments of this command with <c>-G</c> (print the configuration, connect nowhere).</summary>
    private List<string> EffectiveConfigArguments()
    {
        var args = Build(_pin is null ? null : Path.GetTempPath(), probeHostKey: false, ciphers: null);
        args.RemoveRange(args.Count - 4, 4); // -s -- host sftp
        args.InsertRange(0, ["-G"]);
        args.AddRange(["--", Endpoint.Host]);
        return args;
    }

    /// <summary>The <c>ciphers</c> line of <c>ssh -G</c>; null when ssh cannot tell (an old ssh, a bad option).</summary>
    private static string? EffectiveCiphers(string sshPath, IEnumerable<string> arguments)
    {
        try
        {
            var start = new ProcessStartInfo(sshPath)
            {
                UseShellExecute = false,
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                CreateNoWindow = true,
            };
            foreach (var argument in arguments) start.ArgumentList.Add(argument);
            using var process = Process.Start(start)!;
            process.StandardInput.Close();
            var stderr = process.StandardError.ReadToEndAsync();
            var output = process.StandardOutput.ReadToEnd();
            if (!process.WaitForExit(5000))
            {
                process.Kill();
                return null;
            }
            _ = stderr.Result;
            if (process.ExitCode != 0) return null;
            return output.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.StartsWith("ciphers ", StringComparison.Ordinal))?[8..].Trim();
        }
        catch (Exception ex) when (ex is System.ComponentModel.Win32Exception or IOException or InvalidOperationException)
        {
            return null;
        }
    }

    /// <summary>
    /// Everything needed to start one ssh process: a private directory (0700) with the askpass helper and the secret
    /// file (0600) it prints, removed by <see cref="SshLaunch.Dispose"/> once the session is authenticated.
    /// </summary>
    public SshLaunch Prepare(bool probeHostKey = false)
    {
        var needsDirectory = (_credential is not null && !probeHostKey) || _pin is not null;
        var directory = needsDirectory ? Directory.CreateTempSubdirectory("pipeline-ssh-").FullName : null;
        try
        {
            var start = new ProcessStartInfo(SshPath)
            {
                UseShellExecute = false,
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                CreateNoWindow = true,
            };
            foreach (var argument in BuildArguments(directory, probeHostKey)) start.ArgumentList.Add(argument);
            start.Environment.Remove("SSH_ASKPASS");
            start.Environment["SSH_ASKPASS_REQUIRE"] = "never";
            if (_credential is not null && !probeHostKey)
            {
                start.Environment["SSH_ASKPASS"] = WriteAskpass(directory!, _credential.Password);
                start.Environment["SSH_ASKPASS_REQUIRE"] = "force";
            }
            if (_pin is not null) WritePinScript(directory!, _pin);
            return new SshLaunch(start, directory);
        }
        catch
        {
            if (directory is not null) SshLaunch.DeleteDirectory(directory);
            throw;
        }
    }

    private const string PinScriptName = "pinned-host-key";

    private static string WriteAskpass(string directory, string secret)
    {
        var secretFile = Path.Combine(directory, "secret");
        WritePrivate(secretFile, Encoding.UTF8.GetBytes(secret), executable: false);
        if (OperatingSystem.IsWindows())
        {
            var script = Path.Combine(directory, "askpass.cmd");
            WritePrivate(script, Encoding.UTF8.GetBytes($"@type \"{secretFile}\"\r\n"), executable: false);
            return script;
        }
        var shell = Path.Combine(directory, "askpass");
        WritePrivate(shell, Encoding.UTF8.GetBytes($"#!/bin/sh\nexec cat -- {ShellQuote(secretFile)}\n"), executable: true);
        return shell;
    }

    private static void WritePinScript(string directory, string pin)
    {
        // Arguments: %f (fingerprint of the key received), %H (known_hosts name), %t (key type), %K (base64 key).
        // Called without a key too (to order algorithms); then it vouches for nothing.
        if (OperatingSystem.IsWindows())
        {
            var script = Path.Combine(directory, PinScriptName + ".cmd");
            WritePrivate(script, Encoding.UTF8.GetBytes($"@if \"%~1\"==\"{pin}\" if not \"%~4\"==\"\" echo %~2 %~3 %~4\r\n"), executable: false);
            return;
        }
        var text = $"#!/bin/sh\nif [ \"$1\" = {ShellQuote(pin)} ] && [ -n \"$4\" ]; then printf '%s %s %s\\n' \"$2\" \"$3\" \"$4\"; fi\nexit 0\n";
        WritePrivate(Path.Combine(directory, PinScriptName), Encoding.UTF8.GetBytes(text), executable: true);
    }

    private static void WritePrivate(string path, byte[] content, bool executable)
    {
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows())
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | (executable ? UnixFileMode.UserExecute : 0);
        using var stream = new FileStream(path, options);
        stream.Write(content);
    }

    /// <summary>A fingerprint as ssh prints it: <c>SHA256:</c> and unpadded base64.</summary>
    /// <exception cref="ArgumentException">It is not a SHA256 fingerprint.</exception>
    public static string NormalizeFingerprint(string fingerprint)
    {
        var text = fingerprint.Trim();
        if (text.StartsWith("SHA256:", StringComparison.OrdinalIgnoreCase)) text = text[7..];
        text = text.TrimEnd('=');
        if (!Base64Fingerprint().IsMatch(text))
            throw new ArgumentException($"'{fingerprint}' is not a host key fingerprint of the form SHA256:<43 base64 characters> (as 'ssh-keygen -lf' prints it).", nameof(fingerprint));
        return "SHA256:" + text;
    }

    [GeneratedRegex("^[A-Za-z0-9+/]{43}$")]
    private static partial Regex Base64Fingerprint();

    /// <summary>Finds ssh: the given path, else PATH, else Windows' built-in OpenSSH folder.</summary>
    /// <exception cref="RemoteFsException">No ssh client is installed (<see cref="RemoteErrorKind.NotSupported"/>).</exception>
    public static string Locate(string? configured)
    {
        if (configured is not null)
        {
            return File.Exists(configured)
                ? Path.GetFullPath(configured)
                : throw new RemoteFsException(RemoteErrorKind.NotSupported, $"The ssh client given by the setting 'ssh_path' does not exist: '{configured}'");
        }
        var name = OperatingSystem.IsWindows() ? "ssh.exe" : "ssh";
        var candidates = (Environment.GetEnvironmentVariable("PATH") ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(directory => Path.Combine(directory, name))
            .ToList();
        if (OperatingSystem.IsWindows())
            candidates.Add(Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.System), "OpenSSH", name));
        return candidates.FirstOrDefault(File.Exists)
            ?? throw new RemoteFsException(RemoteErrorKind.NotSupported,
                "The OpenSSH client (ssh) was not found on PATH" + (OperatingSystem.IsWindows() ? " nor in %SystemRoot%\\System32\\OpenSSH" : "") +
                ". Install it (Debian/Ubuntu: apt-get install openssh-client; Windows: Settings > Optional features > OpenSSH Client) or give its path with the setting 'ssh_path'");
    }

    /// <summary>Quotes an ssh_config value that holds spaces.</summary>
    private static string Quote(string value) => value.Contains(' ') && !value.Contains('"') ? $"\"{value}\"" : value;

    /// <summary>Quotes one word for ssh's own argument splitting (used for KnownHostsCommand).</summary>
    private static string ArgvQuote(string value) => "\"" + value.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";

    private static string ShellQuote(string value) => "'" + value.Replace("'", "'\\''") + "'";
}

/// <summary>One prepared ssh start; disposing removes its private directory and the secret in it.</summary>
internal sealed class SshLaunch(ProcessStartInfo startInfo, string? directory) : IDisposable
{
    public ProcessStartInfo StartInfo { get; } = startInfo;

    public void Dispose()
    {
        if (directory is not null) DeleteDirectory(directory);
    }

    public static void DeleteDirectory(string directory)
    {
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
