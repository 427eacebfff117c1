using System.Net;

namespace Pipeline.Core.Templates;

/// <summary>
/// Replaces every known secret value with <c>***</c> in text bound for logs, events, errors, summaries and the run
/// store. Each secret is masked as written, URL-encoded (<c>%40</c>, <c>%2f</c> and <c>+</c> forms) and JSON-escaped. Secrets
/// that overlap in the text are masked together. A secret shorter than <see cref="ShortLength"/> characters is
/// masked only where it stands as a whole word (not inside a longer word or number), so that a one-letter secret
/// does not mask every such letter of every message. Secrets are added as they are resolved; masking is thread-safe.
/// </summary>
public sealed class SecretMasker
{
    /// <summary>What a secret is replaced with.</summary>
    public const string Mask = "***";

    /// <summary>Secrets shorter than this are masked only as whole words.</summary>
    public const int ShortLength = 4;

    private volatile string[] _secrets = [];
    private readonly object _gate = new();

    /// <summary>Adds a secret value and its encoded forms.</summary>
    public void Add(string? secret)
    {
        if (string.IsNullOrEmpty(secret)) return;
        var json = secret.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal);
        var escaped = Uri.EscapeDataString(secret);
        // Some encoders write the hex digits of %XX in lower case.
        var lowerHex = System.Text.RegularExpressions.Regex.Replace(escaped, "%[0-9A-F]{2}", m => m.Value.ToLowerInvariant());
        lock (_gate)
        {
            _secrets = _secrets.Concat([secret, escaped, lowerHex, WebUtility.UrlEncode(secret), json])
                .Distinct(StringComparer.Ordinal)
                .ToArray();
        }
    }

    /// <summary>Whether any secret is known.</summary>
    public bool IsEmpty => _secrets.Length == 0;

    /// <summary>The text with every known secret replaced.</summary>
    public string Apply(string text)
    {
        var secrets = _secrets;
        if (secrets.Length == 0 || string.IsNullOrEmpty(text)) return text;
        List<(int Start, int End)>? spans = null;
        foreach (var secret in secrets)
        {
            for (var at = text.IndexOf(secret, StringComparison.Ordinal); at >= 0; at = text.IndexOf(secret, at + 1, StringComparison.Ordinal))
            {
                var end = at + secret.Length;
                if (secret.Length < ShortLength && (IsWordChar(text, at - 1) || IsWordChar(text, end))) continue;
                (spans ??= []).Add((at, end));
            }
        }
        if (spans is null) return text;

        // Overlapping or touching occurrences become one mask, so no part of either secret shows.
        spans.Sort((a, b) => a.Start.CompareTo(b.Start));
        var result = new System.Text.StringBuilder(text.Length);
        var written = 0;
        var i = 0;
        while (i < spans.Count)
        {
            var (start, end) = spans[i++];
            while (i < spans.Count && spans[i].Start <= end) end = Math.Max(end, spans[i++].End);
            result.Append(text, written, start - written).Append(Mask);
            written = end;
        }
        return result.Append(text, written, text.Length - written).ToString();
    }

    /// <summary>Masks a nullable text.</summary>
    public string? ApplyOrNull(string? text) => text is null ? null : Apply(text);

    private static bool IsWordChar(string text, int index) => index >= 0 && index < text.Length && char.IsLetterOrDigit(text[index]);
}
