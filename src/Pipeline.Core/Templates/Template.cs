using System.Text;

namespace Pipeline.Core.Templates;

/// <summary>A reference inside a template: <c>{name}</c> or <c>{name:argument}</c>.</summary>
/// <param name="Name">The name (<c>date</c>, <c>env</c>, <c>secret</c>, a variable, <c>steps.extract.rows</c>).</param>
/// <param name="Argument">The text after the first ':' (<c>{now:yyyyMMdd}</c>, <c>{env:HOME}</c>), or null.</param>
/// <param name="Offset">The 0-based position of the '{' in the text.</param>
public sealed record TemplateReference(string Name, string? Argument, int Offset)
{
    /// <summary>The reference as written, without braces.</summary>
    public string Text => Argument is null ? Name : $"{Name}:{Argument}";
}

/// <summary>
/// Finds and replaces <c>{name}</c> references in text. <c>{{</c> and <c>}}</c> stand for literal braces; a '{'
/// that does not start a reference (such as JSON text "{ \"a\": 1 }") is kept as written.
/// </summary>
public static class Template
{
    /// <summary>Every reference in <paramref name="text"/>, in order.</summary>
    public static IReadOnlyList<TemplateReference> References(string text)
    {
        var result = new List<TemplateReference>();
        Walk(text, (reference, _) => { result.Add(reference); return ""; });
        return result;
    }

    /// <summary>Replaces each reference by what <paramref name="resolve"/> returns for it.</summary>
    public static string Render(string text, Func<TemplateReference, string> resolve) => Walk(text, (r, _) => resolve(r));

    /// <summary>Whether the text holds any reference or escaped brace.</summary>
    public static bool HasTemplates(string text) => text.Contains('{') || text.Contains("}}", StringComparison.Ordinal);

    private static string Walk(string text, Func<TemplateReference, int, string> onReference)
    {
        if (!HasTemplates(text)) return text;
        var sb = new StringBuilder(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '{')
            {
                if (i + 1 < text.Length && text[i + 1] == '{')
                {
                    sb.Append('{');
                    i++;
                    continue;
                }
                if (TryReadReference(text, i, out var reference, out var end))
                {
                    sb.Append(onReference(reference, i));
                    i = end;
                    continue;
                }
            }
            else if (c == '}' && i + 1 < text.Length && text[i + 1] == '}')
            {
                sb.Append('}');
                i++;
                continue;
            }
            sb.Append(c);
        }
        return sb.ToString();
    }

    private static bool TryReadReference(string text, int open, out TemplateReference reference, out int close)
    {
        reference = null!;
        close = -1;
        var i = open + 1;
        if (i >= text.Length || !(char.IsAsciiLetter(text[i]) || text[i] == '_')) return false;
        var nameStart = i;
        while (i < text.Length && (char.IsAsciiLetterOrDigit(text[i]) || text[i] is '_' or '.' or '-')) i++;
        var name = text[nameStart..i];
        string? argument = null;
        if (i < text.Length && text[i] == ':')
        {
            var end = text.IndexOf('}', i + 1);
            if (end < 0) return false;
            argument = text[(i + 1)..end];
            i = end;
        }
        if (i >= text.Length || text[i] != '}') return false;
        reference = new TemplateReference(name, argument, open);
        close = i;
        return true;
    }
}
