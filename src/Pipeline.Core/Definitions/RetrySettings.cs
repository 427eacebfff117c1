using System.Globalization;
using Pipeline.Core.Execution;

namespace Pipeline.Core.Definitions;

/// <summary>
/// Builds a <see cref="RetryPolicy"/> from the same keys a definition's <c>retry:</c> mapping takes
/// (<c>max_attempts</c>, <c>backoff</c>, <c>delay</c>, <c>max_delay</c>, <c>jitter</c>, <c>retry_on</c>), given as
/// values rather than YAML: a PowerShell hashtable, say. Durations may be <see cref="TimeSpan"/> values or text
/// such as <c>30s</c>; every problem is reported at once.
/// </summary>
public static class RetrySettings
{
    /// <summary>The keys accepted.</summary>
    public static IReadOnlyList<string> Keys => PipelineYaml.RetryKeys;

    /// <summary>Reads a policy.</summary>
    /// <exception cref="DefinitionException">Every unknown key and bad value.</exception>
    public static RetryPolicy Parse(IEnumerable<KeyValuePair<string, object?>> values)
    {
        var errors = new List<DefinitionError>();
        var policy = new RetryPolicy();
        void Bad(string code, string message) => errors.Add(new DefinitionError(code, message, null));

        foreach (var (rawKey, value) in values)
        {
            var key = rawKey.ToLowerInvariant();
            switch (key)
            {
                case "max_attempts":
                    if (Integer(value) is { } n and >= 1) policy = policy with { MaxAttempts = (int)Math.Min(n, int.MaxValue) };
                    else Bad("bad-value", $"retry 'max_attempts' must be a whole number of at least 1, not '{value}'.");
                    break;
                case "backoff":
                    if (Enum.TryParse<BackoffKind>(Convert.ToString(value, CultureInfo.InvariantCulture), ignoreCase: true, out var backoff) && Enum.IsDefined(backoff))
                        policy = policy with { Backoff = backoff };
                    else Bad("bad-value", $"retry 'backoff' must be constant, linear or exponential, not '{value}'.");
                    break;
                case "delay":
                    if (DurationOf(value) is { } delay) policy = policy with { Delay = delay };
                    else Bad("bad-duration", $"retry 'delay' must be a duration such as 500ms, 30s or 5m, not '{value}'.");
                    break;
                case "max_delay":
                    if (DurationOf(value) is { } maxDelay) policy = policy with { MaxDelay = maxDelay };
                    else Bad("bad-duration", $"retry 'max_delay' must be a duration such as 500ms, 30s or 5m, not '{value}'.");
                    break;
                case "jitter":
                    if (value is bool b) policy = policy with { Jitter = b };
                    else if (bool.TryParse(Convert.ToString(value, CultureInfo.InvariantCulture), out var parsed)) policy = policy with { Jitter = parsed };
                    else Bad("bad-value", $"retry 'jitter' must be true or false, not '{value}'.");
                    break;
                case "retry_on":
                    var kinds = new List<ErrorKind>();
                    foreach (var item in Items(value))
                    {
                        var name = Convert.ToString(item, CultureInfo.InvariantCulture) ?? "";
                        if (ErrorKinds.TryParse(name, out var kind) || Enum.TryParse(name, ignoreCase: true, out kind)) kinds.Add(kind);
                        else Bad("unknown-error-kind", $"'{name}' is not an error kind{Suggest.DidYouMean(name, ErrorKinds.Names)}; known kinds: {string.Join(", ", ErrorKinds.Names)}.");
                    }
                    policy = policy with { RetryOn = kinds };
                    break;
                default:
                    Bad("unknown-key", $"'{rawKey}' is not a retry setting{Suggest.DidYouMean(rawKey, Keys)}; use {string.Join(", ", Keys)}.");
                    break;
            }
        }
        if (policy.MaxDelay is { } max && max < policy.Delay)
            Bad("bad-retry", $"'max_delay' ({Duration.Format(max)}) is shorter than 'delay' ({Duration.Format(policy.Delay)}).");
        if (errors.Count > 0) throw new DefinitionException(errors);
        return policy;
    }

    /// <summary>A duration from a <see cref="TimeSpan"/>, a number of seconds, or text such as <c>30s</c>; null when it is none.</summary>
    public static TimeSpan? DurationOf(object? value) => value switch
    {
        TimeSpan t when t >= TimeSpan.Zero => t,
        TimeSpan => null,
        int or long or double or decimal or float => Duration.TryParse(Convert.ToString(value, CultureInfo.InvariantCulture), out var s) ? s : null,
        string text => Duration.TryParse(text, out var d) ? d : null,
        _ => null,
    };

    private static long? Integer(object? value) => value switch
    {
        int i => i,
        long l => l,
        string s when long.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var parsed) => parsed,
        double d when d == Math.Floor(d) && d is >= long.MinValue and <= long.MaxValue => (long)d,
        _ => null,
    };

    private static IEnumerable<object?> Items(object? value) => value switch
    {
        null => [],
        string s => [s],
        System.Collections.IEnumerable e => e.Cast<object?>(),
        _ => [value],
    };
}
