using System.Reflection;
using System.Runtime.Loader;
using Pipeline.Core.Definitions;

namespace Pipeline.Core.Steps;

/// <summary>Step types by name: the built-in ones, those of plugin assemblies, and those the host adds
/// (PowerShell script blocks).</summary>
public sealed class StepTypeRegistry
{
    private readonly Dictionary<string, IStepHandler> _handlers = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _unavailable = new(StringComparer.Ordinal);

    /// <summary>A registry with every built-in step type.</summary>
    public static StepTypeRegistry CreateDefault()
    {
        var registry = new StepTypeRegistry();
        registry.Register(new NoopStep());
        foreach (var handler in BuiltInStepTypes.Create()) registry.Register(handler);
        registry.MarkUnavailable("powershell", "Steps of type 'powershell' (script blocks) run only inside PowerShell, through Invoke-Pipeline; the pipeline command line cannot run them.");
        return registry;
    }

    /// <summary>Adds (or replaces) a step type.</summary>
    public void Register(IStepHandler handler)
    {
        _handlers[handler.Info.Name] = handler;
        _unavailable.Remove(handler.Info.Name);
    }

    /// <summary>Records a type name that exists but cannot run in this host, with the reason to give.</summary>
    public void MarkUnavailable(string type, string reason)
    {
        if (!_handlers.ContainsKey(type)) _unavailable[type] = reason;
    }

    /// <summary>The handler of a type.</summary>
    public bool TryGet(string type, out IStepHandler handler) => _handlers.TryGetValue(type, out handler!);

    /// <summary>Why a known type cannot run in this host, or null.</summary>
    public string? UnavailableReason(string type) => _unavailable.GetValueOrDefault(type);

    /// <summary>Every registered type, by name.</summary>
    public IReadOnlyList<StepTypeInfo> Types => _handlers.Values.Select(h => h.Info).OrderBy(i => i.Name, StringComparer.Ordinal).ToArray();

    /// <summary>Every registered type name.</summary>
    public IEnumerable<string> Names => _handlers.Keys;

    /// <summary>
    /// Loads a plugin assembly and registers every public, non-abstract <see cref="IStepHandler"/> with a
    /// parameterless constructor. Returns the names of the types added.
    /// </summary>
    /// <exception cref="DefinitionException">The file is missing, not an assembly, or defines no step type.</exception>
    public IReadOnlyList<string> LoadPlugin(string assemblyPath, SourceLocation? location = null)
    {
        var full = Path.GetFullPath(assemblyPath);
        if (!File.Exists(full))
            throw new DefinitionException([new DefinitionError("plugin-missing", $"The plugin assembly '{full}' does not exist.", location)]);
        Assembly assembly;
        try
        {
            // Plugins load beside the engine so that they share its IStepHandler type.
            var context = AssemblyLoadContext.GetLoadContext(typeof(IStepHandler).Assembly) ?? AssemblyLoadContext.Default;
            assembly = context.Assemblies.FirstOrDefault(a => !a.IsDynamic && string.Equals(a.Location, full, StringComparison.OrdinalIgnoreCase))
                ?? context.LoadFromAssemblyPath(full);
        }
        catch (Exception ex) when (ex is BadImageFormatException or FileLoadException)
        {
            throw new DefinitionException([new DefinitionError("plugin-invalid", $"'{full}' is not a .NET assembly that can be loaded: {ex.Message}", location)]);
        }
        var added = new List<string>();
        Type[] types;
        try
        {
            types = assembly.GetExportedTypes();
        }
        catch (ReflectionTypeLoadException ex)
        {
            throw new DefinitionException([new DefinitionError("plugin-invalid", $"The plugin '{full}' could not be loaded: {ex.LoaderExceptions.FirstOrDefault()?.Message}", location)]);
        }
        foreach (var type in types)
        {
            if (type.IsAbstract || !typeof(IStepHandler).IsAssignableFrom(type) || type.GetConstructor(Type.EmptyTypes) is null) continue;
            var handler = (IStepHandler)Activator.CreateInstance(type)!;
            Register(handler);
            added.Add(handler.Info.Name);
        }
        if (added.Count == 0)
            throw new DefinitionException([new DefinitionError("plugin-empty", $"The plugin '{full}' defines no public step type (a class implementing IStepHandler with a parameterless constructor).", location)]);
        return added;
    }
}
