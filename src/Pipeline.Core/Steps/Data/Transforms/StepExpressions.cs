using Pipeline.Core.Execution;
using Pipeline.Core.Expressions;

namespace Pipeline.Core.Steps.Data.Transforms;

/// <summary>Compiles the expressions in a step's options against the columns of its input, and reports a bad one
/// with the option it is in and its column.</summary>
internal static class StepExpressions
{
    /// <summary>The expression options of a step: its clock, the invariant culture.</summary>
    public static ExpressionOptions For(StepContext context) => new() { Time = context.Time };

    /// <summary>Compiles an expression; <paramref name="where"/> says where it is written (<c>the option 'where'</c>).</summary>
    /// <param name="where">Where the expression is written, for the message: <c>the option 'where'</c>, <c>'total' in 'columns'</c>.</param>
    /// <param name="text">The expression.</param>
    /// <param name="names">The columns it may use.</param>
    /// <param name="condition">Whether it must give true or false.</param>
    /// <param name="options">The clock and culture.</param>
    /// <param name="offset">Characters before the expression in the option's text (for <c>sum(amount)</c>, 4), added to
    /// the reported column.</param>
    /// <param name="whole">The option's whole text when <paramref name="offset"/> is not 0.</param>
    public static CompiledExpression Compile(string where, string text, IReadOnlyList<string> names, bool condition, ExpressionOptions options,
        int offset = 0, string? whole = null)
    {
        try
        {
            return condition ? ExpressionCompiler.CompileCondition(text, names, options) : ExpressionCompiler.Compile(text, names, options);
        }
        catch (ExpressionException ex)
        {
            var shown = offset == 0 ? ex : new ExpressionException(ex.Kind, ex.Reason, whole ?? text, ex.Column + offset);
            throw new StepException(ErrorKind.Configuration, $"The expression in {where} is invalid: {shown.Message}", shown);
        }
    }

    /// <summary>The failure for an expression that could not be evaluated on one row (a value that cannot be used).</summary>
    public static StepException RowFailed(string where, long rowNumber, ExpressionException ex) =>
        new(ErrorKind.Validation, $"Row {rowNumber}: the expression in {where} failed: {ex.Message}", ex);
}
