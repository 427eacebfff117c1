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
    /// <summary>Every problem found, in the order of the text.</summary>
    /// <param name="definition">The definition.</param>
    /// <param name="registry">The step types available in this host.</param>
    /// <param name="scope">When given, every template reference is checked against it (variables, environment
    /// and secrets must resolve); otherwise only names are checked against the definition's variables.</param>
    /// <param name="callerVariables">Variable names the caller will supply (counted as defined).</param>
    public static IReadOnlyList<DefinitionError> Validate(
        PipelineDefinition definition,
        StepTypeRegistry registry,
        TemplateScope? scope = null,
        IEnumerable<string>? callerVariables = null)
    {
        var errors = ExecutionPlan.GraphErrors(definition);
        var byId = definition.Steps.Where(s => s.Id.Length > 0).GroupBy(s => s.Id, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
        var variableNames = new HashSet<string>(definition.Variables.Keys.Concat(callerVariables ?? []), StringComparer.Ordinal);
        var graphIsSound = errors.Count == 0;
        var rollbackIds = new HashSet<string>(StringComparer.Ordinal);

        foreach (var step in definition.Steps)
        {
            var upstream = graphIsSound ? Ancestors(step, byId) : new HashSet<string>(step.Upstream, StringComparer.Ordinal);
            CheckStep(step, registry, scope, variableNames, upstream, errors);
            if (step.Rollback is { } rollback)
            {
                if (byId.ContainsKey(rollback.Id) || !rollbackIds.Add(rollback.Id))
                    errors.Add(new DefinitionError("duplicate-id", $"The rollback id '{rollback.Id}' is already used by another step.", rollback.Location));
                if (rollback.DependsOn.Count > 0 || rollback.Inputs.Count > 0)
                    errors.Add(new DefinitionError("bad-rollback", $"The rollback of step '{step.Id}' cannot have depends_on or input: it runs when the run fails.", rollback.Location));
                CheckStep(rollback, registry, scope, variableNames, upstream.Append(step.Id).ToHashSet(StringComparer.Ordinal), errors);
            }
            foreach (var input in step.Inputs)
            {
                if (byId.TryGetValue(input, out var producer) && registry.TryGet(producer.Type, out var producerHandler) &&
                    producer.Handler is null && !producerHandler.Info.ProducesRecords)
                {
                    errors.Add(new DefinitionError("not-a-producer", $"The step '{step.Id}' reads records from '{input}', but steps of type '{producer.Type}' produce no records.",
                        step.KeyLocations.GetValueOrDefault("input") ?? step.Location));
                }
            }
        }
        return errors.OrderBy(e => e.Location?.Line ?? int.MaxValue).ThenBy(e => e.Location?.Column ?? 0).ToArray();
    }

    private static HashSet<string> Ancestors(StepDefinition step, Dictionary<string, StepDefinition> byId)
    {
        var result = new HashSet<string>(StringComparer.Ordinal);
        var stack = new Stack<string>(step.Upstream);
        while (stack.Count > 0)
        {
            var id = stack.Pop();
            if (!result.Add(id) || !byId.TryGetValue(id, out var s)) continue;
            foreach (var u in s.Upstream) stack.Push(u);
        }
        return result;
    }

    private static void CheckStep(StepDefinition step, StepTypeRegistry registry, TemplateScope? scope, HashSet<string> variables, HashSet<string> upstream, List<DefinitionError> errors)
    {
        SourceLocation? At(string key) => step.KeyLocations.GetValueOrDefault(key) ?? step.Location;

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
                errors.Add(new DefinitionError("unavailable-type", $"Step '{step.Id}': {reason}", At("type")));
            else
                errors.Add(new DefinitionError("unknown-type",
                    $"Step '{step.Id}' has the unknown type '{step.Type}'{Suggest.DidYouMean(step.Type, registry.Names)}. Run 'pipeline steps' or Get-PipelineStepType for the list.",
                    At("type")));
        }

        if (info is not null)
        {
            var known = info.Options.Select(o => o.Name).ToArray();
            foreach (var (key, value) in step.With)
            {
                var option = info.Options.FirstOrDefault(o => o.Name == key);
                if (option is null)
                {
                    errors.Add(new DefinitionError("unknown-option",
                        $"Step '{step.Id}': '{key}' is not an option of '{info.Name}'{Suggest.DidYouMean(key, known)}" +
                        (known.Length == 0 ? "; it takes no options." : $"; its options: {string.Join(", ", known)}."),
                        At("with." + key)));
                    continue;
                }
                if (CheckValue(option, value) is { } problem)
                    errors.Add(new DefinitionError("bad-option", $"Step '{step.Id}': the option '{key}' {problem}", At("with." + key)));
            }
            foreach (var option in info.Options.Where(o => o.Required && !step.With.ContainsKey(o.Name)))
                errors.Add(new DefinitionError("missing-option", $"Step '{step.Id}' ({info.Name}) needs the option '{option.Name}': {option.Description}", At("with") ?? step.Location));
            if (step.Inputs.Count > 0 && !info.ConsumesRecords)
                errors.Add(new DefinitionError("not-a-consumer", $"Step '{step.Id}' has an input, but steps of type '{info.Name}' read no records.", At("input")));
        }

        if (step.When is { } condition && Execution.Conditions.Check(condition, scope?.Variables.Keys ?? variables, upstream) is { } conditionProblem)
            errors.Add(new DefinitionError("bad-condition", $"Step '{step.Id}': the condition is invalid: {conditionProblem}", At("when")));

        foreach (var (key, value) in step.With)
        {
            foreach (var reference in Strings(value).SelectMany(Template.References))
            {
                var problem = scope is not null
                    ? scope.Check(reference, upstream)
                    : CheckName(reference, variables, upstream);
                if (problem is not null)
                    errors.Add(new DefinitionError("unresolved-template", $"Step '{step.Id}', option '{key}': {problem}", At("with." + key)));
            }
        }
    }

    private static string? CheckName(TemplateReference reference, HashSet<string> variables, HashSet<string> upstream)
    {
        if (reference.Name.StartsWith("steps.", StringComparison.Ordinal))
        {
            var parts = reference.Name.Split('.');
            return parts.Length >= 3 && upstream.Contains(parts[1]) ? null
                : $"'{{{reference.Text}}}' must name an upstream step and an output: {{steps.ID.NAME}}.";
        }
        if (TemplateScope.BuiltIns.Contains(reference.Name) || (reference.Argument is null && variables.Contains(reference.Name))) return null;
        return $"'{{{reference.Text}}}' is not defined{Suggest.DidYouMean(reference.Name, variables.Concat(TemplateScope.BuiltIns))}.";
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
            case StepOptionType.Boolean when text is not null && text.ToLowerInvariant() is not ("true" or "false" or "yes" or "no" or "on" or "off"):
                return $"must be true or false, not '{text}'.";
            case StepOptionType.Duration when text is not null && !Duration.TryParse(text, out _):
                return $"must be a duration such as 30s, 5m or 1h30m, not '{text}'.";
            case StepOptionType.Map when value is not null and not IReadOnlyDictionary<string, object?>:
                return "must be a mapping of names to values.";
            case StepOptionType.String or StepOptionType.Integer or StepOptionType.Number or StepOptionType.Boolean or StepOptionType.Duration
                when value is IReadOnlyDictionary<string, object?> or IReadOnlyList<object?>:
                return "must be a single value, not a list or mapping.";
        }
        if (option.AllowedValues is { Count: > 0 } allowed && text is not null && !allowed.Contains(text, StringComparer.OrdinalIgnoreCase))
            return $"must be one of {string.Join(", ", allowed)}, not '{text}'{Suggest.DidYouMean(text, allowed)}.";
        return null;
    }
}
