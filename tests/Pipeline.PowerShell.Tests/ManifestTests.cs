using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace Pipeline.PowerShell.Tests;

public sealed class ManifestTests
{
    private static readonly string Manifest = File.ReadAllText(ModuleFiles.Manifest);

    private static string Value(string key) =>
        Regex.Match(Manifest, $@"^\s*{key}\s*=\s*'([^']*)'", RegexOptions.Multiline) is { Success: true } m ? m.Groups[1].Value
        : throw new Xunit.Sdk.XunitException($"Pipeline.psd1 has no {key}.");

    private static string[] List(string key)
    {
        var match = Regex.Match(Manifest, $@"^\s*{key}\s*=\s*@\((?<items>[^)]*)\)", RegexOptions.Multiline);
        Assert.True(match.Success, $"Pipeline.psd1 has no {key} = @(...).");
        return Regex.Matches(match.Groups["items"].Value, "'([^']*)'").Select(m => m.Groups[1].Value).ToArray();
    }

    [Fact]
    public void CmdletsToExport_lists_exactly_the_cmdlets_of_the_assembly() =>
        Assert.Equal(CmdletMetadata.All.Select(c => c.Name).Order(StringComparer.Ordinal), List("CmdletsToExport").Order(StringComparer.Ordinal));

    [Fact]
    public void The_module_version_is_the_VersionPrefix_of_Directory_Build_props()
    {
        var props = XDocument.Load(Path.Combine(ModuleFiles.Root, "Directory.Build.props"));
        var version = props.Descendants("VersionPrefix").Single().Value;
        Assert.Equal(version, Value("ModuleVersion"));
    }

    [Fact]
    public void The_manifest_targets_PowerShell_7_4_Core_and_its_files_exist_after_a_build()
    {
        Assert.Equal("7.4", Value("PowerShellVersion"));
        Assert.Equal(["Core"], List("CompatiblePSEditions"));
        Assert.Equal("module/bin/Pipeline.PowerShell.dll", Value("RootModule"));
        Assert.True(File.Exists(Path.Combine(ModuleFiles.Root, Value("RootModule"))));
        Assert.All(List("FormatsToProcess"), f => Assert.True(File.Exists(Path.Combine(ModuleFiles.Root, f)), f));
        Assert.Empty(List("FunctionsToExport"));
        Assert.Empty(List("AliasesToExport"));
    }

    [Fact]
    public void Dependencies_lie_apart_from_the_cmdlet_assembly_with_native_SQLite_for_each_platform()
    {
        var bin = ModuleFiles.ModuleBin;
        Assert.Equal(["Pipeline.PowerShell.dll"], Directory.GetFiles(bin, "*.dll").Select(Path.GetFileName));
        var dependencies = Path.Combine(bin, "Dependencies");
        foreach (var name in new[] { "Pipeline.Core", "Pipeline.RemoteFs", "YamlDotNet", "Polly.Core", "Microsoft.Data.Sqlite", "SQLitePCLRaw.core", "SQLitePCLRaw.provider.e_sqlite3" })
            Assert.True(File.Exists(Path.Combine(dependencies, name + ".dll")), name);
        Assert.False(File.Exists(Path.Combine(dependencies, "System.Management.Automation.dll")), "PowerShell's own assembly must not ship.");
        foreach (var (rid, file) in new[]
        {
            ("win-x64", "e_sqlite3.dll"), ("win-arm64", "e_sqlite3.dll"), ("linux-x64", "libe_sqlite3.so"), ("linux-arm64", "libe_sqlite3.so"),
            ("osx-x64", "libe_sqlite3.dylib"), ("osx-arm64", "libe_sqlite3.dylib"),
        })
        {
            Assert.True(File.Exists(Path.Combine(dependencies, "runtimes", rid, "native", file)), $"{rid}/{file}");
        }
    }

    [Fact]
    public void The_format_file_has_a_table_view_for_each_output_type()
    {
        var format = XDocument.Load(Path.Combine(ModuleFiles.Root, "module", "Pipeline.Format.ps1xml"));
        var tables = format.Descendants("View").Where(v => v.Element("TableControl") is not null)
            .Select(v => v.Element("ViewSelectedBy")!.Element("TypeName")!.Value).ToArray();
        foreach (var type in new[]
        {
            "Pipeline.Core.Execution.RunResult", "Pipeline.Core.Execution.StepResult", "Pipeline.Core.State.RunRecord",
            "Pipeline.Core.Steps.StepTypeInfo", "Pipeline.Core.Definitions.DefinitionError", "Pipeline.Core.State.StepAttemptRecord",
        })
        {
            Assert.Contains(type, tables);
        }
    }
}
