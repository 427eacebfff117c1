using System.Text;

namespace Pipeline.HelpCompiler;

/// <summary>A section's lines and the 1-based line its heading stands on.</summary>
public sealed record Section(int Line, IReadOnlyList<string> Lines);

/// <summary>The little markdown the help files use: headings, paragraphs, fenced code blocks, lists.</summary>
public static class Markdown
{
    /// <summary>The text of the first '# ' heading.</summary>
    public static string? Title(IReadOnlyList<string> lines) =>
        lines.FirstOrDefault(l => l.StartsWith("# ", StringComparison.Ordinal))?[2..].Trim();

    /// <summary>The sections under headings of one level, in order, by heading text (code blocks are not searched).</summary>
    public static Dictionary<string, Section> Sections(IReadOnlyList<string> lines, int level, bool skipFrontMatter = false)
    {
        var prefix = new string('#', level) + " ";
        var result = new Dictionary<string, Section>(StringComparer.OrdinalIgnoreCase);
        string? current = null;
        var start = 0;
        var body = new List<string>();
        var inCode = false;
        var i = 0;
        if (skipFrontMatter && lines.Count > 0 && lines[0].Trim() == "---")
        {
            i = 1;
            while (i < lines.Count && lines[i].Trim() != "---") i++;
            i++;
        }
        for (; i < lines.Count; i++)
        {
            var line = lines[i];
            if (line.TrimStart().StartsWith("```", StringComparison.Ordinal)) inCode = !inCode;
            if (!inCode && line.StartsWith(prefix, StringComparison.Ordinal))
            {
                if (current is not null) result[current] = new Section(start, body);
                current = line[prefix.Length..].Trim();
                start = i + 1;
                body = [];
                continue;
            }
            if (!inCode && level > 1 && line.StartsWith(new string('#', level - 1) + " ", StringComparison.Ordinal) && current is not null)
            {
                result[current] = new Section(start, body);
                current = null;
                continue;
            }
            body.Add(line);
        }
        if (current is not null) result[current] = new Section(start, body);
        return result;
    }

    /// <summary>The first fenced code block (of a language, when given) and the lines outside it.</summary>
    public static (string? Code, IReadOnlyList<string> Others) FirstCodeBlock(IReadOnlyList<string> lines, string? language = null)
    {
        var rest = new List<string>();
        var code = new List<string>();
        string? found = null;
        var inCode = false;
        foreach (var line in lines)
        {
            var trimmed = line.Trim();
            if (found is null && !inCode && trimmed.StartsWith("```", StringComparison.Ordinal) &&
                (language is null || trimmed[3..].Trim().Equals(language, StringComparison.OrdinalIgnoreCase)))
            {
                inCode = true;
                continue;
            }
            if (inCode && trimmed == "```")
            {
                inCode = false;
                found = string.Join("\n", code);
                continue;
            }
            if (inCode) code.Add(line);
            else rest.Add(line);
        }
        return (found, rest);
    }

    /// <summary>Paragraphs of plain text: blank lines separate them; wrapped lines are joined; list items and
    /// code blocks keep their lines.</summary>
    public static IReadOnlyList<string> Paragraphs(IReadOnlyList<string> lines)
    {
        var result = new List<string>();
        var current = new StringBuilder();
        var inCode = false;
        void End()
        {
            if (current.Length > 0) result.Add(current.ToString().TrimEnd());
            current.Clear();
        }
        foreach (var raw in lines)
        {
            var line = raw.TrimEnd();
            if (line.TrimStart().StartsWith("```", StringComparison.Ordinal))
            {
                if (inCode) End();
                else End();
                inCode = !inCode;
                continue;
            }
            if (inCode)
            {
                current.Append("    ").Append(line).Append('\n');
                continue;
            }
            if (line.Length == 0)
            {
                End();
                continue;
            }
            var item = line.TrimStart().StartsWith("- ", StringComparison.Ordinal) || line.TrimStart().StartsWith("* ", StringComparison.Ordinal);
            if (item && current.Length > 0) current.Append('\n');
            else if (current.Length > 0) current.Append(' ');
            current.Append(Inline(item ? line.TrimStart() : line.Trim()));
        }
        End();
        return result;
    }

    /// <summary>All paragraphs as one text, separated by blank lines.</summary>
    public static string Text(IReadOnlyList<string> lines) => string.Join("\n\n", Paragraphs(lines));

    /// <summary>Removes inline markup: `code`, **bold**, *emphasis*, [text](uri) → text (uri).</summary>
    public static string Inline(string text)
    {
        text = System.Text.RegularExpressions.Regex.Replace(text, @"\[([^\]]+)\]\(([^)]+)\)", "$1 ($2)");
        return text.Replace("**", "").Replace("`", "");
    }
}
