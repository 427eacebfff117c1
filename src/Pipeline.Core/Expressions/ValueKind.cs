using Pipeline.Core.Records;

namespace Pipeline.Core.Expressions;

/// <summary>
/// The type of an expression node as far as the compiler knows it. Numbers of the three numeric kinds, and
/// <see cref="Number"/> (numeric, kind decided by the row's values), are all held as <see cref="Numeric"/>;
/// <see cref="Any"/> is a row value of unknown type, held as object.
/// </summary>
internal enum ValueKind
{
    Null,
    Boolean,
    Integer,
    Decimal,
    Double,
    Number,
    String,
    Date,
    Timestamp,
    Any,
}

internal static class ValueKinds
{
    public static bool IsNumeric(this ValueKind kind) => kind is ValueKind.Integer or ValueKind.Decimal or ValueKind.Double or ValueKind.Number;

    /// <summary>The CLR type a node of this kind compiles to; NULL is a typed null once it meets another kind.</summary>
    public static Type ClrType(this ValueKind kind) => kind switch
    {
        ValueKind.Boolean => typeof(bool?),
        ValueKind.Integer or ValueKind.Decimal or ValueKind.Double or ValueKind.Number => typeof(Numeric?),
        ValueKind.String => typeof(string),
        ValueKind.Date => typeof(DateOnly?),
        ValueKind.Timestamp => typeof(DateTimeOffset?),
        _ => typeof(object),
    };

    /// <summary>The kind in words, for messages: "expected a number, but 'x' is a date".</summary>
    public static string Describe(this ValueKind kind) => kind switch
    {
        ValueKind.Null => "NULL",
        ValueKind.Boolean => "true or false",
        ValueKind.Integer => "an integer",
        ValueKind.Decimal or ValueKind.Double or ValueKind.Number => "a number",
        ValueKind.String => "text",
        ValueKind.Date => "a date",
        ValueKind.Timestamp => "a timestamp",
        _ => "a value",
    };

    public static FieldType ToFieldType(this ValueKind kind) => kind switch
    {
        ValueKind.Boolean => FieldType.Boolean,
        ValueKind.Integer => FieldType.Integer,
        ValueKind.Decimal => FieldType.Decimal,
        ValueKind.Double => FieldType.Double,
        ValueKind.String => FieldType.String,
        ValueKind.Date => FieldType.Date,
        ValueKind.Timestamp => FieldType.Timestamp,
        _ => FieldType.Any,
    };

    public static NumericKind ToNumericKind(this ValueKind kind) => kind switch
    {
        ValueKind.Integer => NumericKind.Integer,
        ValueKind.Decimal => NumericKind.Decimal,
        ValueKind.Double => NumericKind.Double,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Not a specific numeric kind."),
    };

    /// <summary>long → decimal → double; an operand whose kind the row decides makes the result's kind the row's too.
    /// NULL takes the other side's kind.</summary>
    public static ValueKind PromoteNumeric(ValueKind a, ValueKind b)
    {
        if (a == ValueKind.Null) return b == ValueKind.Null ? ValueKind.Integer : b;
        if (b == ValueKind.Null) return a;
        if (a == ValueKind.Number || b == ValueKind.Number || !a.IsNumeric() || !b.IsNumeric()) return ValueKind.Number;
        return (ValueKind)Math.Max((int)a, (int)b);
    }

    /// <summary>The kind two values are compared as, or null when they cannot be compared. Text meets any other kind
    /// by being read as that kind ('600' &gt; 500); a row value of unknown type is compared by its runtime type.</summary>
    public static ValueKind? Comparable(ValueKind a, ValueKind b)
    {
        if (a.IsNumeric() && b.IsNumeric()) return ValueKind.Number;
        if (a == b) return a;
        if (a == ValueKind.Any || b == ValueKind.Any)
        {
            var other = a == ValueKind.Any ? b : a;
            return other.IsNumeric() ? ValueKind.Number : other == ValueKind.Boolean ? ValueKind.Boolean : ValueKind.Any;
        }
        if (a == ValueKind.String) return b;
        if (b == ValueKind.String) return a;
        if ((a, b) is (ValueKind.Date, ValueKind.Timestamp) or (ValueKind.Timestamp, ValueKind.Date)) return ValueKind.Timestamp;
        return null;
    }

    /// <summary>The kind of a result that may come from either of two values (CASE branches, coalesce), or null when
    /// they do not share one.</summary>
    public static ValueKind? Common(ValueKind a, ValueKind b)
    {
        if (a == ValueKind.Null) return b;
        if (b == ValueKind.Null || a == b) return a;
        if (a.IsNumeric() && b.IsNumeric()) return PromoteNumeric(a, b);
        if (a == ValueKind.Any || b == ValueKind.Any) return ValueKind.Any;
        if ((a, b) is (ValueKind.Date, ValueKind.Timestamp) or (ValueKind.Timestamp, ValueKind.Date)) return ValueKind.Timestamp;
        return null;
    }
}
