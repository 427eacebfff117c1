using System.Globalization;

namespace Pipeline.Core.Expressions;

/// <summary>Settings that an expression's functions depend on.</summary>
public sealed class ExpressionOptions
{
    /// <summary>The defaults: the system clock and the invariant culture.</summary>
    public static ExpressionOptions Default { get; } = new();

    /// <summary>The clock behind <c>now()</c> and <c>today()</c>; its local time zone gives their offset and date.</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>
    /// The culture of <c>lower</c>, <c>upper</c>, <c>format_date</c>, <c>parse_date</c>, <c>parse_timestamp</c>,
    /// <c>to_number</c> and <c>to_string</c> with a format. Invariant unless set. Implicit conversions (text compared
    /// with a number, CAST) are always invariant, so an expression means the same on every machine.
    /// </summary>
    public CultureInfo Culture { get; init; } = CultureInfo.InvariantCulture;
}
