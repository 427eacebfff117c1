namespace Pipeline.Core.Expressions;

/// <summary>
/// + − × ÷ % and unary minus at runtime: NULL in, NULL out; long → decimal → double promotion; integer overflow and
/// division by zero are errors (write <c>a / nullif(b, 0)</c> for NULL instead).
/// </summary>
internal static class Arithmetic
{
    public static Numeric? Add(Numeric? a, Numeric? b, Site site)
    {
        if (a is not { } x || b is not { } y) return null;
        try { return Numeric.Add(x, y); }
        catch (OverflowException) { throw Overflow(site, x, "+", y); }
    }

    public static Numeric? Subtract(Numeric? a, Numeric? b, Site site)
    {
        if (a is not { } x || b is not { } y) return null;
        try { return Numeric.Subtract(x, y); }
        catch (OverflowException) { throw Overflow(site, x, "-", y); }
    }

    public static Numeric? Multiply(Numeric? a, Numeric? b, Site site)
    {
        if (a is not { } x || b is not { } y) return null;
        try { return Numeric.Multiply(x, y); }
        catch (OverflowException) { throw Overflow(site, x, "*", y); }
    }

    public static Numeric? Divide(Numeric? a, Numeric? b, Site site)
    {
        if (a is not { } x || b is not { } y) return null;
        if (y.IsZero) throw site.Fail($"division by zero ({x} / {y})", "write nullif(divisor, 0) to get NULL instead");
        try { return Numeric.Divide(x, y); }
        catch (OverflowException) { throw Overflow(site, x, "/", y); }
    }

    public static Numeric? Remainder(Numeric? a, Numeric? b, Site site)
    {
        if (a is not { } x || b is not { } y) return null;
        if (y.IsZero) throw site.Fail($"division by zero ({x} % {y})", "write nullif(divisor, 0) to get NULL instead");
        try { return Numeric.Remainder(x, y); }
        catch (OverflowException) { throw Overflow(site, x, "%", y); }
    }

    public static Numeric? Negate(Numeric? a, Site site)
    {
        if (a is not { } x) return null;
        try { return Numeric.Negate(x); }
        catch (OverflowException) { throw site.Fail($"-({x}) is out of range"); }
    }

    private static ExpressionException Overflow(Site site, Numeric x, string op, Numeric y) =>
        Numeric.Wider(x, y) == NumericKind.Integer
            ? site.Fail($"{x} {op} {y} is out of range for an integer", "write a decimal such as 1.0 in the expression to compute in decimals")
            : site.Fail($"{x} {op} {y} is out of range for {Casts.Name(Numeric.Wider(x, y))}");
}
