using System.Globalization;
using Pipeline.Core.Expressions;

namespace Pipeline.Core.Steps.Data.Transforms;

/// <summary>
/// A total order over row values, for sort, min and max: it never fails, whatever a column holds. Numbers of any
/// type compare by value, text ordinally (as the expression language compares it), dates and timestamps by time
/// (a date is its midnight UTC), false before true. Values of different kinds order by kind: booleans, numbers,
/// dates and timestamps, text, anything else. NULL sorts before everything; callers place it.
/// </summary>
internal static class ValueOrder
{
    public static int Compare(object? a, object? b)
    {
        if (ReferenceEquals(a, b)) return 0;
        if (a is null) return -1;
        if (b is null) return 1;
        if (a is string sa && b is string sb) return string.CompareOrdinal(sa, sb);
        if (a is long la && b is long lb) return la.CompareTo(lb);
        var ka = Rank(a);
        var kb = Rank(b);
        if (ka != kb) return ka.CompareTo(kb);
        switch (ka)
        {
            case 0:
                return ((bool)a).CompareTo((bool)b);
            case 1:
                return CompareNumbers(a, b);
            case 2:
                return Instant(a).CompareTo(Instant(b));
            case 3:
                return string.CompareOrdinal((string)a, (string)b);
            default:
                if (a.GetType() == b.GetType() && a is IComparable comparable) return comparable.CompareTo(b);
                var byType = string.CompareOrdinal(a.GetType().FullName, b.GetType().FullName);
                return byType != 0 ? byType : string.CompareOrdinal(Convert.ToString(a, CultureInfo.InvariantCulture), Convert.ToString(b, CultureInfo.InvariantCulture));
        }
    }

    private static int Rank(object value) => value switch
    {
        bool => 0,
        long or int or decimal or double or float or short or byte or sbyte or ushort or uint or ulong => 1,
        DateOnly or DateTime or DateTimeOffset => 2,
        string => 3,
        _ => 4,
    };

    private static int CompareNumbers(object a, object b)
    {
        if (a is double || b is double || a is float || b is float)
            return Convert.ToDouble(a, CultureInfo.InvariantCulture).CompareTo(Convert.ToDouble(b, CultureInfo.InvariantCulture));
        return ToDecimal(a).CompareTo(ToDecimal(b));
    }

    private static decimal ToDecimal(object value) => value switch
    {
        long l => l,
        int i => i,
        decimal m => m,
        ulong u => u,
        _ => Convert.ToDecimal(value, CultureInfo.InvariantCulture),
    };

    private static DateTimeOffset Instant(object value) => value switch
    {
        DateOnly d => Values.Midnight(d),
        DateTime dt => Values.FromDateTime(dt),
        _ => (DateTimeOffset)value,
    };
}
