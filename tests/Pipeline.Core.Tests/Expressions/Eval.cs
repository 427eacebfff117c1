using Pipeline.Core.Expressions;

namespace Pipeline.Core.Tests.Expressions;

/// <summary>Compiles and evaluates expressions over named values, for tests.</summary>
internal static class Eval
{
    public static object? Of(string text, params (string Name, object? Value)[] row) =>
        Compile(text, row).Evaluate(row.Select(c => c.Value).ToArray());

    public static bool IsTrue(string text, params (string Name, object? Value)[] row) =>
        Compile(text, row).IsTrue(row.Select(c => c.Value).ToArray());

    public static CompiledExpression Compile(string text, params (string Name, object? Value)[] row) =>
        ExpressionCompiler.Compile(text, row.Select(c => c.Name).ToArray());

    /// <summary>The error compiling the text with these names.</summary>
    public static ExpressionException CompileError(string text, params string[] names) =>
        Assert.Throws<ExpressionException>(() => ExpressionCompiler.Compile(text, names));

    /// <summary>The error evaluating the text on this row (it must compile).</summary>
    public static ExpressionException EvaluationError(string text, params (string Name, object? Value)[] row)
    {
        var compiled = Compile(text, row);
        return Assert.Throws<ExpressionException>(() => compiled.Evaluate(row.Select(c => c.Value).ToArray()));
    }
}
