using System.Globalization;
using System.Text.RegularExpressions;
using Pipeline.Core.Execution;
using Pipeline.Core.Expressions;
using Pipeline.Core.Records;
using Pipeline.Core.Steps.Data.Transforms;

namespace Pipeline.Core.Steps.Data.Validation;

/// <summary>
/// The checks <c>validate</c> makes on one column: <c>type</c>, <c>nullable</c>, <c>unique</c>, <c>min</c>,
/// <c>max</c>, <c>length</c>, <c>min_length</c>, <c>max_length</c>, <c>regex</c>, <c>allowed</c>. NULL and blank
/// text are "missing": only <c>nullable: false</c> fails them, every other check lets them pass.
/// </summary>
internal sealed class ColumnRule
{
    /// <summary>The keys a column's rule may have.</summary>
    public static readonly string[] Checks = ["type", "nullable", "unique", "min", "max", "length", "min_length", "max_length", "regex", "allowed"];

    private static readonly string[] Types = ["string", "integer", "decimal", "double", "number", "boolean", "date", "timestamp"];

    private static readonly Site BoundSite = new("", 0, "a min or max check");

    private ColumnRule(string column)
    {
        Column = column;
    }

    public string Column { get; }

    public string? Type { get; private init; }

    public bool Nullable { get; private init; } = true;

    public bool Unique { get; private init; }

    public object? Min { get; private init; }

    public object? Max { get; private init; }

    public int? Length { get; private init; }

    public int? MinLength { get; private init; }

    public int? MaxLength { get; private init; }

    public Regex? Pattern { get; private init; }

    public HashSet<string>? Allowed { get; private init; }

    /// <summary>Reads one column's rule: a mapping of checks, or just a type name (<c>id: integer</c>).</summary>
    public static ColumnRule Parse(string column, object? value)
    {
        if (value is string typeOnly) value = new Dictionary<string, object?> { ["type"] = typeOnly };
        if (value is not IReadOnlyDictionary<string, object?> map)
            throw Bad(column, $"must be a mapping of checks ({string.Join(", ", Checks)}) or a type name");
        var options = new StepOptions(map);
        foreach (var key in map.Keys)
        {
            if (!Checks.Contains(key, StringComparer.Ordinal))
                throw Bad(column, $"has the unknown check '{key}'{NameSuggestions.Hint(key, Checks)}; the checks: {string.Join(", ", Checks)}");
        }
        string? type = null;
        if (options.GetString("type") is { } t)
        {
            type = t.Trim().ToLowerInvariant();
            if (!Types.Contains(type)) throw Bad(column, $"has the unknown type '{t}'{NameSuggestions.Hint(t, Types)}; the types: {string.Join(", ", Types)}");
        }
        Regex? pattern = null;
        if (options.GetString("regex") is { } regex)
        {
            try
            {
                pattern = new Regex(regex, RegexOptions.CultureInvariant, TimeSpan.FromSeconds(2));
            }
            catch (ArgumentException ex)
            {
                throw Bad(column, $"has a regex that is not valid: {ex.Message}");
            }
        }
        int? Length(string name)
        {
            var v = Wrap(column, () => options.GetInt64(name, -1));
            return v < 0 ? (options.Has(name) ? throw Bad(column, $"has a {name} below 0") : null) : checked((int)v);
        }
        return new ColumnRule(column)
        {
            Type = type,
            Nullable = Wrap(column, () => options.GetBoolean("nullable", true)),
            Unique = Wrap(column, () => options.GetBoolean("unique", false)),
            Min = Bound(options.Get("min")),
            Max = Bound(options.Get("max")),
            Length = Length("length"),
            MinLength = Length("min_length"),
            MaxLength = Length("max_length"),
            Pattern = pattern,
            Allowed = options.Has("allowed") ? options.GetStringList("allowed").ToHashSet(StringComparer.Ordinal) : null,
        };
    }

    /// <summary>Checks one value; each failure goes to <paramref name="failures"/>. Returns whether it passed.</summary>
    public bool Check(object? value, long row, ValidationReport failures, HashSet<RowKey>? seen)
    {
        if (value is null || (value is string blank && blank.AsSpan().IsWhiteSpace()))
        {
            if (Nullable) return true;
            failures.Add(row, Column, "nullable", value, "a value is required");
            return false;
        }
        var ok = true;
        if (Type is not null && !IsOfType(value, Type))
        {
            failures.Add(row, Column, "type", value, $"not {Article(Type)}");
            ok = false;
        }
        if (Min is not null && CompareTo(value, Min) is var below && below < 0)
        {
            failures.Add(row, Column, "min", value, below == int.MinValue ? $"cannot be compared with the minimum {Values.Show(Min)}" : $"below the minimum {Values.Show(Min)}");
            ok = false;
        }
        if (Max is not null && CompareTo(value, Max) is var above && (above > 0 || above == int.MinValue))
        {
            failures.Add(row, Column, "max", value, above == int.MinValue ? $"cannot be compared with the maximum {Values.Show(Max)}" : $"above the maximum {Values.Show(Max)}");
            ok = false;
        }
        if (Length is not null || MinLength is not null || MaxLength is not null || Pattern is not null || Allowed is not null)
        {
            var text = Values.ToText(value)!;
            if (Length is { } exact && text.Length != exact)
            {
                failures.Add(row, Column, "length", value, $"{text.Length} characters, not {exact}");
                ok = false;
            }
            if (MinLength is { } least && text.Length < least)
            {
                failures.Add(row, Column, "min_length", value, $"{text.Length} characters, fewer than {least}");
                ok = false;
            }
            if (MaxLength is { } most && text.Length > most)
            {
                failures.Add(row, Column, "max_length", value, $"{text.Length} characters, more than {most}");
                ok = false;
            }
            if (Pattern is not null && !Matches(text))
            {
                failures.Add(row, Column, "regex", value, $"does not match {Pattern}");
                ok = false;
            }
            if (Allowed is not null && !Allowed.Contains(text))
            {
                failures.Add(row, Column, "allowed", value, $"not one of {string.Join(", ", Allowed.Take(10))}{(Allowed.Count > 10 ? ", …" : "")}");
                ok = false;
            }
        }
        if (seen is not null && !seen.Add(RowKey.OfValue(value)))
        {
            failures.Add(row, Column, "unique", value, "appears in an earlier row");
            ok = false;
        }
        return ok;
    }

    private bool Matches(string text)
    {
        try
        {
            return Pattern!.IsMatch(text);
        }
        catch (RegexMatchTimeoutException)
        {
            return false;
        }
    }

    /// <summary>Whether a value is of (or its text reads as) a type, read invariantly as the expression language reads it.</summary>
    internal static bool IsOfType(object value, string type)
    {
        var text = value as string;
        switch (type)
        {
            case "string":
                return true;
            case "integer":
                if (text is not null) return Values.TryParseNumeric(text, out var n) && n.Kind == NumericKind.Integer;
                return value is long or int or short or byte or sbyte or ushort or uint or ulong
                    || (value is decimal m && decimal.Truncate(m) == m)
                    || (value is double d && double.IsFinite(d) && Math.Truncate(d) == d);
            case "decimal" or "double" or "number":
                if (text is not null) return Values.TryParseNumeric(text, out _);
                return value is long or int or decimal or double or float or short or byte or sbyte or ushort or uint or ulong;
            case "boolean":
                return value is bool || (text is not null && Values.TryParseBoolean(text, out _));
            case "date":
                return value is DateOnly
                    || (text is not null && DateOnly.TryParseExact(text.AsSpan().Trim(), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out _));
            case "timestamp":
                return value is DateTimeOffset or DateTime || (text is not null && Values.TryParseTimestamp(text, out _));
            default:
                return true;
        }
    }

    /// <summary>The sign of value − bound, or int.MinValue when they cannot be compared (text that is not a number).</summary>
    private static int CompareTo(object value, object bound)
    {
        try
        {
            return Comparisons.CompareValues(value, bound, BoundSite) ?? 0;
        }
        catch (ExpressionException)
        {
            return int.MinValue;
        }
    }

    /// <summary>A bound as written: a number, a date, a timestamp, or text.</summary>
    private static object? Bound(object? value)
    {
        if (value is not string text) return value;
        if (Values.TryParseNumeric(text, out var n)) return n.Box();
        if (DateOnly.TryParseExact(text.Trim(), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date)) return date;
        if (Values.TryParseTimestamp(text, out var timestamp)) return timestamp;
        return text;
    }

    private static string Article(string type) => type is "integer" ? "an integer" : type is "decimal" or "double" or "number" ? "a number" : $"a {type}";

    private static T Wrap<T>(string column, Func<T> read)
    {
        try
        {
            return read();
        }
        catch (StepException ex)
        {
            throw Bad(column, ex.Message.Replace("The option", "the check", StringComparison.Ordinal));
        }
    }

    private static StepException Bad(string column, string problem) =>
        new(ErrorKind.Configuration, $"The rule for the column '{column}' in 'columns' {problem}.");

    /// <summary>The position of the rule's column, or an error naming it with the closest columns.</summary>
    public int Find(RecordSchema schema) => Columns.Find(schema, Column, "columns");
}
