using System.Globalization;
using Pipeline.Core.Execution;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Pipeline.Core.Definitions;

/// <summary>
/// Reads pipeline definitions from YAML, keeping the line and column of every key so that every problem can be
/// reported where it stands. Structural problems (unknown keys, wrong value types, bad durations) are collected,
/// not thrown one at a time.
/// </summary>
public static class PipelineYaml
{
    /// <summary>The most YAML nodes a definition may expand to (anchors and aliases included).</summary>
    public const int MaxNodes = 100_000;

    internal static readonly string[] PipelineKeys =
        ["pipeline_id", "description", "variables", "defaults", "max_parallel", "on_failure", "concurrency", "plugins", "steps"];

    internal static readonly string[] StepKeys =
        ["id", "name", "type", "depends_on", "input", "inputs", "trigger", "when", "timeout", "retry", "rollback", "with", "expected_duration"];

    internal static readonly string[] RetryKeys = ["max_attempts", "backoff", "delay", "max_delay", "jitter", "retry_on"];

    internal static readonly string[] DefaultsKeys = ["timeout", "retry"];

    /// <summary>Parses definition text, collecting every structural problem. The definition is null when the text
    /// could not be read as YAML at all.</summary>
    public static (PipelineDefinition? Definition, IReadOnlyList<DefinitionError> Errors) Parse(string text, string? sourcePath = null)
    {
        var reader = new Reader(text, sourcePath);
        var definition = reader.Read();
        return (definition, reader.Errors);
    }

    private sealed class Reader(string text, string? file)
    {
        private int _nodes;

        public List<DefinitionError> Errors { get; } = [];

        private SourceLocation At(YamlNode node) => new(file, (int)node.Start.Line, (int)node.Start.Column);

        private void Error(string code, string message, SourceLocation? location) => Errors.Add(new DefinitionError(code, message, location));

        public PipelineDefinition? Read()
        {
            var stream = new YamlStream();
            try
            {
                stream.Load(new StringReader(text));
            }
            catch (YamlException ex)
            {
                Error("yaml-syntax", YamlPositions.Describe(ex, text), YamlPositions.Locate(ex, text, file));
                return null;
            }
            catch (InvalidOperationException)
            {
                // YamlDotNet's scanner throws this, not a YamlException, for some text such as a '{' left open
                // before the next line item: the position is found in the text.
                var ex = new YamlException("the text is not valid YAML.");
                Error("yaml-syntax", YamlPositions.Describe(ex, text), YamlPositions.Locate(ex, text, file));
                return null;
            }
            if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is YamlScalarNode { Value: null or "" })
            {
                Error("empty", "The definition is empty: it needs at least 'pipeline_id' and 'steps'.", new SourceLocation(file, 1, 1));
                return null;
            }
            if (stream.Documents.Count > 1)
                Error("many-documents", "A definition file holds one YAML document; this one holds " + stream.Documents.Count + ".", At(stream.Documents[1].RootNode));
            if (stream.Documents[0].RootNode is not YamlMappingNode root)
            {
                Error("not-a-mapping", "The definition must be a mapping with 'pipeline_id' and 'steps'.", At(stream.Documents[0].RootNode));
                return null;
            }

            var keys = Keys(root, PipelineKeys, "pipeline");
            var id = Scalar(root, "pipeline_id", keys);
            if (id is null)
                Error("missing-key", "The pipeline needs a 'pipeline_id'.", At(root));
            else if (!Ids.IsValid(id))
                Error("bad-id", $"The pipeline_id '{id}' may hold only letters, digits, '_', '-' and '.'.", keys.GetValueOrDefault("pipeline_id"));

            var defaults = new StepDefaults();
            if (Child(root, "defaults") is { } defaultsNode && Mapping(defaultsNode, "defaults") is { } defaultsMap)
            {
                var dk = Keys(defaultsMap, DefaultsKeys, "defaults");
                defaults = new StepDefaults
                {
                    Timeout = DurationOf(defaultsMap, "timeout", dk),
                    Retry = Child(defaultsMap, "retry") is { } r ? ReadRetry(r) ?? RetryPolicy.None : RetryPolicy.None,
                };
            }

            var steps = new List<StepDefinition>();
            if (Child(root, "steps") is not { } stepsNode)
            {
                Error("missing-key", "The pipeline needs 'steps': a list of steps.", At(root));
            }
            else if (stepsNode is not YamlSequenceNode stepList)
            {
                Error("wrong-type", "'steps' must be a list of steps.", At(stepsNode));
            }
            else
            {
                if (stepList.Children.Count == 0) Error("no-steps", "'steps' is empty: a pipeline needs at least one step.", At(stepList));
                foreach (var stepNode in stepList.Children)
                {
                    if (ReadStep(stepNode, "step") is { } step) steps.Add(step);
                }
            }

            return new PipelineDefinition
            {
                PipelineId = id ?? "",
                Description = Scalar(root, "description", keys),
                Variables = ReadVariables(Child(root, "variables")),
                Defaults = defaults,
                MaxParallel = IntOf(root, "max_parallel", keys, min: 0) ?? 0,
                Concurrency = IntOf(root, "concurrency", keys, min: 1) ?? 1,
                OnFailure = EnumOf(root, "on_failure", keys, FailurePolicy.Stop),
                Plugins = ListOf(root, "plugins"),
                Steps = steps,
                SourcePath = file,
                SourceText = text,
                KeyLocations = keys,
            };
        }

        private StepDefinition? ReadStep(YamlNode node, string what, string? defaultId = null)
        {
            if (Mapping(node, what) is not { } map) return null;
            var keys = Keys(map, StepKeys, what);
            var id = Scalar(map, "id", keys) ?? defaultId;
            if (id is null)
                Error("missing-key", $"A {what} needs an 'id'.", At(map));
            else if (!Ids.IsValid(id))
                Error("bad-id", $"The step id '{id}' may hold only letters, digits, '_', '-' and '.'.", keys.GetValueOrDefault("id") ?? At(map));
            var type = Scalar(map, "type", keys);
            if (type is null) Error("missing-key", $"The {what} '{id}' needs a 'type'.", At(map));

            var with = new Dictionary<string, object?>(StringComparer.Ordinal);
            if (Child(map, "with") is { } withNode && Mapping(withNode, $"'with' of step '{id}'") is { } withMap)
            {
                foreach (var (k, v) in withMap.Children)
                {
                    var key = ((YamlScalarNode)k).Value ?? "";
                    keys["with." + key] = At(k);
                    with[key] = Value(v);
                }
            }

            var inputs = ListOf(map, "input").Concat(ListOf(map, "inputs")).ToArray();
            return new StepDefinition
            {
                Id = id ?? "",
                Name = Scalar(map, "name", keys),
                Type = type ?? "",
                DependsOn = ListOf(map, "depends_on"),
                Inputs = inputs,
                Trigger = EnumOf(map, "trigger", keys, TriggerRule.AllSuccess),
                When = Scalar(map, "when", keys),
                Timeout = DurationOf(map, "timeout", keys),
                ExpectedDuration = DurationOf(map, "expected_duration", keys),
                Retry = Child(map, "retry") is { } retry ? ReadRetry(retry) : null,
                Rollback = Child(map, "rollback") is { } rollback ? ReadRollback(rollback, id ?? "") : null,
                With = with,
                Location = At(map),
                KeyLocations = keys,
            };
        }

        // The rollback step's id defaults to "<owner>.rollback".
        private StepDefinition? ReadRollback(YamlNode node, string ownerId) =>
            ReadStep(node, $"rollback of step '{ownerId}'", ownerId + ".rollback");

        private RetryPolicy? ReadRetry(YamlNode node)
        {
            if (Mapping(node, "retry") is not { } map) return null;
            var keys = Keys(map, RetryKeys, "retry");
            var retryOn = new List<ErrorKind>();
            if (Child(map, "retry_on") is { } retryOnNode)
            {
                foreach (var item in Items(retryOnNode))
                {
                    var name = (item as YamlScalarNode)?.Value ?? "";
                    if (ErrorKinds.TryParse(name, out var kind)) retryOn.Add(kind);
                    else Error("unknown-error-kind", $"'{name}' is not an error kind{Suggest.DidYouMean(name, ErrorKinds.Names)}; known kinds: {string.Join(", ", ErrorKinds.Names)}.", At(item));
                }
            }
            var policy = new RetryPolicy
            {
                MaxAttempts = IntOf(map, "max_attempts", keys, min: 1) ?? 1,
                Backoff = EnumOf(map, "backoff", keys, BackoffKind.Exponential),
                Delay = DurationOf(map, "delay", keys) ?? TimeSpan.FromSeconds(1),
                MaxDelay = DurationOf(map, "max_delay", keys),
                Jitter = BoolOf(map, "jitter", keys) ?? false,
                RetryOn = retryOn,
            };
            if (policy.MaxDelay is { } max && max < policy.Delay)
                Error("bad-retry", $"'max_delay' ({Duration.Format(max)}) is shorter than 'delay' ({Duration.Format(policy.Delay)}).", keys.GetValueOrDefault("max_delay"));
            return policy;
        }

        private Dictionary<string, string> ReadVariables(YamlNode? node)
        {
            var result = new Dictionary<string, string>(StringComparer.Ordinal);
            if (node is null || Mapping(node, "variables") is not { } map) return result;
            foreach (var (k, v) in map.Children)
            {
                var name = ((YamlScalarNode)k).Value ?? "";
                if (!Ids.IsValidVariable(name))
                    Error("bad-variable", $"The variable name '{name}' may hold only letters, digits and '_'.", At(k));
                if (v is YamlScalarNode scalar) result[name] = scalar.Value ?? "";
                else Error("wrong-type", $"The variable '{name}' must be a single value, not a {Describe(v)}.", At(v));
            }
            return result;
        }

        private object? Value(YamlNode node)
        {
            if (++_nodes > MaxNodes)
            {
                if (_nodes == MaxNodes + 1)
                    Error("too-large", $"The definition expands to more than {MaxNodes:N0} values (anchors and aliases included).", At(node));
                return null;
            }
            return node switch
            {
                YamlScalarNode s => s.Style is ScalarStyle.Plain && s.Value is "~" or "null" or "" && s.Style is not (ScalarStyle.SingleQuoted or ScalarStyle.DoubleQuoted) ? null : s.Value,
                YamlSequenceNode seq => seq.Children.Select(Value).ToList(),
                YamlMappingNode map => map.Children.ToDictionary(kv => ((YamlScalarNode)kv.Key).Value ?? "", kv => Value(kv.Value), StringComparer.Ordinal),
                _ => null,
            };
        }

        private Dictionary<string, SourceLocation> Keys(YamlMappingNode map, string[] known, string what)
        {
            var keys = new Dictionary<string, SourceLocation>(StringComparer.Ordinal);
            foreach (var key in map.Children.Keys)
            {
                if (key is not YamlScalarNode { Value: { } name })
                {
                    Error("bad-key", $"Keys of the {what} must be plain names.", At(key));
                    continue;
                }
                if (!keys.TryAdd(name, At(key)))
                    Error("duplicate-key", $"The key '{name}' appears twice in the {what} (first at line {keys[name].Line}).", At(key));
                if (!known.Contains(name))
                    Error("unknown-key", $"Unknown key '{name}' in the {what}{Suggest.DidYouMean(name, known)}; known keys: {string.Join(", ", known)}.", At(key));
            }
            return keys;
        }

        private static YamlNode? Child(YamlMappingNode map, string key) =>
            map.Children.FirstOrDefault(kv => kv.Key is YamlScalarNode { Value: var v } && v == key).Value;

        private YamlMappingNode? Mapping(YamlNode node, string what)
        {
            if (node is YamlMappingNode map) return map;
            Error("wrong-type", $"The {what} must be a mapping of keys to values, not a {Describe(node)}.", At(node));
            return null;
        }

        private IEnumerable<YamlNode> Items(YamlNode node) => node switch
        {
            YamlSequenceNode seq => seq.Children,
            YamlScalarNode { Value: null or "" } => [],
            YamlScalarNode s => [s],
            _ => ErrorItems(node),
        };

        private IEnumerable<YamlNode> ErrorItems(YamlNode node)
        {
            Error("wrong-type", $"Expected a list, not a {Describe(node)}.", At(node));
            return [];
        }

        private IReadOnlyList<string> ListOf(YamlMappingNode map, string key)
        {
            if (Child(map, key) is not { } node) return [];
            var result = new List<string>();
            foreach (var item in Items(node))
            {
                if (item is YamlScalarNode { Value: { } v }) result.Add(v);
                else Error("wrong-type", $"Items of '{key}' must be single values, not a {Describe(item)}.", At(item));
            }
            return result;
        }

        private string? Scalar(YamlMappingNode map, string key, Dictionary<string, SourceLocation> keys)
        {
            if (Child(map, key) is not { } node) return null;
            if (node is YamlScalarNode s) return s.Value;
            Error("wrong-type", $"'{key}' must be a single value, not a {Describe(node)}.", At(node));
            return null;
        }

        private int? IntOf(YamlMappingNode map, string key, Dictionary<string, SourceLocation> keys, int min)
        {
            var text = Scalar(map, key, keys);
            if (text is null) return null;
            if (int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) && value >= min) return value;
            Error("wrong-type", $"'{key}' must be a whole number of at least {min}, not '{text}'.", At(Child(map, key)!));
            return null;
        }

        private bool? BoolOf(YamlMappingNode map, string key, Dictionary<string, SourceLocation> keys)
        {
            var text = Scalar(map, key, keys);
            switch (text?.ToLowerInvariant())
            {
                case null: return null;
                case "true" or "yes" or "on": return true;
                case "false" or "no" or "off": return false;
                default:
                    Error("wrong-type", $"'{key}' must be true or false, not '{text}'.", At(Child(map, key)!));
                    return null;
            }
        }

        private TimeSpan? DurationOf(YamlMappingNode map, string key, Dictionary<string, SourceLocation> keys)
        {
            var text = Scalar(map, key, keys);
            if (text is null) return null;
            if (Duration.TryParse(text, out var value)) return value;
            Error("bad-duration", $"'{key}' must be a duration such as 30s, 5m, 1h30m or 250ms, not '{text}'.", At(Child(map, key)!));
            return null;
        }

        private T EnumOf<T>(YamlMappingNode map, string key, Dictionary<string, SourceLocation> keys, T fallback) where T : struct, Enum
        {
            var text = Scalar(map, key, keys);
            if (text is null) return fallback;
            var names = Enum.GetNames<T>().Select(SnakeCase).ToArray();
            var index = Array.FindIndex(names, n => string.Equals(n, text.Replace('-', '_'), StringComparison.OrdinalIgnoreCase));
            if (index >= 0) return Enum.GetValues<T>()[index];
            Error("bad-value", $"'{text}' is not a valid '{key}'{Suggest.DidYouMean(text, names)}; use one of: {string.Join(", ", names)}.", At(Child(map, key)!));
            return fallback;
        }

        private static string Describe(YamlNode node) => node switch
        {
            YamlMappingNode => "mapping",
            YamlSequenceNode => "list",
            _ => "single value",
        };
    }

    /// <summary>Writes an enum member name in snake_case (AllSuccess → all_success).</summary>
    public static string SnakeCase<T>(T value) where T : struct, Enum => SnakeCase(value.ToString());

    /// <summary>Writes a PascalCase name in snake_case.</summary>
    public static string SnakeCase(string name) =>
        string.Concat(name.Select((c, i) => char.IsUpper(c) && i > 0 ? "_" + char.ToLowerInvariant(c) : char.ToLowerInvariant(c).ToString()));
}

/// <summary>Rules for ids and names.</summary>
public static class Ids
{
    /// <summary>Step and pipeline ids: letters, digits, '_', '-', '.'; starting with a letter, digit or '_'.</summary>
    public static bool IsValid(string id) =>
        id.Length is > 0 and <= 128 && (char.IsAsciiLetterOrDigit(id[0]) || id[0] == '_') &&
        id.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.');

    /// <summary>Variable names: letters, digits and '_', not starting with a digit.</summary>
    public static bool IsValidVariable(string name) =>
        name.Length > 0 && (char.IsAsciiLetter(name[0]) || name[0] == '_') && name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_');
}
