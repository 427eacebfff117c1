using System.Globalization;
using System.Runtime.InteropServices;

namespace Pipeline.Core.Expressions;

internal enum NumericKind : byte
{
    Integer,
    Decimal,
    Double,
}

/// <summary>
/// A number of one of the language's numeric kinds (long, decimal, double), held unboxed so that arithmetic on
/// row values whose kind is only known per row allocates nothing. Operations promote long → decimal → double.
/// </summary>
[StructLayout(LayoutKind.Explicit)]
internal readonly struct Numeric
{
    [FieldOffset(0)] private readonly decimal _decimal;
    [FieldOffset(0)] private readonly long _integer;
    [FieldOffset(0)] private readonly double _double;
    [FieldOffset(16)] public readonly NumericKind Kind;

    public Numeric(long value)
    {
        this = default; // the fields overlap: start from all zeros
        _integer = value;
        Kind = NumericKind.Integer;
    }

    public Numeric(decimal value)
    {
        this = default; // the fields overlap: start from all zeros
        _decimal = value;
        Kind = NumericKind.Decimal;
    }

    public Numeric(double value)
    {
        this = default; // the fields overlap: start from all zeros
        _double = value;
        Kind = NumericKind.Double;
    }

    /// <summary>The value of an Integer.</summary>
    public long Integer => _integer;

    /// <exception cref="OverflowException">A double beyond decimal's range, or NaN.</exception>
    public decimal ToDecimal() => Kind switch
    {
        NumericKind.Integer => _integer,
        NumericKind.Decimal => _decimal,
        _ => (decimal)_double,
    };

    public double ToDouble() => Kind switch
    {
        NumericKind.Integer => _integer,
        NumericKind.Decimal => (double)_decimal,
        _ => _double,
    };

    public bool IsZero => Kind switch
    {
        NumericKind.Integer => _integer == 0,
        NumericKind.Decimal => _decimal == 0m,
        _ => _double == 0d,
    };

    /// <summary>Whether the value has no fractional part.</summary>
    public bool IsWhole => Kind switch
    {
        NumericKind.Integer => true,
        NumericKind.Decimal => decimal.Truncate(_decimal) == _decimal,
        _ => double.IsFinite(_double) && Math.Truncate(_double) == _double,
    };

    public object Box() => Kind switch
    {
        NumericKind.Integer => _integer,
        NumericKind.Decimal => _decimal,
        _ => _double,
    };

    public override string ToString() => Kind switch
    {
        NumericKind.Integer => _integer.ToString(CultureInfo.InvariantCulture),
        NumericKind.Decimal => _decimal.ToString(CultureInfo.InvariantCulture),
        _ => _double.ToString("R", CultureInfo.InvariantCulture),
    };

    public static NumericKind Wider(Numeric a, Numeric b) => (NumericKind)Math.Max((byte)a.Kind, (byte)b.Kind);

    public static int Compare(Numeric a, Numeric b)
    {
        if (a.Kind == NumericKind.Integer && b.Kind == NumericKind.Integer) return a._integer.CompareTo(b._integer);
        if (a.Kind == NumericKind.Double || b.Kind == NumericKind.Double) return a.ToDouble().CompareTo(b.ToDouble());
        return a.ToDecimal().CompareTo(b.ToDecimal());
    }

    /// <exception cref="OverflowException">The result does not fit the kind.</exception>
    public static Numeric Add(Numeric a, Numeric b) => Wider(a, b) switch
    {
        NumericKind.Integer => new Numeric(checked(a._integer + b._integer)),
        NumericKind.Decimal => new Numeric(a.ToDecimal() + b.ToDecimal()),
        _ => new Numeric(a.ToDouble() + b.ToDouble()),
    };

    /// <exception cref="OverflowException">The result does not fit the kind.</exception>
    public static Numeric Subtract(Numeric a, Numeric b) => Wider(a, b) switch
    {
        NumericKind.Integer => new Numeric(checked(a._integer - b._integer)),
        NumericKind.Decimal => new Numeric(a.ToDecimal() - b.ToDecimal()),
        _ => new Numeric(a.ToDouble() - b.ToDouble()),
    };

    /// <exception cref="OverflowException">The result does not fit the kind.</exception>
    public static Numeric Multiply(Numeric a, Numeric b) => Wider(a, b) switch
    {
        NumericKind.Integer => new Numeric(checked(a._integer * b._integer)),
        NumericKind.Decimal => new Numeric(a.ToDecimal() * b.ToDecimal()),
        _ => new Numeric(a.ToDouble() * b.ToDouble()),
    };

    /// <summary>Division; two integers divide exactly as decimals (7 / 2 = 3.5). The caller rules out a zero divisor.</summary>
    /// <exception cref="OverflowException">The result does not fit the kind.</exception>
    public static Numeric Divide(Numeric a, Numeric b) => Wider(a, b) switch
    {
        NumericKind.Double => new Numeric(a.ToDouble() / b.ToDouble()),
        _ => new Numeric(a.ToDecimal() / b.ToDecimal()),
    };

    /// <summary>Remainder with the sign of the dividend. The caller rules out a zero divisor.</summary>
    /// <exception cref="OverflowException">long.MinValue % -1.</exception>
    public static Numeric Remainder(Numeric a, Numeric b) => Wider(a, b) switch
    {
        NumericKind.Integer => new Numeric(b._integer == -1 ? 0 : a._integer % b._integer),
        NumericKind.Decimal => new Numeric(a.ToDecimal() % b.ToDecimal()),
        _ => new Numeric(a.ToDouble() % b.ToDouble()),
    };

    /// <exception cref="OverflowException">-long.MinValue.</exception>
    public static Numeric Negate(Numeric a) => a.Kind switch
    {
        NumericKind.Integer => new Numeric(checked(-a._integer)),
        NumericKind.Decimal => new Numeric(-a._decimal),
        _ => new Numeric(-a._double),
    };
}
