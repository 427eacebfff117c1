using Pipeline.Core.Steps;
using Pipeline.PowerShell.Scripts;

namespace Pipeline.PowerShell.Hosting;

/// <summary>The step types the cmdlets know: the engine's, and <c>powershell</c> (script blocks).</summary>
internal static class StepTypes
{
    /// <summary>A registry for reading and checking definitions; its <c>powershell</c> type cannot run.</summary>
    public static StepTypeRegistry Create(IEnumerable<string>? pluginPaths = null)
    {
        var registry = StepTypeRegistry.CreateDefault();
        registry.Register(new PowerShellStep(null));
        foreach (var plugin in pluginPaths ?? []) registry.LoadPlugin(plugin);
        return registry;
    }
}
