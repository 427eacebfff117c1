namespace Pipeline.Core.Steps.Process;

/// <summary>Finds the file a process step runs, the way a shell would, so a missing program is reported by name before starting anything.</summary>
internal static class ExecutableLocator
{
    /// <summary>Whether <paramref name="executable"/> is a bare command name, looked up on the PATH.</summary>
    public static bool IsCommandName(string executable) =>
        !Path.IsPathRooted(executable) && executable.IndexOfAny(['/', Path.DirectorySeparatorChar]) < 0;

    /// <summary>
    /// The full path of <paramref name="executable"/>: a path is taken relative to <paramref name="baseDirectory"/>;
    /// a bare name is searched on the PATH (the one in <paramref name="environment"/> when it sets one). Null when not found.
    /// </summary>
    public static string? Find(string executable, string baseDirectory, IReadOnlyDictionary<string, string> environment)
    {
        if (!IsCommandName(executable))
            return Candidates(Path.GetFullPath(executable, baseDirectory)).FirstOrDefault(File.Exists);

        var comparison = OperatingSystem.IsWindows() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;
        var path = environment.FirstOrDefault(kv => string.Equals(kv.Key, "PATH", comparison)).Value
                   ?? Environment.GetEnvironmentVariable("PATH") ?? "";
        foreach (var directory in path.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            foreach (var candidate in Candidates(Path.Combine(directory, executable)))
            {
                if (File.Exists(candidate) && IsExecutable(candidate))
                    return Path.GetFullPath(candidate);
            }
        }
        return null;
    }

    private static IEnumerable<string> Candidates(string path)
    {
        if (OperatingSystem.IsWindows() && !Path.HasExtension(path))
        {
            var extensions = Environment.GetEnvironmentVariable("PATHEXT") ?? ".COM;.EXE;.BAT;.CMD";
            foreach (var extension in extensions.Split(';', StringSplitOptions.RemoveEmptyEntries))
                yield return path + extension;
        }
        yield return path;
    }

    private static bool IsExecutable(string path) =>
        OperatingSystem.IsWindows() ||
        (File.GetUnixFileMode(path) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0;
}
