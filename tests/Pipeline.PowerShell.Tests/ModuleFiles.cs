using System.Reflection;

namespace Pipeline.PowerShell.Tests;

/// <summary>The repository's module files, and the cmdlet assembly read as metadata (System.Management.Automation
/// is PowerShell Standard's reference assembly, which cannot be loaded to run).</summary>
public static class ModuleFiles
{
    public static string Root { get; } = FindRoot();

    public static string ModuleBin => Path.Combine(Root, "module", "bin");

    public static string Manifest => Path.Combine(Root, "Pipeline.psd1");

    public static string HelpSource => Path.Combine(Root, "docs", "en-US");

    private static readonly Lazy<MetadataLoadContext> Context = new(() =>
    {
        var paths = Directory.GetFiles(Path.GetDirectoryName(typeof(object).Assembly.Location)!, "*.dll")
            .Concat(Directory.GetFiles(ModuleBin, "*.dll"))
            .Concat(Directory.GetFiles(Path.Combine(ModuleBin, "Dependencies"), "*.dll"))
            .Append(Path.Combine(AppContext.BaseDirectory, "PowerShellStandard", "System.Management.Automation.dll"));
        return new MetadataLoadContext(new PathAssemblyResolver(paths), "System.Private.CoreLib");
    });

    public static Assembly CmdletAssembly => Context.Value.LoadFromAssemblyPath(Path.Combine(ModuleBin, "Pipeline.PowerShell.dll"));

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Pipeline.psd1")) && Directory.Exists(Path.Combine(dir.FullName, "src"))) return dir.FullName;
        }
        throw new InvalidOperationException("The repository root (with Pipeline.psd1) was not found above " + AppContext.BaseDirectory);
    }
}
