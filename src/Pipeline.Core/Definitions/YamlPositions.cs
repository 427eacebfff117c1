using YamlDotNet.Core;

namespace Pipeline.Core.Definitions;

/// <summary>
/// Corrects YamlDotNet's error positions against the text: it can report a tab or an unclosed '{' or '[' at the
/// wrong line (line 1, or the line after), and a position past the end for a very long single line.
/// </summary>
internal static class YamlPositions
{
    public static SourceLocation Locate(YamlException ex, string text, string? file)
    {
        var lines = text.Split('\n');
        var message = ex.InnerException?.Message ?? ex.Message;

        if (message.Contains("tab", StringComparison.OrdinalIgnoreCase) && FindIndentTab(lines) is { } tab)
            return new SourceLocation(file, tab.Line, tab.Column);

        if (FindUnclosedFlow(lines) is { } open)
            return new SourceLocation(file, open.Line, open.Column);

        var line = (int)Math.Clamp(ex.Start.Line, 1, Math.Max(1, lines.Length));
        var lineText = lines[line - 1].TrimEnd('\r');
        var column = (int)Math.Clamp(ex.Start.Column, 1, lineText.Length + 1);
        return new SourceLocation(file, line, column);
    }

    public static string Describe(YamlException ex, string text)
    {
        var lines = text.Split('\n');
        var message = (ex.InnerException?.Message ?? ex.Message).Trim();
        // Strip YamlDotNet's own "(Line: x, Col: y, ...)" prefix: the location is reported separately.
        var close = message.StartsWith("(Line:", StringComparison.Ordinal) ? message.IndexOf("): ", StringComparison.Ordinal) : -1;
        if (close >= 0) message = message[(close + 3)..];
        if (message.Contains("tab", StringComparison.OrdinalIgnoreCase) && FindIndentTab(lines) is not null)
            return "YAML syntax: a tab character is used for indentation; indent with spaces.";
        if (FindUnclosedFlow(lines) is { } open)
            return $"YAML syntax: the '{open.Bracket}' opened here is never closed.";
        return "YAML syntax: " + message;
    }

    private static (int Line, int Column)? FindIndentTab(string[] lines)
    {
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i];
            for (var c = 0; c < line.Length && (line[c] == ' ' || line[c] == '\t' || line[c] == '-'); c++)
            {
                if (line[c] == '\t') return (i + 1, c + 1);
            }
        }
        return null;
    }

    /// <summary>Finds a '{' or '[' in flow context that is never closed, skipping quoted text and comments.</summary>
    private static (int Line, int Column, char Bracket)? FindUnclosedFlow(string[] lines)
    {
        var stack = new Stack<(int Line, int Column, char Bracket)>();
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i];
            char quote = '\0';
            for (var c = 0; c < line.Length; c++)
            {
                var ch = line[c];
                if (quote != '\0')
                {
                    if (ch == quote) quote = '\0';
                    continue;
                }
                switch (ch)
                {
                    case '\'' or '"' when c == 0 || " \t[{,:".Contains(line[c - 1]):
                        quote = ch;
                        break;
                    case '#' when c == 0 || line[c - 1] is ' ' or '\t':
                        c = line.Length;
                        break;
                    case '{' or '[' when stack.Count > 0 || c == 0 || IsFlowStart(line, c):
                        stack.Push((i + 1, c + 1, ch));
                        break;
                    case '}' or ']' when stack.Count > 0:
                        stack.Pop();
                        break;
                }
            }
            // A block scalar line such as "key: |" cannot hold flow brackets; anything else continues the flow.
        }
        return stack.Count > 0 ? stack.Reverse().First() : null;
    }

    private static bool IsFlowStart(string line, int c)
    {
        // A bracket starts a flow collection only where a value starts: after "key: ", "- ", or at the start.
        var before = line[..c].TrimEnd();
        return before.Length == 0 || before.EndsWith(':') || before.EndsWith('-') || before.EndsWith(',');
    }
}
