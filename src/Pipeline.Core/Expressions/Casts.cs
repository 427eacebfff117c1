namespace Pipeline.Core.Expressions;

/// <summary>
/// CAST(x AS type) at runtime. Stricter than implicit conversion in one way (text cast to integer must spell an
/// integer: '4.5' is an error) and looser in others (numbers round to integers half away from zero; numbers and
/// booleans convert into each other; a timestamp casts to its date).
/// </summary>
internal static class Casts
{
    public static Numeric? NumericToKind(Numeric? value, NumericKind kind, Site site)
    {
        if (value is not { } n || n.Kind == kind) return value;
        try
        {
            return kind switch
            {
                NumericKind.Integer => new Numeric(n.Kind == NumericKind.Double
                    ? checked((long)Math.Round(n.ToDouble(), MidpointRounding.AwayFromZero))
                    : decimal.ToInt64(Math.Round(n.ToDecimal(), MidpointRounding.AwayFromZero))),
                NumericKind.Decimal => new Numeric(n.ToDecimal()),
                _ => new Numeric(n.ToDouble()),
            };
        }
        catch (OverflowException)
        {
            throw site.Fail($"{n} is out of range for {Name(kind)}");
        }
    }

    public static Numeric? TextToKind(string? text, NumericKind kind, Site site)
    {
        if (text is null || text.AsSpan().IsWhiteSpace()) return null;
        if (!Values.TryParseNumeric(text, out var n))
            throw site.Fail($"cannot cast {Values.Show(text)} to {Name(kind)}");
        if (kind == NumericKind.Integer && n.Kind != NumericKind.Integer)
            throw site.Fail($"cannot cast {Values.Show(text)} to an integer", "cast it to decimal, and round that, to accept fractions");
        return NumericToKind(n, kind, site);
    }

    public static Numeric? BooleanToKind(bool? value, NumericKind kind, Site site) =>
        value is { } b ? NumericToKind(new Numeric(b ? 1L : 0L), kind, site) : null;

    public static Numeric? ValueToKind(object? value, NumericKind kind, Site site) => value switch
    {
        null => null,
        string s => TextToKind(s, kind, site),
        bool b => BooleanToKind(b, kind, site),
        _ => NumericToKind(Values.ToNumeric(value, site), kind, site),
    };

    /// <summary>decimal(p, s): rounds to s digits after the point.</summary>
    public static Numeric? ToScale(Numeric? value, int scale, Site site) =>
        value is { } n ? NumberFunctions.Round(n, new Numeric(scale), site) : null;

    public static bool? NumericToBoolean(Numeric? value) => value is { } n ? !n.IsZero : null;

    public static bool? ValueToBoolean(object? value, Site site) => value switch
    {
        null => null,
        bool b => b,
        string s => Values.ParseBoolean(s, site),
        _ => NumericToBoolean(Values.ToNumeric(value, site)),
    };

    public static string Name(NumericKind kind) => kind switch
    {
        NumericKind.Integer => "an integer",
        NumericKind.Decimal => "a decimal",
        _ => "a double",
    };

    /// <summary>The type names CAST accepts.</summary>
    public static readonly IReadOnlyDictionary<string, ValueKind> TypeNames = new Dictionary<string, ValueKind>(StringComparer.OrdinalIgnoreCase)
    {
        ["string"] = ValueKind.String, ["text"] = ValueKind.String, ["varchar"] = ValueKind.String,
        ["integer"] = ValueKind.Integer, ["int"] = ValueKind.Integer, ["bigint"] = ValueKind.Integer, ["long"] = ValueKind.Integer,
        ["decimal"] = ValueKind.Decimal, ["numeric"] = ValueKind.Decimal,
        ["double"] = ValueKind.Double, ["float"] = ValueKind.Double, ["real"] = ValueKind.Double,
        ["boolean"] = ValueKind.Boolean, ["bool"] = ValueKind.Boolean,
        ["date"] = ValueKind.Date,
        ["timestamp"] = ValueKind.Timestamp, ["datetime"] = ValueKind.Timestamp,
    };
}
