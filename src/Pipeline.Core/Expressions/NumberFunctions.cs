using System.Globalization;

namespace Pipeline.Core.Expressions;

/// <summary>Numeric functions at runtime. NULL in gives NULL out. Rounding is half away from zero throughout.</summary>
internal static class NumberFunctions
{
    public static Numeric? Abs(Numeric? value, Site site)
    {
        if (value is not { } n) return null;
        try
        {
            return n.Kind switch
            {
                NumericKind.Integer => new Numeric(Math.Abs(n.Integer)),
                NumericKind.Decimal => new Numeric(Math.Abs(n.ToDecimal())),
                _ => new Numeric(Math.Abs(n.ToDouble())),
            };
        }
        catch (OverflowException)
        {
            throw site.Fail($"abs({n}) is out of range for an integer");
        }
    }

    /// <summary>round(x[, digits]): digits may be negative (round(1250, -2) = 1300); the kind of x is kept.</summary>
    public static Numeric? Round(Numeric? value, Numeric? digits, Site site)
    {
        if (value is not { } n || digits is not { } d) return null;
        var places = TextFunctions.Whole(d, "the number of digits", site);
        try
        {
            switch (n.Kind)
            {
                case NumericKind.Integer:
                    if (places >= 0) return n;
                    if (places < -18) return new Numeric(0L);
                    var unit = Pow10(-places);
                    return new Numeric(decimal.ToInt64(Math.Round(n.Integer / (decimal)unit, MidpointRounding.AwayFromZero) * unit));
                case NumericKind.Decimal:
                    if (places >= 0) return new Numeric(Math.Round(n.ToDecimal(), (int)Math.Min(places, 28), MidpointRounding.AwayFromZero));
                    if (places < -28) return new Numeric(0m);
                    var step = (decimal)Math.Pow(10, -places);
                    return new Numeric(Math.Round(n.ToDecimal() / step, MidpointRounding.AwayFromZero) * step);
                default:
                    if (places >= 0) return new Numeric(Math.Round(n.ToDouble(), (int)Math.Min(places, 15), MidpointRounding.AwayFromZero));
                    var factor = Math.Pow(10, -places);
                    return new Numeric(Math.Round(n.ToDouble() / factor, MidpointRounding.AwayFromZero) * factor);
            }
        }
        catch (OverflowException)
        {
            throw site.Fail($"round({n}, {places}) is out of range");
        }
    }

    public static Numeric? Floor(Numeric? value) => value is not { } n ? null : n.Kind switch
    {
        NumericKind.Integer => n,
        NumericKind.Decimal => new Numeric(Math.Floor(n.ToDecimal())),
        _ => new Numeric(Math.Floor(n.ToDouble())),
    };

    public static Numeric? Ceiling(Numeric? value) => value is not { } n ? null : n.Kind switch
    {
        NumericKind.Integer => n,
        NumericKind.Decimal => new Numeric(Math.Ceiling(n.ToDecimal())),
        _ => new Numeric(Math.Ceiling(n.ToDouble())),
    };

    public static Numeric? Power(Numeric? x, Numeric? y, Site site)
    {
        if (x is not { } a || y is not { } b) return null;
        var result = Math.Pow(a.ToDouble(), b.ToDouble());
        if (double.IsNaN(result)) throw site.Fail($"power({a}, {b}) is not a real number");
        return new Numeric(result);
    }

    public static Numeric? Sqrt(Numeric? x, Site site)
    {
        if (x is not { } a) return null;
        var d = a.ToDouble();
        if (d < 0) throw site.Fail($"sqrt({a}) of a negative number");
        return new Numeric(Math.Sqrt(d));
    }

    /// <summary>to_number: a number as it is; text read in the given culture (thousands separators allowed).</summary>
    public static Numeric? ToNumber(object? value, CultureInfo culture, Site site)
    {
        if (value is not string text) return Values.ToNumeric(value, site);
        if (text.AsSpan().IsWhiteSpace()) return null;
        if (long.TryParse(text, NumberStyles.Integer | NumberStyles.AllowThousands, culture, out var l)) return new Numeric(l);
        if (decimal.TryParse(text, NumberStyles.Number, culture, out var m)) return new Numeric(m);
        if (double.TryParse(text, NumberStyles.Float | NumberStyles.AllowThousands, culture, out var d) && double.IsFinite(d)) return new Numeric(d);
        throw site.Fail($"cannot read {Values.Show(text)} as a number");
    }

    private static long Pow10(long exponent)
    {
        var result = 1L;
        for (var i = 0; i < exponent; i++) result *= 10;
        return result;
    }
}
