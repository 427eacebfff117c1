using System.Text;
using System.Text.Unicode;
using Pipeline.Core.Steps;

namespace Pipeline.Core.Definitions;

/// <summary>Loads and validates definitions, reporting every problem at once.</summary>
public static class DefinitionLoader
{
    /// <summary>Reads a YAML file (UTF-8, with or without a byte order mark, or UTF-16 with one), loads its plugins
    /// into <paramref name="registry"/> and validates it.</summary>
    /// <exception cref="DefinitionException">Every problem found, with file, line and column.</exception>
    public static PipelineDefinition LoadFile(string path, StepTypeRegistry registry, IEnumerable<string>? callerVariables = null)
    {
        var full = Path.GetFullPath(path);
        if (!File.Exists(full))
            throw new DefinitionException([new DefinitionError("file-missing", $"The definition file '{full}' does not exist.", null)]);
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(full);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new DefinitionException([new DefinitionError("file-unreadable", $"The definition file '{full}' cannot be read: {ex.Message}", null)]);
        }
        return LoadText(Decode(bytes, full), registry, full, callerVariables);
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
        if (all.Count > 0) throw new DefinitionException(Sorted(all));
        return definition!;
    }

    /// <summary>Loads the plugins a definition names (relative to its file), returning the problems met.</summary>
    public static IReadOnlyList<DefinitionError> LoadPlugins(PipelineDefinition definition, StepTypeRegistry registry)
    {
        var errors = new List<DefinitionError>();
        var baseDirectory = definition.SourcePath is null ? Directory.GetCurrentDirectory() : Path.GetDirectoryName(Path.GetFullPath(definition.SourcePath))!;
        foreach (var plugin in definition.Plugins)
        {
            try
            {
                registry.LoadPlugin(Path.GetFullPath(plugin, baseDirectory),
                    definition.KeyLocations.GetValueOrDefault("plugins." + plugin) ?? definition.KeyLocations.GetValueOrDefault("plugins"));
            }
            catch (DefinitionException ex)
            {
                errors.AddRange(ex.Errors);
            }
        }
        return errors;
    }

    /// <summary>Problems in the order of the text (those without a location last), each once.</summary>
    internal static DefinitionError[] Sorted(IEnumerable<DefinitionError> errors) =>
        errors.DistinctBy(e => e.ToString())
            .OrderBy(e => e.Location?.Line ?? int.MaxValue)
            .ThenBy(e => e.Location?.Column ?? 0)
            .ToArray();

    /// <summary>
    /// Decodes a definition file: UTF-16 when it starts with a UTF-16 byte order mark, else UTF-8 (a UTF-8 byte
    /// order mark is dropped). A byte that is not valid is an error giving its offset, line and column; it is never
    /// replaced silently.
    /// </summary>
    /// <exception cref="DefinitionException">The bytes are not valid text.</exception>
    internal static string Decode(byte[] bytes, string? file)
    {
        if (bytes.Length >= 2 && (bytes[0], bytes[1]) is (0xFF, 0xFE) or (0xFE, 0xFF))
        {
            var encoding = new UnicodeEncoding(bigEndian: bytes[0] == 0xFE, byteOrderMark: true, throwOnInvalidBytes: true);
            try
            {
                return encoding.GetString(bytes, 2, bytes.Length - 2);
            }
            catch (DecoderFallbackException)
            {
                throw new DefinitionException([new DefinitionError("bad-encoding",
                    "The definition starts with a UTF-16 byte order mark but is not valid UTF-16; save it as UTF-8.", new SourceLocation(file, 1, 1))]);
            }
        }

        var start = bytes.Length >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF ? 3 : 0;
        var source = bytes.AsSpan(start);
        var chars = new char[source.Length];
        var status = Utf8.ToUtf16(source, chars, out var read, out var written, replaceInvalidSequences: false);
        if (status == System.Buffers.OperationStatus.Done) return new string(chars, 0, written);

        // Everything before the bad byte decoded: count lines and columns in it.
        var offset = start + read;
        var (line, column) = Definitions.YamlPositions.LineAndColumn(new string(chars, 0, written), written);
        var shown = string.Join(" ", bytes.Skip(offset).Take(4).Select(b => $"0x{b:X2}"));
        throw new DefinitionException([new DefinitionError("bad-encoding",
            $"The definition is not valid UTF-8: the bytes at offset {offset} ({shown}) do not form a character (line {line}, column {column}); save the file as UTF-8.",
            new SourceLocation(file, line, column))]);
    }
}
