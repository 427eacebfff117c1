using System.Globalization;
using Pipeline.Core.Planning;
using Pipeline.Core.Steps;
using Pipeline.Core.Templates;

namespace Pipeline.Core.Definitions;

/// <summary>
/// Finds every problem of a definition that can be found before anything runs: the graph (duplicate ids, unknown
/// dependencies, cycles), step types and their options, record inputs, conditions and templates.
/// </summary>
public static class DefinitionValidator
{
    /// <summary>Every problem found, in the order of the text. Linear in steps and dependencies, except that a
    /// step's condition costs as much as its ancestors, and a <c>{steps.ID.NAME}</c> template as much as the
    /// breadth-first search from the step back to ID (one look for a direct upstream step).</summary>
    /// <param name="definition">The definition.</param>
    /// <param name="registry">The step types available in this host.</param>
    /// <param name="scope">When given, every template reference is checked against it (variables, environment
    /// and secrets must resolve); otherwise names are checked against the definition's variables and those of
    /// <paramref name="callerVariables"/>, and the variables' own templates are checked too.</param>
    /// <param name="callerVariables">Variable names the caller will supply (counted as defined).</param>
    public static IReadOnlyList<DefinitionError> Validate(
        PipelineDefinition definition,
        StepTypeRegistry registry,
        TemplateScope? scope = null,
        IEnumerable<string>? callerVariables = null)
    {
        var errors = ExecutionPlan.GraphErrors(definition);
        var byId = new Dictionary<string, StepDefinition>(StringComparer.Ordinal);
        foreach (var step in definition.Steps) byId.TryAdd(step.Id, step);
        var callers = new HashSet<string>(callerVariables ?? [], StringComparer.Ordinal);
        var variableNames = new HashSet<string>(definition.Variables.Keys.Concat(callers), StringComparer.Ordinal);
        if (scope is null) CheckVariables(definition, callers, variableNames, errors);
        CheckTimeout(definition.Defaults.Timeout, "defaults", definition.ValueLocations.GetValueOrDefault("defaults.timeout") ?? definition.KeyLocations.GetValueOrDefault("defaults"), errors);
        var rollbackIds = new HashSet<string>(StringComparer.Ordinal);

        foreach (var step in definition.Steps)
        {
            AncestorSearch? ancestors = null;
            AncestorSearch Upstream() => ancestors ??= new AncestorSearch(step.Upstream, byId);
            if (step.Location is null) CheckId(step, "step", errors);
            CheckStep(step, registry, scope, variableNames, Upstream, errors);
            if (step.Rollback is { } rollback)
            {
                if (rollback.Location is null) CheckId(rollback, "rollback", errors);
                if (byId.ContainsKey(rollback.Id) || !rollbackIds.Add(rollback.Id))
                    errors.Add(new DefinitionError("duplicate-id", $"The rollback id '{rollback.Id}' is already used by another step.",
                        rollback.ValueLocations.GetValueOrDefault("id") ?? rollback.Location));
                if (rollback.DependsOn.Count > 0 || rollback.Inputs.Count > 0)
                    errors.Add(new DefinitionError("bad-rollback", $"The rollback of step '{step.Id}' cannot have depends_on or input: it runs when the run fails.", rollback.Location));
                AncestorSearch? withOwner = null;
                CheckStep(rollback, registry, scope, variableNames, () => withOwner ??= new AncestorSearch([step.Id], byId), errors);
            }
            foreach (var input in step.Inputs)
            {
                if (!byId.TryGetValue(Execution.StepInputs.ProducerOf(input), out var producer) || Execution.StepInputs.Info(producer, registry) is not { } producerInfo)
                    continue;
                var at = step.KeyLocations.GetValueOrDefault("input." + input) ?? step.KeyLocations.GetValueOrDefault("input") ?? step.Location;
                var port = Execution.StepInputs.PortOf(input);
                if (port is null && !producerInfo.ProducesRecords)
                {
                    errors.Add(new DefinitionError("not-a-producer", $"The step '{step.Id}' reads records from '{input}', but steps of type '{producerInfo.Name}' produce no records.", at));
                }
                else if (port is not null && !producerInfo.DynamicOutputPorts && !producerInfo.OutputPorts.Contains(port, StringComparer.Ordinal))
                {
                    errors.Add(new DefinitionError("unknown-output", producerInfo.OutputPorts.Count == 0
                        ? $"The step '{step.Id}' reads the output '{port}' of '{producer.Id}', but steps of type '{producerInfo.Name}' have no named outputs."
                        : $"The step '{step.Id}' reads the output '{port}' of '{producer.Id}', but steps of type '{producerInfo.Name}' have only {string.Join(", ", producerInfo.OutputPorts.Select(p => $"'{p}'"))}{Suggest.DidYouMean(port, producerInfo.OutputPorts)}.", at));
                }
            }
        }
        return DefinitionLoader.Sorted(errors);
    }

    /// <summary>
    /// The steps a step waits for, directly or not, found breadth-first only as far as a question needs: whether
    /// its direct upstream holds a step costs no more than that upstream; listing them all costs the ancestors
    /// once. No recursion, so chains of any length are fine.
    /// </summary>
    private sealed class AncestorSearch : IUpstreamSteps
    {
        private readonly Dictionary<string, StepDefinition> _byId;
        private readonly HashSet<string> _found = new(StringComparer.Ordinal);
        private readonly Queue<string> _pending = new();

        public AncestorSearch(IEnumerable<string> start, Dictionary<string, StepDefinition> byId)
        {
            _byId = byId;
            foreach (var id in start)
            {
                if (_found.Add(id)) _pending.Enqueue(id);
            }
        }

        public bool Contains(string id)
        {
            while (!_found.Contains(id))
            {
                if (!Expand()) return false;
            }
            return true;
        }

        public IEnumerable<string> All => Set;

        public HashSet<string> Set
        {
            get
            {
                while (Expand()) { }
                return _found;
            }
        }

        private bool Expand()
        {
            if (_pending.Count == 0) return false;
            if (_byId.TryGetValue(_pending.Dequeue(), out var step))
            {
                foreach (var id in step.Upstream)
                {
                    if (_found.Add(id)) _pending.Enqueue(id);
                }
            }
            return true;
        }
    }

    /// <summary>Ids of steps built from objects (those from YAML were checked where they were read).</summary>
    private static void CheckId(StepDefinition step, string what, List<DefinitionError> errors)
    {
        // A rollback is never referred to, so its id may hold dots like the default "<owner>.rollback".
        if (what == "rollback" ? !Ids.IsValid(step.Id) : !Ids.IsValidStep(step.Id))
            errors.Add(new DefinitionError("bad-id", what == "rollback"
                ? $"The rollback id '{step.Id}' is not a valid id: {Ids.Rule}."
                : $"The step id '{step.Id}' is not a valid step id: {Ids.StepRule}.", step.Location));
    }

    /// <summary>The templates of the pipeline's variables: known names only, and no cycles. A variable the caller
    /// supplies replaces the pipeline's, so the pipeline's value is not checked.</summary>
    private static void CheckVariables(PipelineDefinition definition, HashSet<string> callers, HashSet<string> names, List<DefinitionError> errors)
    {
        var own = definition.Variables.Where(kv => !callers.Contains(kv.Key)).ToArray();
        var position = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < own.Length; i++) position[own[i].Key] = i;
        SourceLocation? At(string name) => definition.ValueLocations.GetValueOrDefault("variables." + name) ?? definition.KeyLocations.GetValueOrDefault("variables." + name)
            ?? definition.KeyLocations.GetValueOrDefault("variables");

        var edges = new int[own.Length][];
        for (var i = 0; i < own.Length; i++)
        {
            var (name, value) = own[i];
            var refersTo = new List<int>();
            foreach (var reference in Template.References(value))
            {
                if (reference.Argument is null && position.TryGetValue(reference.Name, out var target) && reference.Name is not ("now" or "run_id" or "pipeline_id" or "step_id"))
                {
                    if (target == i) errors.Add(new DefinitionError("variable-cycle", $"The variable '{name}' refers to itself.", At(name)));
                    else refersTo.Add(target);
                }
                else if (TemplateScope.Problem(reference, names, upstream: null) is { } problem)
                {
                    errors.Add(new DefinitionError("unresolved-template", $"The variable '{name}': {problem}", At(name)));
                }
            }
            edges[i] = refersTo.ToArray();
        }
        foreach (var knot in GraphCycles.Find(edges))
        {
            var first = own[knot.Path[0]].Key;
            errors.Add(new DefinitionError("variable-cycle",
                $"The variables refer to each other in a cycle: {string.Join(" -> ", knot.Path.Select(i => own[i].Key))}.", At(first)));
        }
    }

    private static void CheckStep(StepDefinition step, StepTypeRegistry registry, TemplateScope? scope, HashSet<string> variables,
        Func<AncestorSearch> upstream, List<DefinitionError> errors)
    {
        SourceLocation? At(string key) => step.KeyLocations.GetValueOrDefault(key) ?? step.Location;
        SourceLocation? ValueAt(string key) => step.ValueLocations.GetValueOrDefault(key) ?? At(key);

        CheckTimeout(step.Timeout, $"step '{step.Id}'", ValueAt("timeout"), errors);
        if (step.Location is null && step.Retry is { } retry) CheckRetry(retry, step, errors);

        StepTypeInfo? info = null;
        if (step.Handler is not null)
        {
            info = step.Handler.Info;
        }
        else if (step.Type.Length > 0)
        {
            if (registry.TryGet(step.Type, out var handler))
                info = handler.Info;
            else if (registry.UnavailableReason(step.Type) is { } reason)
                errors.Add(new DefinitionError("unavailable-type", $"Step '{step.Id}': {reason}", ValueAt("type")));
            else
                errors.Add(new DefinitionError("unknown-type",
                    $"Step '{step.Id}' has the unknown type '{step.Type}'{Suggest.DidYouMean(step.Type, registry.Names)}. Run 'pipeline steps' or Get-PipelineStepType for the list.",
                    ValueAt("type")));
        }
        else if (step.Location is null)
        {
            errors.Add(new DefinitionError("missing-key", $"The step '{step.Id}' needs a type.", null));
        }

        if (info is not null)
        {
            foreach (var (key, value) in step.With)
            {
                if (Option(info, key) is not { } option)
                {
                    var known = info.Options.Select(o => o.Name).ToArray();
                    errors.Add(new DefinitionError("unknown-option",
                        $"Step '{step.Id}': '{key}' is not an option of '{info.Name}'{Suggest.DidYouMean(key, known)}" +
                        (known.Length == 0 ? "; it takes no options." : $"; its options: {string.Join(", ", known)}."),
                        At("with." + key)));
                    continue;
                }
                if (CheckValue(option, value) is { } problem)
                    errors.Add(new DefinitionError("bad-option", $"Step '{step.Id}': the option '{key}' {problem}", ValueAt("with." + key)));
            }
            foreach (var option in info.Options.Where(o => o.Required && !step.With.ContainsKey(o.Name)))
                errors.Add(new DefinitionError("missing-option", $"Step '{step.Id}' ({info.Name}) needs the option '{option.Name}': {option.Description}", At("with")));
            if (step.Inputs.Count > 0 && !info.ConsumesRecords)
                errors.Add(new DefinitionError("not-a-consumer", $"Step '{step.Id}' has an input, but steps of type '{info.Name}' read no records.",
                    step.KeyLocations.GetValueOrDefault("input") ?? At("inputs")));
        }

        if (step.When is { } condition && Execution.Conditions.Check(condition, scope?.Variables.Keys ?? variables, upstream().Set) is { } conditionProblem)
            errors.Add(new DefinitionError("bad-condition", $"Step '{step.Id}': the condition is invalid: {conditionProblem}", ValueAt("when")));

        foreach (var (key, value) in step.With)
        {
            foreach (var reference in Strings(value).SelectMany(Template.References))
            {
                // Only references to other steps need the ancestors; the others are checked without them.
                var steps = reference.Name.StartsWith("steps.", StringComparison.Ordinal) ? upstream() : NoSteps;
                var problem = scope is not null
                    ? scope.Check(reference, steps)
                    : TemplateScope.Problem(reference, variables, steps);
                if (problem is not null)
                    errors.Add(new DefinitionError("unresolved-template", $"Step '{step.Id}', option '{key}': {problem}", ValueAt("with." + key)));
            }
        }
    }

    // Types declare a handful of options: a scan allocates nothing, unlike a dictionary per step.
    private static StepOptionInfo? Option(StepTypeInfo info, string name)
    {
        foreach (var option in info.Options)
        {
            if (option.Name == name) return option;
        }
        return null;
    }

    // For references that do not name a step: they are in a step's options, but need no ancestors.
    private static readonly IUpstreamSteps NoSteps = new UpstreamSet(new HashSet<string>());

    /// <summary>The shortest and the longest timeout an attempt may have (the bounds of Polly's timeout).</summary>
    internal static readonly (TimeSpan Min, TimeSpan Max) TimeoutRange = (TimeSpan.FromMilliseconds(10), TimeSpan.FromHours(24));

    private static void CheckTimeout(TimeSpan? timeout, string owner, SourceLocation? at, List<DefinitionError> errors)
    {
        if (timeout is { } t && (t < TimeoutRange.Min || t > TimeoutRange.Max))
            errors.Add(new DefinitionError("bad-duration",
                $"The timeout of {owner} ({Duration.Format(t)}) must be from 10ms to 24h.", at));
    }

    /// <summary>Retry policies built from objects (those from YAML were checked where they were read).</summary>
    private static void CheckRetry(RetryPolicy retry, StepDefinition step, List<DefinitionError> errors)
    {
        if (retry.MaxAttempts < 1)
            errors.Add(new DefinitionError("bad-retry", $"Step '{step.Id}': 'max_attempts' must be at least 1, not {retry.MaxAttempts}.", null));
        if (retry.Delay < TimeSpan.Zero)
            errors.Add(new DefinitionError("bad-retry", $"Step '{step.Id}': 'delay' cannot be negative.", null));
        if (retry.MaxDelay is { } max && max < retry.Delay)
            errors.Add(new DefinitionError("bad-retry", $"Step '{step.Id}': 'max_delay' ({Duration.Format(max)}) is shorter than 'delay' ({Duration.Format(retry.Delay)}).", null));
    }

    private static IEnumerable<string> Strings(object? value) => value switch
    {
        string s => [s],
        IEnumerable<object?> list => list.SelectMany(Strings),
        IReadOnlyDictionary<string, object?> map => map.Values.SelectMany(Strings),
        _ => [],
    };

    /// <summary>Checks a literal value against its option's type; values holding templates are checked when resolved.</summary>
    private static string? CheckValue(StepOptionInfo option, object? value)
    {
        if (value is string s && Template.HasTemplates(s)) return null;
        var text = value as string;
        switch (option.Type)
        {
            case StepOptionType.Integer when text is not null && !long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out _):
                return $"must be a whole number, not '{text}'.";
            case StepOptionType.Number when text is not null && !double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out _):
                return $"must be a number, not '{text}'.";
            case StepOptionType.Boolean when text is not null && text.ToLowerInvariant() is not ("true" or "false" or "yes" or "no" or "on" or "off" or "1" or "0"):
                return $"must be true or false, not '{text}'.";
            case StepOptionType.Duration when text is not null && !Duration.TryParse(text, out _):
                return $"must be a duration such as 30s, 5m or 1h30m, not '{text}'.";
            case StepOptionType.Map when value is not null and not IReadOnlyDictionary<string, object?>:
                return "must be a mapping of names to values.";
            case StepOptionType.List when value is IReadOnlyDictionary<string, object?>:
                return "must be a list (or a single value), not a mapping.";
            case StepOptionType.String or StepOptionType.Integer or StepOptionType.Number or StepOptionType.Boolean or StepOptionType.Duration
                when value is IReadOnlyDictionary<string, object?> or IReadOnlyList<object?>:
                return "must be a single value, not a list or mapping.";
        }
        if (option.AllowedValues is { Count: > 0 } allowed && text is not null && !allowed.Contains(text, StringComparer.OrdinalIgnoreCase))
            return $"must be one of {string.Join(", ", allowed)}, not '{text}'{Suggest.DidYouMean(text, allowed)}.";
        return null;
    }
}
