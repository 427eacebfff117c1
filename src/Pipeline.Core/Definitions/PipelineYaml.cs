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
        private SourceLocation? _reading;

        public List<DefinitionError> Errors { get; } = [];

        private SourceLocation At(YamlValue node) => At(node.At);

        private SourceLocation At(YamlAt at) => new(file, at.Line, at.Column);

        // Where the value under a key was written (for an alias, the alias itself).
        private SourceLocation ValueAt(YamlMap map, string key) => At(map.Entry(key)!.Value.ValueAt);

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

            var rootValues = new Dictionary<string, SourceLocation>(StringComparer.Ordinal);
            var keys = Keys(root, PipelineKeys, "pipeline", rootValues);
            var id = Scalar(root, "pipeline_id");
            if (id is null)
                Error("missing-key", "The pipeline needs a 'pipeline_id'.", At(root));
            else if (!Ids.IsValid(id))
                Error("bad-id", $"The pipeline_id '{id}' is not a valid id: {Ids.Rule}.", rootValues.GetValueOrDefault("pipeline_id"));

            var defaults = new StepDefaults();
            if (root.Entry("defaults") is { } defaultsEntry && Mapping(defaultsEntry.Value, defaultsEntry.ValueAt, "defaults") is { } defaultsMap)
            {
                var defaultValues = new Dictionary<string, SourceLocation>(StringComparer.Ordinal);
                foreach (var (key, at) in Keys(defaultsMap, DefaultsKeys, "defaults", defaultValues)) keys.TryAdd("defaults." + key, at);
                foreach (var (key, at) in defaultValues) rootValues.TryAdd("defaults." + key, at);
                defaults = new StepDefaults
                {
                    Timeout = DurationOf(defaultsMap, "timeout"),
                    Retry = defaultsMap.Entry("retry") is { } r ? ReadRetry(r.Value, r.ValueAt) ?? RetryPolicy.None : RetryPolicy.None,
                };
            }

            var variables = ReadVariables(root.Entry("variables"), keys, rootValues);

            var steps = new List<StepDefinition>();
            if (root.Entry("steps") is not { } stepsEntry)
            {
                Error("missing-key", "The pipeline needs 'steps': a list of steps.", At(root));
            }
            else if (stepsEntry.Value is not YamlList stepList)
            {
                if (stepsEntry.Value is not YamlText { IsNull: true })
                    Error("wrong-type", $"'steps' must be a list of steps, not a {stepsEntry.Value.Describe}.", At(stepsEntry.ValueAt));
                else
                    Error("no-steps", "'steps' is empty: a pipeline needs at least one step.", At(stepsEntry.ValueAt));
            }
            else
            {
                if (stepList.Items.Count == 0) Error("no-steps", "'steps' is empty: a pipeline needs at least one step.", At(stepsEntry.ValueAt));
                foreach (var item in stepList.Items)
                {
                    if (ReadStep(item.Value, item.At, "step", StepKeys) is { } step) steps.Add(step);
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
                ValueLocations = rootValues,
            };
        }

        private StepDefinition? ReadStep(YamlValue node, YamlAt at, string what, string[] known, string? defaultId = null)
        {
            if (Mapping(node, at, what) is not { } map) return null;
            var values = new Dictionary<string, SourceLocation>(StringComparer.Ordinal);
            var keys = Keys(map, known, what, values);
            var givenId = Scalar(map, "id");
            var id = givenId ?? defaultId;
            if (id is null)
                Error("missing-key", $"A {what} needs an 'id'.", At(at));
            else if (givenId is not null && known == RollbackKeys && !Ids.IsValid(givenId))
                Error("bad-id", $"The rollback id '{givenId}' is not a valid id: {Ids.Rule}.", values.GetValueOrDefault("id") ?? At(at));
            else if (givenId is not null && known != RollbackKeys && !Ids.IsValidStep(givenId))
                Error("bad-id", $"The step id '{givenId}' is not a valid step id: {Ids.StepRule}.", values.GetValueOrDefault("id") ?? At(at));
            var type = Scalar(map, "type");
            if (type is null) Error("missing-key", $"The {what} '{id}' needs a 'type'.", At(at));

            var with = new Dictionary<string, object?>(StringComparer.Ordinal);
            if (map.Entry("with") is { } withEntry && withEntry.Value is not YamlText { IsNull: true } &&
                Mapping(withEntry.Value, withEntry.ValueAt, $"'with' of step '{id}'") is { } withMap)
            {
                foreach (var entry in withMap.Entries)
                {
                    // Keys that are not single values, and duplicates, were reported when loading.
                    if (entry.Name is not { } key || !keys.TryAdd("with." + key, At(entry.KeyAt))) continue;
                    values.TryAdd("with." + key, At(entry.ValueAt));
                    _reading = At(entry.KeyAt);
                    with[key] = Value(entry.Value);
                }
            }

            bool Has(string key) => known.Contains(key);
            var inputs = Has("input") ? ListOf(map, "input", keys).Concat(ListOf(map, "inputs", keys)).Distinct(StringComparer.Ordinal).ToArray() : [];
            return new StepDefinition
            {
                Id = id ?? "",
                Name = Scalar(map, "name"),
                Type = type ?? "",
                DependsOn = Has("depends_on") ? ListOf(map, "depends_on", keys) : [],
                Inputs = inputs,
                Trigger = Has("trigger") ? EnumOf(map, "trigger", TriggerRule.AllSuccess) : TriggerRule.AllSuccess,
                When = Has("when") ? Scalar(map, "when") : null,
                Timeout = DurationOf(map, "timeout"),
                ExpectedDuration = Has("expected_duration") ? DurationOf(map, "expected_duration") : null,
                Retry = Has("retry") && map.Entry("retry") is { } retry ? ReadRetry(retry.Value, retry.ValueAt) : null,
                Rollback = Has("rollback") && map.Entry("rollback") is { } rollback ? ReadRollback(rollback, id ?? "") : null,
                With = with,
                Location = At(at),
                KeyLocations = keys,
                ValueLocations = values,
            };
        }

        // The rollback step's id defaults to "<owner>.rollback".
        private StepDefinition? ReadRollback(YamlEntry entry, string ownerId) =>
            ReadStep(entry.Value, entry.ValueAt, $"rollback of step '{ownerId}'", RollbackKeys, ownerId + ".rollback");

        private RetryPolicy? ReadRetry(YamlValue node, YamlAt at)
        {
            if (Mapping(node, at, "retry") is not { } map) return null;
            var keys = Keys(map, RetryKeys, "retry");
            var retryOn = new List<ErrorKind>();
            if (map.Entry("retry_on") is { } retryOnEntry)
            {
                foreach (var item in Items(retryOnEntry, "retry_on"))
                {
                    if (item.Value is not YamlText { Value: var name })
                    {
                        Error("wrong-type", $"Items of 'retry_on' must be error kinds, not a {item.Value.Describe}.", At(item.At));
                        continue;
                    }
                    if (ErrorKinds.TryParse(name, out var kind)) retryOn.Add(kind);
                    else Error("unknown-error-kind", $"'{name}' is not an error kind{Suggest.DidYouMean(name, ErrorKinds.Names)}; known kinds: {string.Join(", ", ErrorKinds.Names)}.", At(item.At));
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

        private Dictionary<string, string> ReadVariables(YamlEntry? variables, Dictionary<string, SourceLocation> pipelineKeys, Dictionary<string, SourceLocation> pipelineValues)
        {
            var result = new Dictionary<string, string>(StringComparer.Ordinal);
            if (variables is not { } entry || entry.Value is YamlText { IsNull: true } || Mapping(entry.Value, entry.ValueAt, "variables") is not { } map) return result;
            foreach (var variable in map.Entries)
            {
                // Keys that are not single values, and duplicates, were reported when loading.
                if (variable.Name is not { } name || !pipelineKeys.TryAdd("variables." + name, At(variable.KeyAt))) continue;
                pipelineValues.TryAdd("variables." + name, At(variable.ValueAt));
                if (!Ids.IsValidVariable(name))
                    Error("bad-variable", $"The variable name '{name}' is not valid: it may hold only letters, digits and '_', and may not start with a digit.", At(variable.KeyAt));
                else if (ReservedVariables.Contains(name))
                    Error("bad-variable", $"The variable name '{name}' is reserved (it has a meaning of its own in templates); choose another name.", At(variable.KeyAt));
                if (variable.Value is YamlText scalar) result[name] = scalar.IsNull ? "" : scalar.Value;
                else Error("wrong-type", $"The variable '{name}' must be a single value, not a {variable.Value.Describe}.", At(variable.ValueAt));
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
                    Error("too-large", $"Anchors and aliases expand this definition by more than {MaxNodes:N0} values; write the values out or use fewer aliases.", _reading ?? At(node));
                return null;
            }
            switch (node)
            {
                case YamlText s:
                    return s.IsNull ? null : s.Value;
                case YamlList list:
                    var items = new List<object?>(list.Items.Count);
                    foreach (var item in list.Items) items.Add(Value(item.Value));
                    return items;
                case YamlMap map:
                    var values = new Dictionary<string, object?>(map.Entries.Count, StringComparer.Ordinal);
                    foreach (var entry in map.Entries)
                    {
                        if (entry.Name is { } key && !values.ContainsKey(key)) values[key] = Value(entry.Value);
                    }
                    return values;
                default:
                    return null;
            }
        }

        private Dictionary<string, SourceLocation> Keys(YamlMap map, string[] known, string what, Dictionary<string, SourceLocation>? values = null)
        {
            var keys = new Dictionary<string, SourceLocation>(StringComparer.Ordinal);
            foreach (var entry in map.Entries)
            {
                // Keys that are not single values, and duplicates, were reported when loading.
                if (entry.Name is not { } name || !keys.TryAdd(name, At(entry.KeyAt))) continue;
                values?.TryAdd(name, At(entry.ValueAt));
                if (!known.Contains(name))
                    Error("unknown-key", $"Unknown key '{name}' in the {what}{Suggest.DidYouMean(name, known)}; known keys: {string.Join(", ", known)}.", At(entry.KeyAt));
            }
            return keys;
        }

        private YamlMap? Mapping(YamlValue node, YamlAt at, string what)
        {
            if (node is YamlMap map) return map;
            Error("wrong-type", $"The {what} must be a mapping of keys to values, not a {node.Describe}.", At(at));
            return null;
        }

        /// <summary>The items of a list; a single value is a list of one.</summary>
        private IEnumerable<YamlItem> Items(YamlEntry entry, string key) => entry.Value switch
        {
            YamlList list => list.Items,
            YamlText { IsNull: true } => [],
            YamlText s => [new YamlItem(s, entry.ValueAt)],
            _ => ErrorItems(entry, key),
        };

        private IEnumerable<YamlItem> ErrorItems(YamlEntry entry, string key)
        {
            Error("wrong-type", $"'{key}' must be a list, not a {entry.Value.Describe}.", At(entry.ValueAt));
            return [];
        }

        /// <summary>A list of single values; each item's location is kept as "KEY.VALUE".</summary>
        private IReadOnlyList<string> ListOf(YamlMap map, string key, Dictionary<string, SourceLocation>? keys)
        {
            if (map.Entry(key) is not { } entry) return [];
            var result = new List<string>();
            foreach (var item in Items(entry, key))
            {
                if (item.Value is YamlText { IsNull: false, Value: var v })
                {
                    result.Add(v);
                    keys?.TryAdd($"{(key == "inputs" ? "input" : key)}.{v}", At(item.At));
                }
                else
                {
                    Error("wrong-type", $"Items of '{key}' must be single values, not {(item.Value is YamlText ? "empty" : "a " + item.Value.Describe)}.", At(item.At));
                }
            }
            return result;
        }

        private string? Scalar(YamlMap map, string key)
        {
            if (map.Entry(key) is not { } entry) return null;
            if (entry.Value is YamlText s) return s.IsNull ? null : s.Value;
            Error("wrong-type", $"'{key}' must be a single value, not a {entry.Value.Describe}.", At(entry.ValueAt));
            return null;
        }

        private int? IntOf(YamlMap map, string key, int min)
        {
            var text = Scalar(map, key);
            if (text is null) return null;
            if (int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) && value >= min) return value;
            Error("wrong-type", $"'{key}' must be a whole number of at least {min}, not '{text}'.", ValueAt(map, key));
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
                    Error("wrong-type", $"'{key}' must be true or false, not '{text}'.", ValueAt(map, key));
                    return null;
            }
        }

        private TimeSpan? DurationOf(YamlMap map, string key)
        {
            var text = Scalar(map, key);
            if (text is null) return null;
            if (Duration.TryParse(text, out var value)) return value;
            Error("bad-duration", $"'{key}' must be a duration such as 30s, 5m, 1h30m or 250ms, not '{text}'.", ValueAt(map, key));
            return null;
        }

        private T EnumOf<T>(YamlMap map, string key, T fallback) where T : struct, Enum
        {
            var text = Scalar(map, key);
            if (text is null) return fallback;
            var names = Enum.GetNames<T>().Select(SnakeCase).ToArray();
            var index = Array.FindIndex(names, n => string.Equals(n, text.Replace('-', '_'), StringComparison.OrdinalIgnoreCase));
            if (index >= 0) return Enum.GetValues<T>()[index];
            Error("bad-value", $"'{text}' is not a valid '{key}'{Suggest.DidYouMean(text, names)}; use one of: {string.Join(", ", names)}.", ValueAt(map, key));
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
