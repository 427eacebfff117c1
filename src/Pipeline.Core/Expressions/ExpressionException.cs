using System.Text;

namespace Pipeline.Core.Expressions;

/// <summary>What kind of problem an <see cref="ExpressionException"/> reports.</summary>
public enum ExpressionErrorKind
{
    /// <summary>The text is not a well-formed expression: a stray character, an unterminated string, a misplaced token.</summary>
    Syntax,

    /// <summary>A name, function or type that does not exist, or a function called with the wrong number of arguments.</summary>
    Name,

    /// <summary>Values that cannot meet, found while compiling: a date compared with a number, a number used as a condition.</summary>
    Type,

    /// <summary>A value that cannot be used: text that is not a number, a division by zero, an overflow. Found while
    /// evaluating a row, or while compiling when the value is a constant.</summary>
    Value,
}

/// <summary>
/// A problem in an expression, with the 1-based column (character position in <see cref="ExpressionText"/>) where it
/// is. The message ends with the expression and a caret under that column.
/// </summary>
public sealed class ExpressionException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="kind">What kind of problem this is.</param>
    /// <param name="reason">What is wrong, without the position (e.g. <c>unexpected ')'</c>).</param>
    /// <param name="expressionText">The whole expression.</param>
    /// <param name="column">The 1-based character position of the problem; one past the end for "unexpected end".</param>
    public ExpressionException(ExpressionErrorKind kind, string reason, string expressionText, int column)
        : base(Format(reason, expressionText, column))
    {
        Kind = kind;
        Reason = reason;
        ExpressionText = expressionText;
        Column = column;
    }

    /// <summary>What kind of problem this is.</summary>
    public ExpressionErrorKind Kind { get; }

    /// <summary>What is wrong, without the position; hosts that place the expression in a file add their own.</summary>
    public string Reason { get; }

    /// <summary>The whole expression.</summary>
    public string ExpressionText { get; }

    /// <summary>The 1-based character position of the problem in <see cref="ExpressionText"/>.</summary>
    public int Column { get; }

    private static string Format(string reason, string text, int column)
    {
        var offset = Math.Clamp(column - 1, 0, text.Length);
        var lineStart = offset == 0 ? 0 : text.LastIndexOf('\n', offset - 1) + 1;
        var lineEnd = text.IndexOf('\n', offset);
        if (lineEnd < 0) lineEnd = text.Length;
        var line = text[lineStart..lineEnd].TrimEnd('\r').Replace('\t', ' ');
        var message = new StringBuilder()
            .Append(reason).Append(" at column ").Append(column).AppendLine()
            .Append("  ").AppendLine(line)
            .Append("  ").Append(' ', offset - lineStart).Append('^');
        return message.ToString();
    }
}
