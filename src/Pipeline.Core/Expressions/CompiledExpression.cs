using Pipeline.Core.Records;

namespace Pipeline.Core.Expressions;

/// <summary>
/// An expression compiled to a delegate by <see cref="ExpressionCompiler"/>. Evaluating it walks no tree and allocates
/// nothing beyond the boxed result (and the text a text function builds). Safe to use from several threads at once.
/// </summary>
public sealed class CompiledExpression
{
    private readonly Func<object?[], object?> _evaluate;
    private readonly Func<Func<object?[], bool>> _compileCondition;
    private readonly int _width;
    private Func<object?[], bool>? _isTrue;

    internal CompiledExpression(
        string text,
        IReadOnlyList<string> referencedNames,
        FieldType resultType,
        int width,
        Func<object?[], object?> evaluate,
        Func<Func<object?[], bool>> compileCondition)
    {
        Text = text;
        ReferencedNames = referencedNames;
        ResultType = resultType;
        _width = width;
        _evaluate = evaluate;
        _compileCondition = compileCondition;
    }

    /// <summary>The expression as written.</summary>
    public string Text { get; }

    /// <summary>The names the expression uses, spelled as in the list given to the compiler, in order of first use.</summary>
    public IReadOnlyList<string> ReferencedNames { get; }

    /// <summary>
    /// The type of the result when it is known before evaluation, otherwise <see cref="FieldType.Any"/> (e.g. a bare
    /// column, or arithmetic on columns whose values may be integers or decimals).
    /// </summary>
    public FieldType ResultType { get; }

    /// <summary>Evaluates the expression on one row.</summary>
    /// <param name="row">The values of the names given to the compiler, by their position in that list.</param>
    /// <returns>The result: null, <see cref="string"/>, <see cref="long"/>, <see cref="decimal"/>, <see cref="double"/>,
    /// <see cref="bool"/>, <see cref="DateOnly"/>, <see cref="DateTimeOffset"/>, or a row value passed through.</returns>
    /// <exception cref="ExpressionException">A value cannot be used (kind <see cref="ExpressionErrorKind.Value"/>).</exception>
    public object? Evaluate(object?[] row)
    {
        CheckWidth(row);
        return _evaluate(row);
    }

    /// <summary>
    /// Whether the expression is true for one row, in SQL's sense: NULL and false are not true. A result of text
    /// <c>'true'</c> / <c>'false'</c> (a variable, a CSV value) counts as the boolean it spells.
    /// </summary>
    /// <exception cref="ExpressionException">The expression does not give true or false (kind
    /// <see cref="ExpressionErrorKind.Type"/>), or a value cannot be used.</exception>
    public bool IsTrue(object?[] row)
    {
        CheckWidth(row);
        return (_isTrue ??= _compileCondition())(row);
    }

    /// <inheritdoc />
    public override string ToString() => Text;

    private void CheckWidth(object?[] row)
    {
        ArgumentNullException.ThrowIfNull(row);
        if (row.Length < _width)
            throw new ArgumentException($"The row has {row.Length} values, but the expression was compiled for {_width} names.", nameof(row));
    }
}
