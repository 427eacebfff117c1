using System.Linq.Expressions;

namespace Pipeline.Core.Expressions;

/// <summary>A compiled node: its LINQ expression (of <see cref="ValueKinds.ClrType"/> of its kind), its kind, and,
/// for a constant, its value in that representation.</summary>
internal readonly record struct Typed(Expression Expression, ValueKind Kind, bool IsConstant = false, object? Value = null)
{
    public static Typed Constant(object? value, ValueKind kind) =>
        new(System.Linq.Expressions.Expression.Constant(value, kind.ClrType()), kind, true, value);
}
