using System.Text;

namespace Pipeline.HelpCompiler;

/// <summary>Turns about_*.md into the plain text Get-Help shows for about topics: headings in capitals at the
/// margin, text indented by four spaces, code by eight.</summary>
public static class AboutTopic
{
    public static string ToText(string markdown)
    {
        var sb = new StringBuilder();
        var inCode = false;
        foreach (var raw in markdown.Replace("\r\n", "\n").Split('\n'))
        {
            var line = raw.TrimEnd();
            if (line.TrimStart().StartsWith("```", StringComparison.Ordinal))
            {
                inCode = !inCode;
                continue;
            }
            if (inCode)
            {
                sb.Append("        ").AppendLine(line);
                continue;
            }
            if (line.StartsWith('#'))
            {
                var heading = line.TrimStart('#').Trim();
                if (line.StartsWith("# ", StringComparison.Ordinal))
                {
                    sb.AppendLine("TOPIC").Append("    ").AppendLine(heading);
                }
                else
                {
                    if (sb.Length > 0 && !sb.ToString().EndsWith("\n\n", StringComparison.Ordinal)) sb.AppendLine();
                    sb.AppendLine(heading.ToUpperInvariant());
                }
                continue;
            }
            sb.AppendLine(line.Length == 0 ? "" : "    " + Markdown.Inline(line));
        }
        return sb.ToString();
    }
}
