namespace Pipeline.Core.Expressions;

/// <summary>
/// Three-valued comparison at runtime: each Compare method gives the sign of a − b, or null when either is NULL;
/// the operator methods turn that sign into the SQL result. Text compares ordinally (case-sensitive).
/// </summary>
internal static class Comparisons
{
    public static int? CompareNumbers(Numeric? a, Numeric? b) =>
        a is { } x && b is { } y ? Numeric.Compare(x, y) : null;

    public static int? CompareTexts(string? a, string? b) =>
        a is not null && b is not null ? Math.Sign(string.CompareOrdinal(a, b)) : null;

    public static int? CompareBooleans(bool? a, bool? b) =>
        a is { } x && b is { } y ? x.CompareTo(y) : null;

    public static int? CompareDates(DateOnly? a, DateOnly? b) =>
        a is { } x && b is { } y ? x.CompareTo(y) : null;

    public static int? CompareTimestamps(DateTimeOffset? a, DateTimeOffset? b) =>
        a is { } x && b is { } y ? x.CompareTo(y) : null;

    /// <summary>A row value against a constant number (<c>amount &gt; 500</c>, the usual filter), without building
    /// a nullable number for the row value when it is a long or text.</summary>
    public static int? CompareValueWithNumber(object? value, Numeric number, Site site)
    {
        switch (value)
        {
            case null:
                return null;
            case long l when number.Kind == NumericKind.Integer:
                return l.CompareTo(number.Integer);
            case string s:
                if (s.AsSpan().IsWhiteSpace()) return null;
                if (!Values.TryParseNumeric(s, out var parsed)) throw site.Fail($"cannot use {Values.Show(s)} as a number");
                return Numeric.Compare(parsed, number);
            default:
                return Numeric.Compare(Values.ToNumeric(value, site)!.Value, number);
        }
    }

    public static int? CompareNumberWithValue(Numeric number, object? value, Site site) => -CompareValueWithNumber(value, number, site);

    /// <summary>
    /// Compares two row values of types known only now. Same family (numbers of any CLR type, text, booleans,
    /// dates, timestamps) compares directly; text meets another family by being read as it ('600' vs 500 compares
    /// 600 with 500); a date meets a timestamp as its midnight UTC. Anything else is an error naming both values.
    /// </summary>
    public static int? CompareValues(object? a, object? b, Site site)
    {
        if (a is null || b is null) return null;
        if (a is string sa && b is string sb) return Math.Sign(string.CompareOrdinal(sa, sb)); // the usual cases first
        if (a is long la && b is long lb) return la.CompareTo(lb);
        var fa = FamilyOf(a);
        var fb = FamilyOf(b);
        if (fa == fb)
        {
            switch (fa)
            {
                case Family.Text: return Math.Sign(string.CompareOrdinal((string)a, (string)b));
                case Family.Number: return Numeric.Compare(Values.ToNumeric(a, site)!.Value, Values.ToNumeric(b, site)!.Value);
                case Family.Boolean: return ((bool)a).CompareTo((bool)b);
                case Family.Date: return ((DateOnly)a).CompareTo((DateOnly)b);
                case Family.Timestamp: return Values.ToTimestamp(a, site)!.Value.CompareTo(Values.ToTimestamp(b, site)!.Value);
                default:
                    if (a.GetType() == b.GetType() && a is IComparable comparable) return Math.Sign(comparable.CompareTo(b));
                    break;
            }
        }
        else if (fa == Family.Text || fb == Family.Text)
        {
            var text = (string)(fa == Family.Text ? a : b);
            var other = fa == Family.Text ? b : a;
            var sign = fa == Family.Text ? -1 : 1; // the result is "other vs text"; flip when text is on the left
            var c = CompareWithText(other, FamilyOf(other), text, site);
            return c is { } v ? sign * v : null;
        }
        else if ((fa, fb) is (Family.Date, Family.Timestamp) or (Family.Timestamp, Family.Date))
        {
            return Values.ToTimestamp(a, site)!.Value.CompareTo(Values.ToTimestamp(b, site)!.Value);
        }
        throw site.Fail($"cannot compare {Values.Show(a)} with {Values.Show(b)}");
    }

    private static int? CompareWithText(object other, Family family, string text, Site site)
    {
        switch (family)
        {
            case Family.Number:
                if (text.AsSpan().IsWhiteSpace()) return null;
                if (!Values.TryParseNumeric(text, out var n)) throw site.Fail($"cannot compare {Values.Show(text)} with the number {Values.Show(other)}");
                return Numeric.Compare(Values.ToNumeric(other, site)!.Value, n);
            case Family.Boolean:
                if (text.AsSpan().IsWhiteSpace()) return null;
                if (!Values.TryParseBoolean(text, out var b)) throw site.Fail($"cannot compare {Values.Show(text)} with {Values.Show(other)}");
                return ((bool)other).CompareTo(b);
            case Family.Date:
                return CompareDates((DateOnly)other, Values.ParseDate(text, site));
            case Family.Timestamp:
                return CompareTimestamps(Values.ToTimestamp(other, site), Values.ParseTimestamp(text, site));
            default:
                return Math.Sign(string.CompareOrdinal(Values.ToText(other), text));
        }
    }

    private enum Family
    {
        Text,
        Number,
        Boolean,
        Date,
        Timestamp,
        Other,
    }

    private static Family FamilyOf(object value) => value switch
    {
        string => Family.Text,
        long or int or decimal or double or short or byte or sbyte or ushort or uint or ulong or float => Family.Number,
        bool => Family.Boolean,
        DateOnly => Family.Date,
        DateTime or DateTimeOffset => Family.Timestamp,
        _ => Family.Other,
    };

    /// <summary>x IN (constants...) for a value of unknown type: true when one item equals x; otherwise NULL when x or an
    /// item is NULL; otherwise false.</summary>
    public static bool? InValues(object? value, object?[] items, Site site)
    {
        if (value is null) return null;
        var sawNull = false;
        foreach (var item in items)
        {
            if (item is null) sawNull = true;
            else if (CompareValues(value, item, site) == 0) return true;
        }
        return sawNull ? null : false;
    }

    /// <summary>x IN (constants...) for a number.</summary>
    public static bool? InNumbers(Numeric? value, Numeric?[] items)
    {
        if (value is not { } x) return null;
        var sawNull = false;
        foreach (var item in items)
        {
            if (item is not { } y) sawNull = true;
            else if (Numeric.Compare(x, y) == 0) return true;
        }
        return sawNull ? null : false;
    }

    public static bool? Equal(int? sign) => sign is { } s ? s == 0 : null;

    public static bool? NotEqual(int? sign) => sign is { } s ? s != 0 : null;

    public static bool? Less(int? sign) => sign is { } s ? s < 0 : null;

    public static bool? LessOrEqual(int? sign) => sign is { } s ? s <= 0 : null;

    public static bool? Greater(int? sign) => sign is { } s ? s > 0 : null;

    public static bool? GreaterOrEqual(int? sign) => sign is { } s ? s >= 0 : null;
}

/// <summary>Truth values at runtime: NULL is unknown, and only true is true.</summary>
internal static class Logic
{
    public static bool? Not(bool? value) => value is { } b ? !b : null;

    public static bool IsTrue(bool? value) => value == true;

    public static bool IsFalse(bool? value) => value == false;

    /// <summary>Truth of a value of unknown type: a boolean, or text spelling one ('true', 'yes', '1'...).</summary>
    public static bool AnyIsTrue(object? value, Site site) => Values.ToBoolean(value, site) == true;
}
