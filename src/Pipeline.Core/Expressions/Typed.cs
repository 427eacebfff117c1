using System.Linq.Expressions;
using System.Runtime.CompilerServices;

namespace Pipeline.Core.Expressions;

/// <summary>A compiled node: its LINQ expression (of <see cref="ValueKinds.ClrType"/> of its kind), its kind, and,
/// for a constant, its value in that representation.</summary>
internal readonly record struct Typed(Expression Expression, ValueKind Kind, bool IsConstant = false, object? Value = null)
{
    public static Typed Constant(object? value, ValueKind kind) => new(ConstantOf(value, kind.ClrType()), kind, true, value);

    /// <summary>
    /// A constant as compiled code reads it. A struct constant the IL cannot embed (Numeric?, DateOnly?...) would be
    /// stored boxed and unboxed through a runtime helper at every evaluation; a field of a StrongBox is a plain load.
    /// </summary>
    public static Expression ConstantOf(object? value, Type type)
    {
        if (!type.IsValueType || type == typeof(bool?) || value is null)
            return System.Linq.Expressions.Expression.Constant(value, type);
        var box = Activator.CreateInstance(typeof(StrongBox<>).MakeGenericType(type), value)!;
        return System.Linq.Expressions.Expression.Field(System.Linq.Expressions.Expression.Constant(box), "Value");
    }
}
