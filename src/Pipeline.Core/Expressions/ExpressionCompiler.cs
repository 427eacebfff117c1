namespace Pipeline.Core.Expressions;

/// <summary>
/// Compiles the engine's expression language (SQL expression syntax, see docs/expressions.md) to delegates:
/// <c>when:</c> conditions, and the <c>filter</c>, <c>derive</c>, <c>split</c> and <c>validate</c> transforms.
/// Parse once, evaluate many times.
/// </summary>
public static class ExpressionCompiler
{
    /// <summary>Compiles an expression.</summary>
    /// <param name="text">The expression, e.g. <c>amount &gt; 500 and country = 'DE'</c>.</param>
    /// <param name="names">The columns or variables the expression may use, compared case-insensitively; a row given
    /// to <see cref="CompiledExpression.Evaluate"/> holds their values at the same positions.</param>
    /// <param name="options">The clock and culture; <see cref="ExpressionOptions.Default"/> when null.</param>
    /// <exception cref="ExpressionException">The expression is malformed, uses an unknown name or function, mixes
    /// types that cannot meet, or has a constant that cannot be used; the exception gives the column.</exception>
    /// <exception cref="ArgumentException">A name is null or appears twice.</exception>
    public static CompiledExpression Compile(string text, IReadOnlyList<string> names, ExpressionOptions? options = null) =>
        Compile(text, names, options, asCondition: false);

    /// <summary>
    /// Compiles an expression that must give true or false (a <c>when:</c>, a filter, a validation rule): one that
    /// can only give a number, text, or a date fails here rather than at the first row.
    /// </summary>
    /// <inheritdoc cref="Compile(string, IReadOnlyList{string}, ExpressionOptions?)"/>
    public static CompiledExpression CompileCondition(string text, IReadOnlyList<string> names, ExpressionOptions? options = null) =>
        Compile(text, names, options, asCondition: true);

    private static CompiledExpression Compile(string text, IReadOnlyList<string> names, ExpressionOptions? options, bool asCondition)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(names);
        var syntax = Parser.Parse(text);
        return new Translator(text, names, options ?? ExpressionOptions.Default).Compile(syntax, asCondition);
    }
}
