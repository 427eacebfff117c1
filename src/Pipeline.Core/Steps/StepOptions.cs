using System.Globalization;
using Pipeline.Core.Definitions;
using Pipeline.Core.Execution;

namespace Pipeline.Core.Steps;

/// <summary>
/// A step's <c>with:</c> values after templates were resolved: strings, lists (<see cref="IReadOnlyList{T}"/> of
/// object) and maps (<see cref="IReadOnlyDictionary{TKey,TValue}"/> of string to object). Typed getters throw a
/// <see cref="StepException"/> of kind <see cref="ErrorKind.Configuration"/> that names the option.
/// </summary>
public sealed class StepOptions
{
    private readonly IReadOnlyDictionary<string, object?> _values;

    /// <summary>Wraps resolved option values.</summary>
    public StepOptions(IReadOnlyDictionary<string, object?> values)
    {
        _values = values;
    }

    /// <summary>No options.</summary>
    public static StepOptions Empty { get; } = new(new Dictionary<string, object?>());

    /// <summary>Every option given.</summary>
    public IReadOnlyDictionary<string, object?> Values => _values;

    /// <summary>Whether an option was given.</summary>
    public bool Has(string name) => _values.ContainsKey(name);

    /// <summary>The raw value, or null.</summary>
    public object? Get(string name) => _values.TryGetValue(name, out var v) ? v : null;

    /// <summary>A string option, or <paramref name="defaultValue"/>.</summary>
    public string? GetString(string name, string? defaultValue = null) => Get(name) switch
    {
        null => defaultValue,
        string s => s,
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        bool b => b ? "true" : "false",
        _ => throw Invalid(name, "text"),
    };

    /// <summary>A string option that must be present and non-empty.</summary>
    public string GetRequiredString(string name) =>
        GetString(name) is { Length: > 0 } s ? s : throw new StepException(ErrorKind.Configuration, $"The option '{name}' is required.");

    /// <summary>An integer option.</summary>
    public long GetInt64(string name, long defaultValue) =>
        GetString(name) is not { } s ? defaultValue
        : long.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v
        : throw Invalid(name, "a whole number", s);

    /// <summary>An integer option.</summary>
    public int GetInt32(string name, int defaultValue) => checked((int)GetInt64(name, defaultValue));

    /// <summary>A boolean option (true/false/yes/no/on/off/1/0).</summary>
    public bool GetBoolean(string name, bool defaultValue) =>
        GetString(name)?.Trim().ToLowerInvariant() switch
        {
            null => defaultValue,
            "true" or "yes" or "on" or "1" => true,
            "false" or "no" or "off" or "0" => false,
            var s => throw Invalid(name, "true or false", s),
        };

    /// <summary>A duration option (<c>30s</c>, <c>5m</c>, <c>1h30m</c>, <c>250ms</c>, or hh:mm:ss).</summary>
    public TimeSpan GetDuration(string name, TimeSpan defaultValue) =>
        GetString(name) is not { } s ? defaultValue
        : Duration.TryParse(s, out var d) ? d
        : throw Invalid(name, "a duration such as 30s, 5m or 1h30m", s);

    /// <summary>A list option as strings; a single scalar is a list of one.</summary>
    public IReadOnlyList<string> GetStringList(string name) => Get(name) switch
    {
        null => [],
        string s => [s],
        IEnumerable<object?> list => list.Select(v => v switch
        {
            null => "",
            string s => s,
            IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
            _ => throw Invalid(name, "a list of scalars"),
        }).ToArray(),
        var v => [Convert.ToString(v, CultureInfo.InvariantCulture) ?? ""],
    };

    /// <summary>A map option with string values.</summary>
    public IReadOnlyDictionary<string, string> GetStringMap(string name) => Get(name) switch
    {
        null => new Dictionary<string, string>(),
        IReadOnlyDictionary<string, object?> map => map.ToDictionary(kv => kv.Key, kv => Convert.ToString(kv.Value, CultureInfo.InvariantCulture) ?? ""),
        _ => throw Invalid(name, "a mapping of names to values"),
    };

    /// <summary>One of a fixed set of values (compared case-insensitively), returned in lower case.</summary>
    public string GetChoice(string name, string defaultValue, params string[] allowed)
    {
        var value = (GetString(name) ?? defaultValue).Trim().ToLowerInvariant();
        return allowed.Contains(value, StringComparer.OrdinalIgnoreCase)
            ? value
            : throw Invalid(name, "one of " + string.Join(", ", allowed), value);
    }

    private static StepException Invalid(string name, string expected, string? actual = null) =>
        new(ErrorKind.Configuration, actual is null
            ? $"The option '{name}' must be {expected}."
            : $"The option '{name}' must be {expected}, not '{actual}'.");
}
