using System.Reflection;
using System.Runtime.Loader;

namespace Pipeline.PowerShell.Loading;

/// <summary>
/// The module's private load context. The default context asks it only for the engine assemblies
/// (<c>Pipeline.Core</c>, <c>Pipeline.RemoteFs</c>); everything the engine needs is then found here first, in
/// <c>Dependencies/</c> beside this assembly, and native libraries in <c>Dependencies/runtimes/&lt;rid&gt;/native/</c>.
/// What is not there (the framework) comes from the default context.
/// </summary>
internal sealed class DependencyLoadContext : AssemblyLoadContext
{
    private static readonly string[] EngineAssemblies = ["Pipeline.Core", "Pipeline.RemoteFs"];
    private static readonly Lazy<DependencyLoadContext> Shared = new(() => new DependencyLoadContext(DependencyDirectory()));

    private readonly string _directory;

    private DependencyLoadContext(string directory)
        : base("Pipeline", isCollectible: false)
    {
        _directory = directory;
    }

    /// <summary>The <see cref="AssemblyLoadContext.Default"/> Resolving handler: the engine, loaded privately.</summary>
    public static Assembly? ResolveEngine(AssemblyLoadContext context, AssemblyName name) =>
        name.Name is { } simple && EngineAssemblies.Contains(simple, StringComparer.OrdinalIgnoreCase)
            ? Shared.Value.LoadFromAssemblyName(name)
            : null;

    protected override Assembly? Load(AssemblyName assemblyName)
    {
        var path = Path.Combine(_directory, assemblyName.Name + ".dll");
        return File.Exists(path) ? LoadFromAssemblyPath(path) : null;
    }

    protected override IntPtr LoadUnmanagedDll(string unmanagedDllName)
    {
        foreach (var candidate in NativeRuntime.Candidates(_directory, unmanagedDllName))
        {
            if (File.Exists(candidate)) return LoadUnmanagedDllFromPath(candidate);
        }
        return IntPtr.Zero;
    }

    private static string DependencyDirectory() =>
        Path.Combine(Path.GetDirectoryName(typeof(DependencyLoadContext).Assembly.Location)!, "Dependencies");
}
