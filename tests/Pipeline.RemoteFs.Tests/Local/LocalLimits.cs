using System.Diagnostics;

namespace Pipeline.RemoteFs.Tests.Local;

/// <summary>
/// Real limits for local file system tests: a small tmpfs (disk full) and a directory this process may not write
/// into. Root ignores permission bits, so as root the directory is made immutable (chattr +i, on a tmpfs of its own),
/// which refuses root too; otherwise its mode is 0555.
/// </summary>
public sealed class LocalLimits : IDisposable
{
    private readonly List<string> _mounts = [];
    private readonly List<string> _immutable = [];
    private readonly List<string> _directories = [];

    public static bool IsRoot => Environment.UserName == "root" || Run("id", "-u").Trim() == "0";

    /// <summary>Why a tmpfs cannot be mounted here, or null when it can.</summary>
    public static string? MissingReason() => IsRoot ? null : "mounting a small tmpfs needs root";

    /// <summary>Mounts a tmpfs of <paramref name="size"/> (for example <c>1m</c>) on a new temp directory.</summary>
    public string Tmpfs(string size)
    {
        var directory = Directory.CreateTempSubdirectory("pipeline-tmpfs-").FullName;
        _directories.Add(directory);
        Run("mount", "-t", "tmpfs", "-o", $"size={size},mode=0755", "tmpfs", directory);
        _mounts.Add(directory);
        return directory;
    }

    /// <summary>A directory holding <paramref name="files"/> that this process cannot create, change or delete files in.</summary>
    public string ReadOnlyDirectory(params string[] files)
    {
        string directory;
        if (IsRoot)
        {
            directory = Path.Combine(Tmpfs("1m"), "locked");
            Directory.CreateDirectory(directory);
        }
        else
        {
            directory = Directory.CreateTempSubdirectory("pipeline-locked-").FullName;
            _directories.Add(directory);
        }
        foreach (var file in files) File.WriteAllText(Path.Combine(directory, file), file);
        if (IsRoot)
        {
            Run("chattr", "+i", directory);
            _immutable.Add(directory);
        }
        else
        {
            File.SetUnixFileMode(directory, UnixFileMode.UserRead | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
            _immutable.Add(directory);
        }
        return directory;
    }

    private static string Run(string program, params string[] arguments)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEnd();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{program} {string.Join(' ', arguments)} failed ({process.ExitCode}): {error}");
        return output;
    }

    public void Dispose()
    {
        foreach (var directory in _immutable)
        {
            if (IsRoot) Run("chattr", "-i", directory);
            else File.SetUnixFileMode(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        foreach (var mount in _mounts) Run("umount", mount);
        foreach (var directory in _directories) Directory.Delete(directory, recursive: true);
    }
}

/// <summary>A test that mounts a tmpfs: skipped where that is impossible (not root), except on CI (CI=true), where it fails.</summary>
public sealed class TmpfsFactAttribute : FactAttribute
{
    public TmpfsFactAttribute()
    {
        if (LocalLimits.MissingReason() is { } reason && Environment.GetEnvironmentVariable("CI") != "true")
            Skip = reason;
    }
}
