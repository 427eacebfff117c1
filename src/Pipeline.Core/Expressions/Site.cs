namespace Pipeline.Core.Expressions;

/// <summary>
/// Where in the expression a runtime check happens, so a value that cannot be used is reported with its column and
/// the part of the expression it was used in. One per check, created at compile time and passed as a constant.
/// </summary>
internal sealed class Site
{
    private const int MaxContext = 80;

    public Site(string text, int offset, string context)
    {
        Text = text;
        Offset = offset;
        Context = context;
    }

    public string Text { get; }

    public int Offset { get; }

    /// <summary>The source of the enclosing operation, e.g. <c>amount &gt; 500</c>.</summary>
    public string Context { get; }

    /// <summary>The error for a value that cannot be used here; the hint, if any, follows the context.</summary>
    public ExpressionException Fail(string reason, string? hint = null) =>
        new(ExpressionErrorKind.Value, $"{reason} in \"{Context}\"{(hint is null ? "" : "; " + hint)}", Text, Offset + 1);

    public static Site For(string text, int offset, Syntax context)
    {
        var length = context.End - context.Start;
        var source = length > MaxContext
            ? string.Concat(text.AsSpan(context.Start, MaxContext - 1), "…") // never copy a long source just to cut it
            : text.Substring(context.Start, length);
        return new Site(text, offset, source.ReplaceLineEndings(" "));
    }
}
