using System.Globalization;
using Pipeline.Core.Definitions;

namespace Pipeline.Core.Templates;

/// <summary>One template problem.</summary>
/// <param name="Message">What is wrong, in words.</param>
/// <param name="Variable">The variable whose value holds the template, or null.</param>
public sealed record TemplateProblem(string Message, string? Variable = null);

/// <summary>One or more templates name something that cannot be resolved.</summary>
public sealed class TemplateException : Exception
{
    /// <summary>Creates the exception for one problem.</summary>
    public TemplateException(string message) : base(message)
    {
        Problems = [new TemplateProblem(message)];
    }

    /// <summary>Creates the exception for every problem found.</summary>
    public TemplateException(IReadOnlyList<TemplateProblem> problems)
        : base(problems.Count == 1
            ? problems[0].Message
            : $"{problems.Count} templates cannot be resolved:{Environment.NewLine}  " + string.Join(Environment.NewLine + "  ", problems.Select(p => p.Message)))
    {
        Problems = problems;
    }

    /// <summary>Each problem.</summary>
    public IReadOnlyList<TemplateProblem> Problems { get; }
}

/// <summary>
/// Resolves <c>{name}</c> references for one run: built-ins (<c>date</c>, <c>date:FORMAT</c>, <c>now</c>,
/// <c>now:FORMAT</c>, <c>run_id</c>, <c>pipeline_id</c>, <c>step_id</c>), variables (the caller's override the
/// pipeline's; a variable named <c>date</c> replaces the built-in date), <c>{env:NAME}</c>, <c>{secret:NAME}</c>
/// (masked everywhere) and, while a step runs, <c>{steps.ID.NAME}</c> outputs of upstream steps.
/// </summary>
public sealed class TemplateScope
{
    /// <summary>How deep variables may refer to variables that refer to variables.</summary>
    public const int MaxVariableDepth = 64;

    private readonly SecretStore _secrets;
    private readonly Dictionary<string, string> _variables = new(StringComparer.Ordinal);
    private HashSet<string>? _variableNames;

    /// <summary>Built-in names.</summary>
    public static readonly IReadOnlyList<string> BuiltIns = ["date", "now", "run_id", "pipeline_id", "step_id", "env", "secret"];

    /// <summary>Creates the scope and resolves every variable (variables may refer to built-ins, the environment,
    /// secrets and each other).</summary>
    /// <exception cref="TemplateException">Every variable that refers to something unknown, and every cycle of
    /// variables that refer to each other.</exception>
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
        var resolver = new VariableResolver(this, raw);
        // A variable 'date' replaces the built-in, so it is resolved first for {date:FORMAT} in the others.
        foreach (var name in raw.Keys.OrderBy(k => k == "date" ? 0 : 1)) resolver.Resolve(name);
        if (resolver.Problems.Count > 0) throw new TemplateException(resolver.Problems);
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

    private sealed class VariableResolver(TemplateScope scope, Dictionary<string, string> raw)
    {
        private readonly HashSet<string> _names = new(raw.Keys, StringComparer.Ordinal);
        private readonly List<string> _path = [];
        private readonly HashSet<string> _failed = new(StringComparer.Ordinal);

        public List<TemplateProblem> Problems { get; } = [];

        public void Resolve(string name)
        {
            try
            {
                Value(name);
            }
            catch (TemplateException ex)
            {
                Problems.Add(new TemplateProblem(ex.Message, name));
            }
        }

        private string Value(string name)
        {
            if (scope._variables.TryGetValue(name, out var done)) return done;
            if (_failed.Contains(name)) return ""; // already reported
            if (_path.Contains(name))
                throw new TemplateException($"The variables refer to each other in a cycle: {string.Join(" -> ", _path.SkipWhile(p => p != name).Append(name))}.");
            if (_path.Count >= MaxVariableDepth)
                throw new TemplateException($"The variables refer to each other more than {MaxVariableDepth} levels deep ({_path[0]} -> {_path[1]} -> ...).");
            _path.Add(name);
            try
            {
                var value = Template.Render(raw[name], r =>
                {
                    if (r.Argument is null && raw.ContainsKey(r.Name) && !IsBuiltIn(r.Name)) return Value(r.Name);
                    if (Problem(r, _names, upstream: null) is { } problem)
                        throw new TemplateException($"The variable '{name}': {problem}");
                    return scope.Lookup(r, null, null)
                        ?? throw new TemplateException($"The variable '{name}': {scope.Unresolved(r)}");
                });
                scope._variables[name] = value;
                return value;
            }
            catch (TemplateException)
            {
                _failed.Add(name);
                throw;
            }
            finally
            {
                _path.RemoveAt(_path.Count - 1);
            }
        }
    }

    // 'date' is a built-in a variable may replace; the other built-ins cannot be variables.
    private static bool IsBuiltIn(string name) => name is "now" or "run_id" or "pipeline_id" or "step_id";

    /// <summary>Renders <paramref name="text"/> for a step.</summary>
    /// <param name="text">The text with references.</param>
    /// <param name="stepId">The step (for <c>{step_id}</c>), or null.</param>
    /// <param name="stepOutputs">Upstream outputs by "steps.ID.NAME", or null before any step runs.</param>
    /// <exception cref="TemplateException">A reference cannot be resolved.</exception>
    public string Render(string text, string? stepId = null, Func<string, string?>? stepOutputs = null) =>
        Template.Render(text, r => Lookup(r, stepId, stepOutputs) ?? throw new TemplateException(Unresolved(r)));

    /// <summary>Renders every string inside an options value (strings, lists, maps).</summary>
    public object? RenderValue(object? value, string? stepId = null, Func<string, string?>? stepOutputs = null) => value switch
    {
        string s => Render(s, stepId, stepOutputs),
        IReadOnlyList<object?> list => list.Select(v => RenderValue(v, stepId, stepOutputs)).ToList(),
        IReadOnlyDictionary<string, object?> map => map.ToDictionary(kv => kv.Key, kv => RenderValue(kv.Value, stepId, stepOutputs), StringComparer.Ordinal),
        _ => value,
    };

    /// <summary>The problem with one reference in a step's options, checked before anything runs, or null when it
    /// resolves (or will, like <c>{steps.ID.NAME}</c> of an upstream step).</summary>
    public string? Check(TemplateReference reference, ISet<string> upstreamSteps)
    {
        var upstream = new UpstreamSet(upstreamSteps as IReadOnlySet<string> ?? new HashSet<string>(upstreamSteps, StringComparer.Ordinal));
        return Check(reference, upstream);
    }

    internal string? Check(TemplateReference reference, IUpstreamSteps upstream)
    {
        if (Problem(reference, _variableNames ??= new HashSet<string>(_variables.Keys, StringComparer.Ordinal), upstream) is { } problem) return problem;
        if (reference.Name.StartsWith("steps.", StringComparison.Ordinal)) return null;
        try
        {
            return Lookup(reference, "step", null) is null ? Unresolved(reference) : null;
        }
        catch (TemplateException ex)
        {
            return ex.Message;
        }
    }

    /// <summary>
    /// What is wrong with a reference whatever the run: an unknown name (with a suggestion), an argument where none
    /// is taken, a missing name after <c>env:</c> or <c>secret:</c>, a date format that cannot be used, a
    /// <c>{steps.ID.NAME}</c> of a step that does not run before. Whether an environment variable or a secret
    /// exists is left to the run.
    /// </summary>
    /// <param name="reference">The reference.</param>
    /// <param name="variables">The names of the variables.</param>
    /// <param name="upstream">The steps that run before the step whose options hold the reference; null for a
    /// variable's value, where step references and <c>{step_id}</c> are not available.</param>
    internal static string? Problem(TemplateReference reference, IReadOnlySet<string> variables, IUpstreamSteps? upstream)
    {
        var text = $"'{{{reference.Text}}}'";
        if (reference.Name.StartsWith("steps.", StringComparison.Ordinal))
        {
            if (upstream is null) return $"{text} can be used only in a step's options, not in a variable.";
            var parts = reference.Name.Split('.');
            if (parts.Length != 3 || parts[1].Length == 0 || parts[2].Length == 0 || reference.Argument is not null)
                return $"{text} must name a step and one of its outputs: {{steps.ID.NAME}}.";
            return upstream.Contains(parts[1]) ? null
                : $"{text} refers to step '{parts[1]}', which does not run before this step{Suggest.DidYouMean(parts[1], upstream.All)} (add it to depends_on).";
        }
        switch (reference.Name)
        {
            case "date" or "now":
                return reference.Argument is { } format && FormatProblem(format) is { } formatProblem ? $"{text}: {formatProblem}" : null;
            case "run_id" or "pipeline_id" or "step_id" when reference.Argument is not null:
                return $"{text}: '{reference.Name}' takes no argument after ':'.";
            case "step_id" when upstream is null:
                return $"{text} can be used only in a step's options, not in a variable.";
            case "run_id" or "pipeline_id" or "step_id":
                return null;
            case "env" or "secret" when string.IsNullOrWhiteSpace(reference.Argument):
                return $"{text} needs a name: {{{reference.Name}:NAME}}.";
            case "env" or "secret":
                return null;
        }
        if (reference.Argument is not null)
            return variables.Contains(reference.Name)
                ? $"{text}: only date, now, env and secret take an argument after ':'."
                : $"{text} is not defined; only date, now, env and secret take an argument after ':'.";
        return variables.Contains(reference.Name) ? null : $"{text} is not defined{Suggest.DidYouMean(reference.Name, variables.Concat(BuiltIns))}.";
    }

    private static string? FormatProblem(string format)
    {
        try
        {
            _ = new DateTimeOffset(2026, 11, 21, 10, 0, 0, TimeSpan.Zero).ToString(format, CultureInfo.InvariantCulture);
            return null;
        }
        catch (FormatException)
        {
            return $"'{format}' is not a date and time format (such as yyyyMMdd or yyyy-MM-ddTHH:mm).";
        }
    }

    private string Unresolved(TemplateReference r) => r.Name switch
    {
        "env" => $"The environment variable '{r.Argument}' in '{{{r.Text}}}' is not set.",
        "secret" => $"The secret '{r.Argument}' is not defined (pass it with -Secret, a secret file or the environment variable {r.Argument}).",
        _ when r.Name.StartsWith("steps.", StringComparison.Ordinal) => $"'{{{r.Text}}}' has no value: the step did not publish it.",
        _ => $"'{{{r.Text}}}' is not defined{Suggest.DidYouMean(r.Name, _variables.Keys.Concat(BuiltIns))}.",
    };

    private string? Lookup(TemplateReference r, string? stepId, Func<string, string?>? stepOutputs)
    {
        switch (r.Name)
        {
            case "date":
                if (_variables.TryGetValue("date", out var given))
                {
                    if (r.Argument is null) return given;
                    if (!DateTimeOffset.TryParse(given, CultureInfo.InvariantCulture, DateTimeStyles.AssumeLocal, out var day))
                        throw new TemplateException($"'{{{r.Text}}}' cannot format the variable 'date' ('{given}'): it is not a date such as 2026-11-21.");
                    return Format(day, r.Argument, r);
                }
                return Format(StartedAt, r.Argument ?? "yyyy-MM-dd", r);
            case "now":
                return Format(StartedAt, r.Argument ?? "o", r);
            case "run_id" when r.Argument is null:
                return RunId;
            case "pipeline_id" when r.Argument is null:
                return PipelineId;
            case "step_id" when r.Argument is null:
                return stepId;
            case "env" when !string.IsNullOrEmpty(r.Argument):
                return Environment.GetEnvironmentVariable(r.Argument);
            case "secret" when !string.IsNullOrEmpty(r.Argument):
                string? secret;
                try
                {
                    secret = _secrets.Get(r.Argument);
                }
                catch (Exception ex) when (ex is FormatException or IOException or UnauthorizedAccessException)
                {
                    throw new TemplateException(ex.Message);
                }
                Masker.Add(secret);
                return secret;
        }
        if (r.Argument is null && _variables.TryGetValue(r.Name, out var value)) return value;
        if (r.Name.StartsWith("steps.", StringComparison.Ordinal) && r.Argument is null) return stepOutputs?.Invoke(r.Name);
        return null;
    }

    private static string Format(DateTimeOffset time, string format, TemplateReference r)
    {
        try
        {
            return time.ToString(format, CultureInfo.InvariantCulture);
        }
        catch (FormatException)
        {
            throw new TemplateException($"'{{{r.Text}}}': '{format}' is not a date and time format (such as yyyyMMdd or yyyy-MM-ddTHH:mm).");
        }
    }
}
