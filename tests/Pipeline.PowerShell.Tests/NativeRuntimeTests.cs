using System.Runtime.InteropServices;
using Pipeline.PowerShell.Loading;

namespace Pipeline.PowerShell.Tests;

public sealed class NativeRuntimeTests
{
    [Fact]
    public void The_runtime_identifier_is_the_one_dotnet_reports_for_this_portable_platform()
    {
        // RuntimeInformation.RuntimeIdentifier is portable (linux-x64, win-arm64, osx-x64, linux-musl-x64) on .NET 8+.
        Assert.Equal(RuntimeInformation.RuntimeIdentifier, NativeRuntime.Rid);
    }

    [Theory]
    [InlineData(Architecture.X64, "x64")]
    [InlineData(Architecture.Arm64, "arm64")]
    [InlineData(Architecture.X86, "x86")]
    [InlineData(Architecture.Arm, "arm")]
    public void Architectures_are_named_as_in_runtime_identifiers(Architecture architecture, string name) =>
        Assert.Equal(name, NativeRuntime.ArchitecturePart(architecture));

    [Fact]
    public void A_library_named_as_in_DllImport_is_looked_for_under_the_platform_file_name()
    {
        var candidates = NativeRuntime.Candidates("/deps", "e_sqlite3").Select(p => p.Replace('\\', '/')).ToArray();
        var expected = OperatingSystem.IsWindows() ? "e_sqlite3.dll" : OperatingSystem.IsMacOS() ? "libe_sqlite3.dylib" : "libe_sqlite3.so";
        Assert.Contains($"/deps/runtimes/{NativeRuntime.Rid}/native/{expected}", candidates);
    }

    [Fact]
    public void The_native_library_for_this_platform_is_in_the_module()
    {
        var dependencies = Path.Combine(ModuleFiles.ModuleBin, "Dependencies");
        Assert.Contains(NativeRuntime.Candidates(dependencies, "e_sqlite3"), File.Exists);
    }
}
