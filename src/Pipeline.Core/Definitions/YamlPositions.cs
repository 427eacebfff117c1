using System.Text.RegularExpressions;
using YamlDotNet.Core;

namespace Pipeline.Core.Definitions;

/// <summary>
/// Turns a YamlDotNet syntax error into a message and a position checked against the text. YamlDotNet reports a
/// tab used for indentation at an earlier line (the start of the value before it, or line 1), an unclosed '{' or
/// '[' at the line after the end of the text (or throws <see cref="InvalidOperationException"/> without any
/// position), and positions past the end of the text.
/// </summary>
internal static partial class YamlPositions
{
    [GeneratedRegex(@"\btab\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex MentionsTab();

    /// <param name="ex">What YamlDotNet threw.</param>
    /// <param name="text">The YAML text.</param>
    /// <param name="file">The file, for locations.</param>
    /// <param name="lastGood">The end of the last event read without error, if any.</param>
    /// <param name="openFlows">The flow collections open when the error struck, outermost first: the character
    /// index of each '[' or '{'.</param>
    public static DefinitionError SyntaxError(Exception ex, string text, string? file, Mark? lastGood, IReadOnlyList<(long Index, char Bracket)> openFlows)
    {
        var message = ex is YamlException ? Clean(ex.Message) : "";
        var fromLine = lastGood is { } good ? (int)good.Line : 1;

        if (MentionsTab().IsMatch(message) && (FindIndentTab(text, fromLine) ?? FindIndentTab(text, 1)) is { } tab)
            return new DefinitionError("yaml-syntax", "YAML syntax: a tab character indents this line; YAML indents with spaces only.",
                new SourceLocation(file, tab.Line, tab.Column));

        if (openFlows.Count > 0 && FindUnclosed(text, (int)openFlows[0].Index) is { } open)
        {
            var (line, column) = LineAndColumn(text, open);
            var close = text[open] == '[' ? ']' : '}';
            return new DefinitionError("yaml-syntax", $"YAML syntax: the '{text[open]}' opened here is never closed with '{close}'.",
                new SourceLocation(file, line, column));
        }

        if (ex is not YamlException yaml)
        {
            var (line, column) = lastGood is { } m ? Clamp(text, (int)m.Line, (int)m.Column) : (1, 1);
            return new DefinitionError("yaml-syntax", "YAML syntax: the text cannot be read after this point.", new SourceLocation(file, line, column));
        }

        var (l, c) = Clamp(text, (int)yaml.Start.Line, (int)yaml.Start.Column);
        return new DefinitionError("yaml-syntax", "YAML syntax: " + message, new SourceLocation(file, l, c));
    }

    private static string Clean(string message)
    {
        message = message.Trim();
        // Strip YamlDotNet's own "(Line: x, Col: y, ...)" prefix when present: the location is reported apart.
        if (message.StartsWith("(Line:", StringComparison.Ordinal) && message.IndexOf("): ", StringComparison.Ordinal) is >= 0 and var close)
            message = message[(close + 3)..];
        return message;
    }

    /// <summary>A position inside the text: a line past the last is moved to the end of the last line, a column
    /// past the end of its line to just after its last character.</summary>
    internal static (int Line, int Column) Clamp(string text, int line, int column)
    {
        var starts = LineStarts(text);
        if (line < 1) line = 1;
        if (line > starts.Count)
        {
            line = starts.Count;
            column = int.MaxValue;
        }
        var length = LineLength(text, starts[line - 1]);
        return (line, Math.Clamp(column, 1, length + 1));
    }

    // YamlDotNet counts lines as YAML 1.1 does: CR LF, CR, LF, NEL, LS and PS each end a line.
    private static bool IsBreak(char c) => c is '\n' or '\r' or '\u0085' or '\u2028' or '\u2029';

    /// <summary>The 1-based line and column of a character index.</summary>
    internal static (int Line, int Column) LineAndColumn(string text, int index)
    {
        index = Math.Clamp(index, 0, text.Length);
        var starts = LineStarts(text);
        var line = starts.BinarySearch(index);
        if (line < 0) line = ~line - 1;
        return (line + 1, index - starts[line] + 1);
    }

    private static List<int> LineStarts(string text)
    {
        var starts = new List<int> { 0 };
        for (var i = 0; i < text.Length; i++)
        {
            if (!IsBreak(text[i])) continue;
            if (text[i] == '\r' && i + 1 < text.Length && text[i + 1] == '\n') i++;
            starts.Add(i + 1);
        }
        return starts;
    }

    private static int LineLength(string text, int start)
    {
        var end = start;
        while (end < text.Length && !IsBreak(text[end])) end++;
        return end - start;
    }

    /// <summary>The first tab in the indentation of a line with content, from <paramref name="fromLine"/> on.</summary>
    private static (int Line, int Column)? FindIndentTab(string text, int fromLine)
    {
        var starts = LineStarts(text);
        for (var l = Math.Max(1, fromLine); l <= starts.Count; l++)
        {
            var start = starts[l - 1];
            var length = LineLength(text, start);
            var i = 0;
            var tab = -1;
            while (i < length && text[start + i] is ' ' or '\t')
            {
                if (text[start + i] == '\t' && tab < 0) tab = i;
                i++;
            }
            // A line of only blanks, or a comment, indents nothing.
            if (tab >= 0 && i < length && text[start + i] != '#') return (l, tab + 1);
        }
        return null;
    }

    /// <summary>
    /// From the '[' or '{' at <paramref name="open"/> (in flow context, where every bracket is an indicator and no
    /// block scalar can start), finds the bracket that is never closed: the innermost one when a wrong bracket
    /// closes it, the outermost one when the text ends first; null when <paramref name="open"/> is closed properly.
    /// </summary>
    private static int? FindUnclosed(string text, int open)
    {
        if (open < 0 || open >= text.Length || text[open] is not ('[' or '{')) return null;
        var stack = new Stack<int>();
        for (var i = open; i < text.Length; i++)
        {
            var c = text[i];
            var startsToken = i == 0 || text[i - 1] is ' ' or '\t' or '\n' or '\r' or '[' or '{' or ',' or ':';
            switch (c)
            {
                case '\'' when startsToken:
                    // '' is a quote inside single quotes.
                    for (i++; i < text.Length; i++)
                    {
                        if (text[i] != '\'') continue;
                        if (i + 1 < text.Length && text[i + 1] == '\'') i++;
                        else break;
                    }
                    break;
                case '"' when startsToken:
                    for (i++; i < text.Length && text[i] != '"'; i++)
                    {
                        if (text[i] == '\\') i++;
                    }
                    break;
                case '#' when i > 0 && text[i - 1] is ' ' or '\t' or '\n':
                    while (i < text.Length && text[i] != '\n') i++;
                    break;
                case '[' or '{':
                    stack.Push(i);
                    break;
                case ']' or '}':
                    if (stack.Count == 0) return null;
                    var top = stack.Peek();
                    if ((text[top] == '[') != (c == ']')) return top;
                    stack.Pop();
                    if (stack.Count == 0) return null;
                    break;
            }
        }
        return stack.Count > 0 ? stack.Last() : null;
    }
}
