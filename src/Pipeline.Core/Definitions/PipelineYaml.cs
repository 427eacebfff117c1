using System.Globalization;
using Pipeline.Core.Execution;

namespace Pipeline.Core.Definitions;

/// <summary>
/// Reads pipeline definitions from YAML, keeping the line and column of every key so that every problem can be
/// reported where it stands. Structural problems (unknown keys, wrong value types, bad durations) are collected,
/// not thrown one at a time.
/// </summary>
public static class PipelineYaml
{
    /// <summary>
    /// The most values that anchors and aliases may add to a definition: every value read a second time through an
    /// alias counts, so that an alias-heavy file ("billion laughs") is refused before it expands.
    /// </summary>
    public const int MaxNodes = 100_000;

    /// <summary>The deepest nesting of lists and mappings a definition may have, aliases included.</summary>
    public const int MaxDepth = YamlTree.MaxDepth;

    internal static readonly string[] PipelineKeys =
        ["pipeline_id", "description", "variables", "defaults", "max_parallel", "on_failure", "concurrency", "plugins", "steps"];

    internal static readonly string[] StepKeys =
        ["id", "name", "type", "depends_on", "input", "inputs", "trigger", "when", "timeout", "retry", "rollback", "with", "expected_duration"];

    // A rollback runs once, after the run failed, with the variables of the run: it has no graph, trigger,
    // condition or retry of its own.
    internal static readonly string[] RollbackKeys = ["id", "name", "type", "timeout", "with"];

    internal static readonly string[] RetryKeys = ["max_attempts", "backoff", "delay", "max_delay", "jitter", "retry_on"];

    internal static readonly string[] DefaultsKeys = ["timeout", "retry"];

    /// <summary>Built-in template names no variable may take. (A variable may be named <c>date</c>, to replay a
    /// day, or <c>env</c> or <c>secret</c>: only <c>{env:NAME}</c> and <c>{secret:NAME}</c> are special.)</summary>
    internal static readonly string[] ReservedVariables = ["run_id", "pipeline_id", "step_id", "now"];

    /// <summary>Parses definition text, collecting every structural problem. The definition is null when the text
    /// could not be read as YAML at all.</summary>
    public static (PipelineDefinition? Definition, IReadOnlyList<DefinitionError> Errors) Parse(string text, string? sourcePath = null)
    {
        // A byte order mark is not part of the text (YamlDotNet would make it part of the first key).
        if (text.Length > 0 && text[0] == '\uFEFF') text = text[1..];
        var reader = new Reader(text, sourcePath);
        var definition = reader.Read();
        return (definition, reader.Errors);
    }

    private sealed class Reader(string text, string? file)
    {
        private readonly HashSet<YamlValue> _visited = new(ReferenceEqualityComparer.Instance);
        private int _revisits;

        public List<DefinitionError> Errors { get; } = [];

        private SourceLocation At(YamlValue node) => new(file, node.Line, node.Column);

        private void Error(string code, string message, SourceLocation? location) => Errors.Add(new DefinitionError(code, message, location));

        public PipelineDefinition? Read()
        {
            var (documents, loadErrors) = YamlTree.Load(text, file);
            Errors.AddRange(loadErrors);
            if (loadErrors.Any(e => e.Code is "yaml-syntax" or "too-deep")) return null;
            if (documents.Count == 0 || documents[0] is YamlText { IsNull: true })
            {
                Error("empty", "The definition is empty: it needs at least 'pipeline_id' and 'steps'.", new SourceLocation(file, 1, 1));
                return null;
            }
            if (documents.Count > 1)
                Error("many-documents", $"A definition file holds one YAML document; this one holds {documents.Count} (a second one starts here).", At(documents[1]));
            if (documents[0] is not YamlMap root)
            {
                Error("not-a-mapping", $"The definition must be a mapping with 'pipeline_id' and 'steps', not a {documents[0].Describe}.", At(documents[0]));
                return null;
            }

            var keys = Keys(root, PipelineKeys, "pipeline");
            var id = Scalar(root, "pipeline_id");
            if (id is null)
                Error("missing-key", "The pipeline needs a 'pipeline_id'.", At(root));
            else if (!Ids.IsValid(id))
                Error("bad-id", $"The pipeline_id '{id}' is not a valid id: {Ids.Rule}.", keys.GetValueOrDefault("pipeline_id"));

            var defaults = new StepDefaults();
            if (root.Get("defaults") is { } defaultsNode && Mapping(defaultsNode, "defaults") is { } defaultsMap)
            {
                Keys(defaultsMap, DefaultsKeys, "defaults");
                defaults = new StepDefaults
                {
                    Timeout = DurationOf(defaultsMap, "timeout"),
                    Retry = defaultsMap.Get("retry") is { } r ? ReadRetry(r) ?? RetryPolicy.None : RetryPolicy.None,
                };
            }

            var variables = ReadVariables(root.Get("variables"), keys);

            var steps = new List<StepDefinition>();
            if (root.Get("steps") is not { } stepsNode)
            {
                Error("missing-key", "The pipeline needs 'steps': a list of steps.", At(root));
            }
            else if (stepsNode is not YamlList stepList)
            {
                if (stepsNode is not YamlText { IsNull: true })
                    Error("wrong-type", $"'steps' must be a list of steps, not a {stepsNode.Describe}.", At(stepsNode));
                else
                    Error("no-steps", "'steps' is empty: a pipeline needs at least one step.", At(stepsNode));
            }
            else
            {
                if (stepList.Items.Count == 0) Error("no-steps", "'steps' is empty: a pipeline needs at least one step.", At(stepList));
                foreach (var stepNode in stepList.Items)
                {
                    if (ReadStep(stepNode, "step", StepKeys) is { } step) steps.Add(step);
                }
            }

            return new PipelineDefinition
            {
                PipelineId = id ?? "",
                Description = Scalar(root, "description"),
                Variables = variables,
                Defaults = defaults,
                MaxParallel = IntOf(root, "max_parallel", min: 0) ?? 0,
                Concurrency = IntOf(root, "concurrency", min: 1) ?? 1,
                OnFailure = EnumOf(root, "on_failure", FailurePolicy.Stop),
                Plugins = ListOf(root, "plugins", keys),
                Steps = steps,
                SourcePath = file,
                SourceText = text,
                KeyLocations = keys,
            };
        }

        private StepDefinition? ReadStep(YamlValue node, string what, string[] known, string? defaultId = null)
        {
            if (Mapping(node, what) is not { } map) return null;
            var keys = Keys(map, known, what);
            var givenId = Scalar(map, "id");
            var id = givenId ?? defaultId;
            if (id is null)
                Error("missing-key", $"A {what} needs an 'id'.", At(map));
            else if (givenId is not null && known == RollbackKeys && !Ids.IsValid(givenId))
                Error("bad-id", $"The rollback id '{givenId}' is not a valid id: {Ids.Rule}.", keys.GetValueOrDefault("id") ?? At(map));
            else if (givenId is not null && known != RollbackKeys && !Ids.IsValidStep(givenId))
                Error("bad-id", $"The step id '{givenId}' is not a valid step id: {Ids.StepRule}.", keys.GetValueOrDefault("id") ?? At(map));
            var type = Scalar(map, "type");
            if (type is null) Error("missing-key", $"The {what} '{id}' needs a 'type'.", At(map));

            var with = new Dictionary<string, object?>(StringComparer.Ordinal);
            if (map.Get("with") is { } withNode && withNode is not YamlText { IsNull: true } &&
                Mapping(withNode, $"'with' of step '{id}'") is { } withMap)
            {
                foreach (var (k, v) in withMap.Entries)
                {
                    if (k is not YamlText { Value: var key }) continue; // reported when loading
                    if (keys.TryAdd("with." + key, At(k))) with[key] = Value(v);
                }
            }

            var inputs = ListOf(map, "input", keys).Concat(ListOf(map, "inputs", keys)).Distinct(StringComparer.Ordinal).ToArray();
            return new StepDefinition
            {
                Id = id ?? "",
                Name = Scalar(map, "name"),
                Type = type ?? "",
                DependsOn = ListOf(map, "depends_on", keys),
                Inputs = inputs,
                Trigger = EnumOf(map, "trigger", TriggerRule.AllSuccess),
                When = Scalar(map, "when"),
                Timeout = DurationOf(map, "timeout"),
                ExpectedDuration = DurationOf(map, "expected_duration"),
                Retry = map.Get("retry") is { } retry ? ReadRetry(retry) : null,
                Rollback = map.Get("rollback") is { } rollback && known != RollbackKeys ? ReadRollback(rollback, id ?? "") : null,
                With = with,
                Location = At(map),
                KeyLocations = keys,
            };
        }

        // The rollback step's id defaults to "<owner>.rollback".
        private StepDefinition? ReadRollback(YamlValue node, string ownerId) =>
            ReadStep(node, $"rollback of step '{ownerId}'", RollbackKeys, ownerId + ".rollback");

        private RetryPolicy? ReadRetry(YamlValue node)
        {
            if (Mapping(node, "retry") is not { } map) return null;
            var keys = Keys(map, RetryKeys, "retry");
            var retryOn = new List<ErrorKind>();
            if (map.Get("retry_on") is { } retryOnNode)
            {
                foreach (var item in Items(retryOnNode, "retry_on"))
                {
                    if (item is not YamlText { Value: var name })
                    {
                        Error("wrong-type", $"Items of 'retry_on' must be error kinds, not a {item.Describe}.", At(item));
                        continue;
                    }
                    if (ErrorKinds.TryParse(name, out var kind)) retryOn.Add(kind);
                    else Error("unknown-error-kind", $"'{name}' is not an error kind{Suggest.DidYouMean(name, ErrorKinds.Names)}; known kinds: {string.Join(", ", ErrorKinds.Names)}.", At(item));
                }
            }
            var policy = new RetryPolicy
            {
                MaxAttempts = IntOf(map, "max_attempts", min: 1) ?? 1,
                Backoff = EnumOf(map, "backoff", BackoffKind.Exponential),
                Delay = DurationOf(map, "delay") ?? TimeSpan.FromSeconds(1),
                MaxDelay = DurationOf(map, "max_delay"),
                Jitter = BoolOf(map, "jitter") ?? false,
                RetryOn = retryOn,
            };
            if (policy.MaxDelay is { } max && max < policy.Delay)
                Error("bad-retry", $"'max_delay' ({Duration.Format(max)}) is shorter than 'delay' ({Duration.Format(policy.Delay)}).", keys.GetValueOrDefault("max_delay"));
            return policy;
        }

        private Dictionary<string, string> ReadVariables(YamlValue? node, Dictionary<string, SourceLocation> pipelineKeys)
        {
            var result = new Dictionary<string, string>(StringComparer.Ordinal);
            if (node is null or YamlText { IsNull: true } || Mapping(node, "variables") is not { } map) return result;
            foreach (var (k, v) in map.Entries)
            {
                if (k is not YamlText { Value: var name }) continue; // reported when loading
                if (!pipelineKeys.TryAdd("variables." + name, At(k))) continue; // a duplicate, reported when loading
                if (!Ids.IsValidVariable(name))
                    Error("bad-variable", $"The variable name '{name}' is not valid: it may hold only letters, digits and '_', and may not start with a digit.", At(k));
                else if (ReservedVariables.Contains(name))
                    Error("bad-variable", $"The variable name '{name}' is reserved (it has a meaning of its own in templates); choose another name.", At(k));
                if (v is YamlText scalar) result[name] = scalar.IsNull ? "" : scalar.Value;
                else Error("wrong-type", $"The variable '{name}' must be a single value, not a {v.Describe}.", At(v));
            }
            return result;
        }

        /// <summary>A value as plain objects: string or null, lists, maps. Every value read again through an alias
        /// counts against <see cref="MaxNodes"/>, so this cannot expand an alias bomb.</summary>
        private object? Value(YamlValue node)
        {
            if (!_visited.Add(node) && ++_revisits > MaxNodes)
            {
                if (_revisits == MaxNodes + 1)
                    Error("too-large", $"Anchors and aliases expand this definition by more than {MaxNodes:N0} values; write the values out or use fewer aliases.", At(node));
                return null;
            }
            switch (node)
            {
                case YamlText s:
                    return s.IsNull ? null : s.Value;
                case YamlList list:
                    var items = new List<object?>(list.Items.Count);
                    foreach (var item in list.Items) items.Add(Value(item));
                    return items;
                case YamlMap map:
                    var values = new Dictionary<string, object?>(map.Entries.Count, StringComparer.Ordinal);
                    foreach (var (k, v) in map.Entries)
                    {
                        if (k is YamlText { Value: var key } && !values.ContainsKey(key)) values[key] = Value(v);
                    }
                    return values;
                default:
                    return null;
            }
        }

        private Dictionary<string, SourceLocation> Keys(YamlMap map, string[] known, string what)
        {
            var keys = new Dictionary<string, SourceLocation>(StringComparer.Ordinal);
            foreach (var (key, _) in map.Entries)
            {
                // Keys that are not single values, and duplicates, were reported when loading.
                if (key is not YamlText { Value: var name } || !keys.TryAdd(name, At(key))) continue;
                if (!known.Contains(name))
                    Error("unknown-key", $"Unknown key '{name}' in the {what}{Suggest.DidYouMean(name, known)}; known keys: {string.Join(", ", known)}.", At(key));
            }
            return keys;
        }

        private YamlMap? Mapping(YamlValue node, string what)
        {
            if (node is YamlMap map) return map;
            Error("wrong-type", $"The {what} must be a mapping of keys to values, not a {node.Describe}.", At(node));
            return null;
        }

        private IEnumerable<YamlValue> Items(YamlValue node, string key) => node switch
        {
            YamlList list => list.Items,
            YamlText { IsNull: true } => [],
            YamlText s => [s],
            _ => ErrorItems(node, key),
        };

        private IEnumerable<YamlValue> ErrorItems(YamlValue node, string key)
        {
            Error("wrong-type", $"'{key}' must be a list, not a {node.Describe}.", At(node));
            return [];
        }

        /// <summary>A list of single values; each item's location is kept as "KEY.VALUE".</summary>
        private IReadOnlyList<string> ListOf(YamlMap map, string key, Dictionary<string, SourceLocation>? keys)
        {
            if (map.Get(key) is not { } node) return [];
            var result = new List<string>();
            foreach (var item in Items(node, key))
            {
                if (item is YamlText { IsNull: false, Value: var v })
                {
                    result.Add(v);
                    keys?.TryAdd($"{(key == "inputs" ? "input" : key)}.{v}", At(item));
                }
                else
                {
                    Error("wrong-type", $"Items of '{key}' must be single values, not {(item is YamlText ? "empty" : "a " + item.Describe)}.", At(item));
                }
            }
            return result;
        }

        private string? Scalar(YamlMap map, string key)
        {
            if (map.Get(key) is not { } node) return null;
            if (node is YamlText s) return s.IsNull ? null : s.Value;
            Error("wrong-type", $"'{key}' must be a single value, not a {node.Describe}.", At(node));
            return null;
        }

        private int? IntOf(YamlMap map, string key, int min)
        {
            var text = Scalar(map, key);
            if (text is null) return null;
            if (int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) && value >= min) return value;
            Error("wrong-type", $"'{key}' must be a whole number of at least {min}, not '{text}'.", At(map.Get(key)!));
            return null;
        }

        private bool? BoolOf(YamlMap map, string key)
        {
            var text = Scalar(map, key);
            switch (text?.ToLowerInvariant())
            {
                case null: return null;
                case "true" or "yes" or "on": return true;
                case "false" or "no" or "off": return false;
                default:
                    Error("wrong-type", $"'{key}' must be true or false, not '{text}'.", At(map.Get(key)!));
                    return null;
            }
        }

        private TimeSpan? DurationOf(YamlMap map, string key)
        {
            var text = Scalar(map, key);
            if (text is null) return null;
            if (Duration.TryParse(text, out var value)) return value;
            Error("bad-duration", $"'{key}' must be a duration such as 30s, 5m, 1h30m or 250ms, not '{text}'.", At(map.Get(key)!));
            return null;
        }

        private T EnumOf<T>(YamlMap map, string key, T fallback) where T : struct, Enum
        {
            var text = Scalar(map, key);
            if (text is null) return fallback;
            var names = Enum.GetNames<T>().Select(SnakeCase).ToArray();
            var index = Array.FindIndex(names, n => string.Equals(n, text.Replace('-', '_'), StringComparison.OrdinalIgnoreCase));
            if (index >= 0) return Enum.GetValues<T>()[index];
            Error("bad-value", $"'{text}' is not a valid '{key}'{Suggest.DidYouMean(text, names)}; use one of: {string.Join(", ", names)}.", At(map.Get(key)!));
            return fallback;
        }
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
    /// <summary>The rule for pipeline ids, in words.</summary>
    public const string Rule = "1 to 128 letters, digits, '_', '-' and '.', starting with a letter, a digit or '_'";

    /// <summary>The rule for step ids, in words.</summary>
    public const string StepRule = "1 to 128 letters, digits, '_' and '-', starting with a letter, a digit or '_' (no '.', which separates the parts of steps.ID.NAME)";

    /// <summary>Pipeline ids: letters, digits, '_', '-', '.'; starting with a letter, digit or '_'.</summary>
    public static bool IsValid(string id) =>
        id.Length is > 0 and <= 128 && (char.IsAsciiLetterOrDigit(id[0]) || id[0] == '_') &&
        id.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.');

    /// <summary>Step ids: letters, digits, '_', '-'; starting with a letter, digit or '_'. No '.', because
    /// <c>{steps.ID.NAME}</c> and <c>steps.ID.NAME</c> in conditions are split at dots.</summary>
    public static bool IsValidStep(string id) => IsValid(id) && !id.Contains('.');

    /// <summary>Variable names: letters, digits and '_', not starting with a digit.</summary>
    public static bool IsValidVariable(string name) =>
        name.Length > 0 && (char.IsAsciiLetter(name[0]) || name[0] == '_') && name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_');
}
