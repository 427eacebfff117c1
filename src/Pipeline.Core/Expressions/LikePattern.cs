namespace Pipeline.Core.Expressions;

/// <summary>
/// SQL LIKE: <c>%</c> matches any run of characters (also none), <c>_</c> exactly one, the ESCAPE character makes the
/// next character literal. Matches the whole text. Works on the pattern text directly, so a pattern that changes per
/// row costs nothing to prepare; backtracks only to the last <c>%</c>, so time is bounded by text × pattern length.
/// </summary>
internal static class LikePattern
{
    public const char NoEscape = '\0';

    public static bool? Like(string? text, string? pattern, char escape, bool ignoreCase, Site site)
    {
        if (text is null || pattern is null) return null;
        if (Problem(pattern, escape) is { } problem) throw site.Fail(problem);
        return Matches(text, pattern, escape, ignoreCase);
    }

    /// <summary>Why a pattern cannot be used, or null.</summary>
    public static string? Problem(string pattern, char escape)
    {
        if (escape == NoEscape) return null;
        for (var i = 0; i < pattern.Length; i++)
        {
            if (pattern[i] != escape) continue;
            if (i + 1 == pattern.Length) return $"the LIKE pattern {Values.Show(pattern)} ends with its escape character '{escape}'";
            i++;
        }
        return null;
    }

    public static bool Matches(string text, string pattern, char escape, bool ignoreCase)
    {
        int t = 0, p = 0, starP = -1, starT = 0;
        while (t < text.Length)
        {
            if (p < pattern.Length)
            {
                var c = pattern[p];
                if (c == escape && escape != NoEscape)
                {
                    if (Same(text[t], pattern[p + 1], ignoreCase))
                    {
                        t++;
                        p += 2;
                        continue;
                    }
                }
                else if (c == '%')
                {
                    starP = p++;
                    starT = t;
                    continue;
                }
                else if (c == '_')
                {
                    t += char.IsHighSurrogate(text[t]) && t + 1 < text.Length && char.IsLowSurrogate(text[t + 1]) ? 2 : 1;
                    p++;
                    continue;
                }
                else if (Same(text[t], c, ignoreCase))
                {
                    t++;
                    p++;
                    continue;
                }
            }
            if (starP < 0) return false;
            p = starP + 1; // let the last % swallow one more character and try again
            t = ++starT;
        }
        while (p < pattern.Length && pattern[p] == '%') p++;
        return p == pattern.Length;
    }

    private static bool Same(char a, char b, bool ignoreCase) =>
        a == b || (ignoreCase && char.ToUpperInvariant(a) == char.ToUpperInvariant(b));
}
