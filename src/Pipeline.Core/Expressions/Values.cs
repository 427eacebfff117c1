using System.Globalization;

namespace Pipeline.Core.Expressions;

/// <summary>
/// Runtime conversions between the values rows carry and the kinds the compiled code works on. Text read as a
/// number, boolean or date is read invariantly; blank text reads as NULL (an empty CSV cell is a missing value).
/// Called from compiled expressions, so nothing here allocates except to build text.
/// </summary>
internal static class Values
{
    private static readonly object BoxedTrue = true;
    private static readonly object BoxedFalse = false;

    private static readonly string[] TimestampFormats =
    [
        "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFK", "yyyy-MM-dd'T'HH:mm:ssK", "yyyy-MM-dd'T'HH:mmK",
        "yyyy-MM-dd HH:mm:ss.FFFFFFFK", "yyyy-MM-dd HH:mm:ssK", "yyyy-MM-dd HH:mmK",
        "yyyy-MM-dd",
    ];

    // ---- boxing the result --------------------------------------------------------------------------------

    public static object? BoxBoolean(bool? value) => value is { } b ? (b ? BoxedTrue : BoxedFalse) : null;

    public static object? BoxNumeric(Numeric? value) => value?.Box();

    /// <summary>A compile-time constant (in its compiled representation) as the object a row would hold.</summary>
    public static object? BoxConstant(object? value) => value switch
    {
        Numeric n => n.Box(),
        bool b => b ? BoxedTrue : BoxedFalse,
        _ => value,
    };

    // ---- numbers ------------------------------------------------------------------------------------------

    public static Numeric? ToNumeric(object? value, Site site) => value switch
    {
        null => null,
        long l => new Numeric(l),
        int i => new Numeric(i),
        decimal m => new Numeric(m),
        double d => new Numeric(d),
        string s => ParseNumeric(s, site),
        short or byte or sbyte or ushort or uint => new Numeric(Convert.ToInt64(value, CultureInfo.InvariantCulture)),
        ulong u => u <= long.MaxValue ? new Numeric((long)u) : new Numeric((decimal)u),
        float f => new Numeric((double)f),
        _ => throw site.Fail($"cannot use {Show(value)} as a number"),
    };

    public static Numeric? ParseNumeric(string? text, Site site)
    {
        if (text is null || IsBlank(text)) return null;
        return TryParseNumeric(text, out var n) ? n : throw site.Fail($"cannot use {Show(text)} as a number");
    }

    /// <summary>Reads <c>[+-]digits[.digits][e[+-]digits]</c> with surrounding white space: an integer as long
    /// (decimal when too large), a fraction as decimal, an exponent as double. No thousands separators, no
    /// "NaN"/"Infinity": "1,5" is not a number, rather than silently 15.</summary>
    public static bool TryParseNumeric(ReadOnlySpan<char> text, out Numeric value)
    {
        value = default;
        var s = text.Trim();
        var i = 0;
        if (i < s.Length && (s[i] == '+' || s[i] == '-')) i++;
        var digits = 0;
        while (i < s.Length && char.IsAsciiDigit(s[i])) { i++; digits++; }
        var fraction = false;
        if (i < s.Length && s[i] == '.')
        {
            fraction = true;
            i++;
            while (i < s.Length && char.IsAsciiDigit(s[i])) { i++; digits++; }
        }
        if (digits == 0) return false;
        var exponent = false;
        if (i < s.Length && (s[i] == 'e' || s[i] == 'E'))
        {
            exponent = true;
            i++;
            if (i < s.Length && (s[i] == '+' || s[i] == '-')) i++;
            var expDigits = 0;
            while (i < s.Length && char.IsAsciiDigit(s[i])) { i++; expDigits++; }
            if (expDigits == 0) return false;
        }
        if (i != s.Length) return false;

        var inv = CultureInfo.InvariantCulture;
        if (!fraction && !exponent && long.TryParse(s, NumberStyles.AllowLeadingSign, inv, out var l))
        {
            value = new Numeric(l);
            return true;
        }
        if (!exponent && decimal.TryParse(s, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, inv, out var m))
        {
            value = new Numeric(m);
            return true;
        }
        if (double.TryParse(s, NumberStyles.Float, inv, out var d) && double.IsFinite(d))
        {
            value = new Numeric(d);
            return true;
        }
        return false;
    }

    /// <summary>Widens a number to a kind (the common kind of CASE branches or coalesce arguments).</summary>
    public static Numeric? ToNumericKind(Numeric? value, NumericKind kind, Site site)
    {
        if (value is not { } n || n.Kind == kind) return value;
        try
        {
            return kind switch
            {
                NumericKind.Double => new Numeric(n.ToDouble()),
                NumericKind.Decimal => new Numeric(n.ToDecimal()),
                _ => n.IsWhole ? new Numeric(decimal.ToInt64(n.ToDecimal())) : throw site.Fail($"{n} is not an integer"),
            };
        }
        catch (OverflowException)
        {
            throw site.Fail($"{n} is out of range for {kind.ToString().ToLowerInvariant()}");
        }
    }

    // ---- text ---------------------------------------------------------------------------------------------

    /// <summary>The canonical text of a value: invariant numbers, true/false, yyyy-MM-dd, ISO 8601 timestamps.</summary>
    public static string? ToText(object? value) => value switch
    {
        null => null,
        string s => s,
        long l => l.ToString(CultureInfo.InvariantCulture),
        int i => i.ToString(CultureInfo.InvariantCulture),
        decimal m => m.ToString(CultureInfo.InvariantCulture),
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        float f => f.ToString("R", CultureInfo.InvariantCulture),
        bool b => b ? "true" : "false",
        DateOnly d => DateText(d),
        DateTime dt => TimestampText(FromDateTime(dt)),
        DateTimeOffset t => TimestampText(t),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString(),
    };

    public static string? NumericToText(Numeric? value) => value?.ToString();

    public static string? BooleanToText(bool? value) => value is { } b ? (b ? "true" : "false") : null;

    public static string? DateToText(DateOnly? value) => value is { } d ? DateText(d) : null;

    public static string? TimestampToText(DateTimeOffset? value) => value is { } t ? TimestampText(t) : null;

    private static string DateText(DateOnly date) => date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    private static string TimestampText(DateTimeOffset t) => t.Offset == TimeSpan.Zero
        ? t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'", CultureInfo.InvariantCulture)
        : t.ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFFzzz", CultureInfo.InvariantCulture);

    // ---- booleans -----------------------------------------------------------------------------------------

    public static bool? ToBoolean(object? value, Site site) => value switch
    {
        null => null,
        bool b => b,
        string s => ParseBoolean(s, site),
        _ => throw site.Fail($"cannot use {Show(value)} as true or false"),
    };

    public static bool? ParseBoolean(string? text, Site site)
    {
        if (text is null || IsBlank(text)) return null;
        return TryParseBoolean(text, out var b) ? b : throw site.Fail($"cannot use {Show(text)} as true or false");
    }

    /// <summary>true/false, t/f, yes/no, y/n, on/off, 1/0, in any case (the spellings PostgreSQL accepts).</summary>
    public static bool TryParseBoolean(ReadOnlySpan<char> text, out bool value)
    {
        var s = text.Trim();
        foreach (var yes in (ReadOnlySpan<string>)["true", "t", "yes", "y", "on", "1"])
        {
            if (s.Equals(yes, StringComparison.OrdinalIgnoreCase)) { value = true; return true; }
        }
        foreach (var no in (ReadOnlySpan<string>)["false", "f", "no", "n", "off", "0"])
        {
            if (s.Equals(no, StringComparison.OrdinalIgnoreCase)) { value = false; return true; }
        }
        value = false;
        return false;
    }

    // ---- dates and timestamps -----------------------------------------------------------------------------

    public static DateOnly? ToDate(object? value, Site site) => value switch
    {
        null => null,
        DateOnly d => d,
        DateTime dt => DateOnly.FromDateTime(dt),
        DateTimeOffset t => DateOnly.FromDateTime(t.DateTime),
        string s => ParseDate(s, site),
        _ => throw site.Fail($"cannot use {Show(value)} as a date"),
    };

    /// <summary>yyyy-MM-dd, or the date of an ISO 8601 timestamp (its own clock date).</summary>
    public static DateOnly? ParseDate(string? text, Site site)
    {
        if (text is null || IsBlank(text)) return null;
        if (DateOnly.TryParseExact(text.AsSpan().Trim(), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d)) return d;
        if (TryParseTimestamp(text, out var t)) return DateOnly.FromDateTime(t.DateTime);
        throw site.Fail($"cannot use {Show(text)} as a date (write yyyy-MM-dd)");
    }

    public static DateOnly? TimestampToDate(DateTimeOffset? value) => value is { } t ? DateOnly.FromDateTime(t.DateTime) : null;

    public static DateTimeOffset? ToTimestamp(object? value, Site site) => value switch
    {
        null => null,
        DateTimeOffset t => t,
        DateTime dt => FromDateTime(dt),
        DateOnly d => Midnight(d),
        string s => ParseTimestamp(s, site),
        _ => throw site.Fail($"cannot use {Show(value)} as a timestamp"),
    };

    public static DateTimeOffset? ParseTimestamp(string? text, Site site)
    {
        if (text is null || IsBlank(text)) return null;
        return TryParseTimestamp(text, out var t) ? t : throw site.Fail($"cannot use {Show(text)} as a timestamp (write ISO 8601, e.g. 2026-11-21T10:00:00Z)");
    }

    /// <summary>ISO 8601 with 'T' or a space, seconds and fraction optional, offset optional (UTC when absent).</summary>
    public static bool TryParseTimestamp(ReadOnlySpan<char> text, out DateTimeOffset value) =>
        DateTimeOffset.TryParseExact(text.Trim(), TimestampFormats, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out value);

    public static DateTimeOffset? DateToTimestamp(DateOnly? value) => value is { } d ? Midnight(d) : null;

    public static DateTimeOffset Midnight(DateOnly date) => new(date.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);

    /// <summary>A DateTime of unspecified kind is taken as UTC, so a value means the same on every machine.</summary>
    public static DateTimeOffset FromDateTime(DateTime value) => value.Kind switch
    {
        DateTimeKind.Local => new DateTimeOffset(value),
        _ => new DateTimeOffset(DateTime.SpecifyKind(value, DateTimeKind.Utc)),
    };

    // ---- messages -----------------------------------------------------------------------------------------

    /// <summary>A value as it would be written in an expression, shortened: 'abc', 42, NULL.</summary>
    public static string Show(object? value)
    {
        const int max = 40;
        if (value is null) return "NULL";
        if (value is string s)
        {
            if (s.Length > max) s = string.Concat(s.AsSpan(0, max), "…");
            return $"'{s.Replace("'", "''", StringComparison.Ordinal)}'";
        }
        var text = ToText(value) ?? "";
        return text.Length > max ? string.Concat(text.AsSpan(0, max), "…") : text;
    }

    private static bool IsBlank(string text) => text.AsSpan().IsWhiteSpace();
}
