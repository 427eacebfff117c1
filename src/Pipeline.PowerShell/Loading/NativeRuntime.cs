using System.Runtime.InteropServices;

namespace Pipeline.PowerShell.Loading;

/// <summary>
/// Where a native library of the module lies for the running platform: <c>runtimes/&lt;rid&gt;/native/</c> with the
/// runtime identifier of this operating system and process architecture (win, osx, linux or linux-musl; x64,
/// arm64, x86, arm) and the platform's file name (<c>e_sqlite3.dll</c>, <c>libe_sqlite3.dylib</c>,
/// <c>libe_sqlite3.so</c>).
/// </summary>
internal static class NativeRuntime
{
    /// <summary>The runtime identifier of this process, such as <c>linux-x64</c> or <c>osx-arm64</c>.</summary>
    public static string Rid { get; } = $"{OperatingSystemPart()}-{ArchitecturePart(RuntimeInformation.ProcessArchitecture)}";

    /// <summary>Paths to try, best first, for a library named as in a DllImport (<c>e_sqlite3</c>).</summary>
    public static IEnumerable<string> Candidates(string dependencyDirectory, string name)
    {
        var native = Path.Combine(dependencyDirectory, "runtimes", Rid, "native");
        foreach (var file in FileNames(name)) yield return Path.Combine(native, file);
    }

    internal static IEnumerable<string> FileNames(string name)
    {
        var (prefix, extension) = OperatingSystem.IsWindows() ? ("", ".dll") : OperatingSystem.IsMacOS() ? ("lib", ".dylib") : ("lib", ".so");
        if (Path.HasExtension(name) && !name.EndsWith('.')) yield return name;
        yield return name + extension;
        if (!name.StartsWith(prefix, StringComparison.Ordinal)) yield return prefix + name + extension;
    }

    internal static string OperatingSystemPart() =>
        OperatingSystem.IsWindows() ? "win"
        : OperatingSystem.IsMacOS() ? "osx"
        : IsMusl() ? "linux-musl"
        : "linux";

    internal static string ArchitecturePart(Architecture architecture) => architecture switch
    {
        Architecture.X64 => "x64",
        Architecture.Arm64 => "arm64",
        Architecture.X86 => "x86",
        Architecture.Arm => "arm",
        var other => other.ToString().ToLowerInvariant(),
    };

    // Alpine and other musl-based distributions ship the musl dynamic loader instead of glibc's.
    private static bool IsMusl()
    {
        try
        {
            return Directory.Exists("/lib") && Directory.EnumerateFiles("/lib", "ld-musl-*.so.1").Any();
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }
}
