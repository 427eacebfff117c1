using Pipeline.Core.Steps;

namespace Pipeline.Core.Definitions;

/// <summary>Loads and validates definitions, reporting every problem at once.</summary>
public static class DefinitionLoader
{
    /// <summary>Reads a YAML file, loads its plugins into <paramref name="registry"/> and validates it.</summary>
    /// <exception cref="DefinitionException">Every problem found, with file, line and column.</exception>
    public static PipelineDefinition LoadFile(string path, StepTypeRegistry registry, IEnumerable<string>? callerVariables = null)
    {
        var full = Path.GetFullPath(path);
        if (!File.Exists(full))
            throw new DefinitionException([new DefinitionError("file-missing", $"The definition file '{full}' does not exist.", null)]);
        string text;
        try
        {
            text = File.ReadAllText(full, new System.Text.UTF8Encoding(false, throwOnInvalidBytes: true));
        }
        catch (System.Text.DecoderFallbackException ex)
        {
            throw new DefinitionException([new DefinitionError("bad-encoding", $"The definition is not valid UTF-8 (at byte {ex.Index}).", new SourceLocation(full, 1, 1))]);
        }
        return LoadText(text, registry, full, callerVariables);
    }

    /// <summary>Reads YAML text, loads its plugins into <paramref name="registry"/> and validates it.</summary>
    /// <exception cref="DefinitionException">Every problem found.</exception>
    public static PipelineDefinition LoadText(string text, StepTypeRegistry registry, string? sourcePath = null, IEnumerable<string>? callerVariables = null)
    {
        var (definition, errors) = PipelineYaml.Parse(text, sourcePath);
        var all = new List<DefinitionError>(errors);
        if (definition is not null)
        {
            all.AddRange(LoadPlugins(definition, registry));
            all.AddRange(DefinitionValidator.Validate(definition, registry, callerVariables: callerVariables));
        }
        if (all.Count > 0)
            throw new DefinitionException(all.DistinctBy(e => e.ToString()).OrderBy(e => e.Location?.Line ?? int.MaxValue).ThenBy(e => e.Location?.Column ?? 0).ToArray());
        return definition!;
    }

    /// <summary>Loads the plugins a definition names (relative to its file), returning the problems met.</summary>
    public static IReadOnlyList<DefinitionError> LoadPlugins(PipelineDefinition definition, StepTypeRegistry registry)
    {
        var errors = new List<DefinitionError>();
        var baseDirectory = definition.SourcePath is null ? Directory.GetCurrentDirectory() : Path.GetDirectoryName(definition.SourcePath)!;
        foreach (var plugin in definition.Plugins)
        {
            try
            {
                registry.LoadPlugin(Path.GetFullPath(plugin, baseDirectory), definition.KeyLocations.GetValueOrDefault("plugins"));
            }
            catch (DefinitionException ex)
            {
                errors.AddRange(ex.Errors);
            }
        }
        return errors;
    }
}
