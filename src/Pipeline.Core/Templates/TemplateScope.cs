using System.Globalization;
using Pipeline.Core.Definitions;

namespace Pipeline.Core.Templates;

/// <summary>A template names something that cannot be resolved.</summary>
public sealed class TemplateException : Exception
{
    /// <summary>Creates the exception.</summary>
    public TemplateException(string message) : base(message) { }
}

/// <summary>
/// Resolves <c>{name}</c> references for one run: built-ins (<c>date</c>, <c>now:FORMAT</c>, <c>run_id</c>,
/// <c>pipeline_id</c>, <c>step_id</c>), variables (the caller's override the pipeline's), <c>{env:NAME}</c>,
/// <c>{secret:NAME}</c> (masked everywhere) and, while a step runs, <c>{steps.ID.NAME}</c> outputs of upstream steps.
/// </summary>
public sealed class TemplateScope
{
    private readonly SecretStore _secrets;
    private readonly Dictionary<string, string> _variables = new(StringComparer.Ordinal);

    /// <summary>Built-in names.</summary>
    public static readonly IReadOnlyList<string> BuiltIns = ["date", "now", "run_id", "pipeline_id", "step_id", "env", "secret"];

    /// <summary>Creates the scope and resolves every variable (variables may refer to built-ins, the environment,
    /// secrets and each other).</summary>
    /// <exception cref="TemplateException">A variable refers to something unknown, or variables refer to each other in a cycle.</exception>
    public TemplateScope(
        string pipelineId,
        string runId,
        DateTimeOffset startedAt,
        IReadOnlyDictionary<string, string> pipelineVariables,
        IReadOnlyDictionary<string, string> callerVariables,
        SecretStore secrets,
        SecretMasker masker)
    {
        PipelineId = pipelineId;
        RunId = runId;
        StartedAt = startedAt;
        _secrets = secrets;
        Masker = masker;
        var raw = new Dictionary<string, string>(pipelineVariables, StringComparer.Ordinal);
        foreach (var (k, v) in callerVariables) raw[k] = v;
        foreach (var name in raw.Keys) ResolveVariable(name, raw, []);
    }

    /// <summary>The pipeline.</summary>
    public string PipelineId { get; }

    /// <summary>The run.</summary>
    public string RunId { get; }

    /// <summary>The time templates see as "now" (the run's start, or the original run's start when resuming).</summary>
    public DateTimeOffset StartedAt { get; }

    /// <summary>The masker that learns every secret this scope resolves.</summary>
    public SecretMasker Masker { get; }

    /// <summary>Resolved variables (secrets resolved into a variable are masked wherever printed).</summary>
    public IReadOnlyDictionary<string, string> Variables => _variables;

    private string ResolveVariable(string name, Dictionary<string, string> raw, List<string> path)
    {
        if (_variables.TryGetValue(name, out var done)) return done;
        if (path.Contains(name))
            throw new TemplateException($"The variables refer to each other in a cycle: {string.Join(" -> ", path.Append(name))}.");
        path.Add(name);
        var value = Template.Render(raw[name], r =>
            r.Argument is null && raw.ContainsKey(r.Name) ? ResolveVariable(r.Name, raw, path) : Lookup(r, null, null)
                ?? throw new TemplateException($"The variable '{name}' refers to '{{{r.Text}}}', which is not defined{Suggest.DidYouMean(r.Name, raw.Keys.Concat(BuiltIns))}."));
        path.RemoveAt(path.Count - 1);
        _variables[name] = value;
        return value;
    }

    /// <summary>Renders <paramref name="text"/> for a step.</summary>
    /// <param name="text">The text with references.</param>
    /// <param name="stepId">The step (for <c>{step_id}</c>), or null.</param>
    /// <param name="stepOutputs">Upstream outputs by "steps.ID.NAME", or null before any step runs.</param>
    /// <exception cref="TemplateException">A reference cannot be resolved.</exception>
    public string Render(string text, string? stepId = null, Func<string, string?>? stepOutputs = null) =>
        Template.Render(text, r => Lookup(r, stepId, stepOutputs)
            ?? throw new TemplateException($"'{{{r.Text}}}' is not defined{Suggest.DidYouMean(r.Name, _variables.Keys.Concat(BuiltIns))}."));

    /// <summary>Renders every string inside an options value (strings, lists, maps).</summary>
    public object? RenderValue(object? value, string? stepId = null, Func<string, string?>? stepOutputs = null) => value switch
    {
        string s => Render(s, stepId, stepOutputs),
        IReadOnlyList<object?> list => list.Select(v => RenderValue(v, stepId, stepOutputs)).ToList(),
        IReadOnlyDictionary<string, object?> map => map.ToDictionary(kv => kv.Key, kv => RenderValue(kv.Value, stepId, stepOutputs), StringComparer.Ordinal),
        _ => value,
    };

    /// <summary>The problem with one reference, checked before anything runs, or null when it resolves (or will,
    /// like <c>{steps.ID.NAME}</c> of an upstream step).</summary>
    public string? Check(TemplateReference reference, ISet<string> upstreamSteps)
    {
        if (reference.Name.StartsWith("steps.", StringComparison.Ordinal))
        {
            var parts = reference.Name.Split('.');
            if (parts.Length < 3) return $"'{{{reference.Text}}}' must name a step and an output: {{steps.ID.NAME}}.";
            return upstreamSteps.Contains(parts[1]) ? null : $"'{{{reference.Text}}}' refers to step '{parts[1]}', which does not run before this step (add it to depends_on).";
        }
        try
        {
            return Lookup(reference, "step", null) is null
                ? reference.Name switch
                {
                    "env" => $"The environment variable '{reference.Argument}' in '{{{reference.Text}}}' is not set.",
                    "secret" => $"The secret '{reference.Argument}' is not defined (pass it with -Secret, a secret file or the environment variable {reference.Argument}).",
                    _ => $"'{{{reference.Text}}}' is not defined{Suggest.DidYouMean(reference.Name, _variables.Keys.Concat(BuiltIns))}.",
                }
                : null;
        }
        catch (Exception ex) when (ex is FormatException or FileNotFoundException or IOException)
        {
            return ex.Message;
        }
    }

    private string? Lookup(TemplateReference r, string? stepId, Func<string, string?>? stepOutputs)
    {
        switch (r.Name)
        {
            case "date":
                return StartedAt.ToString(r.Argument ?? "yyyy-MM-dd", CultureInfo.InvariantCulture);
            case "now":
                return r.Argument is null ? StartedAt.ToString("o", CultureInfo.InvariantCulture) : StartedAt.ToString(r.Argument, CultureInfo.InvariantCulture);
            case "run_id" when r.Argument is null:
                return RunId;
            case "pipeline_id" when r.Argument is null:
                return PipelineId;
            case "step_id" when r.Argument is null:
                return stepId;
            case "env" when r.Argument is not null:
                return Environment.GetEnvironmentVariable(r.Argument);
            case "secret" when r.Argument is not null:
                var secret = _secrets.Get(r.Argument);
                Masker.Add(secret);
                return secret;
        }
        if (r.Argument is null && _variables.TryGetValue(r.Name, out var value)) return value;
        if (r.Name.StartsWith("steps.", StringComparison.Ordinal)) return stepOutputs?.Invoke(r.Name);
        return null;
    }
}
