using System.Management.Automation;
using System.Runtime.Loader;

namespace Pipeline.PowerShell.Loading;

/// <summary>
/// Runs when PowerShell imports the module: from then on the engine (Pipeline.Core, Pipeline.RemoteFs) and its
/// dependencies load into the module's own <see cref="AssemblyLoadContext"/>, so that another module's YamlDotNet,
/// Polly or SQLite cannot break ours, nor ours theirs. Nothing here may touch an engine type: the resolver is not
/// installed until this method has run.
/// </summary>
public sealed class ModuleInitializer : IModuleAssemblyInitializer, IModuleAssemblyCleanup
{
    /// <summary>Installs the resolver.</summary>
    public void OnImport() => AssemblyLoadContext.Default.Resolving += DependencyLoadContext.ResolveEngine;

    /// <summary>Removes the resolver (assemblies already loaded stay loaded, as .NET requires).</summary>
    public void OnRemove(PSModuleInfo psModuleInfo) => AssemblyLoadContext.Default.Resolving -= DependencyLoadContext.ResolveEngine;
}
