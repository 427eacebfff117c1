namespace Pipeline.Core.Expressions;

/// <summary>"Did you mean" for misspelt names: the candidates within a small edit distance, closest first.</summary>
internal static class NameSuggestions
{
    public static IReadOnlyList<string> Closest(string name, IEnumerable<string> candidates, int max = 3)
    {
        var limit = Math.Max(1, Math.Min(3, name.Length / 3));
        return candidates
            .Distinct(StringComparer.OrdinalIgnoreCase)
            .Select(c => (Name: c, Distance: Distance(name, c)))
            .Where(c => c.Distance <= limit && c.Distance < c.Name.Length)
            .OrderBy(c => c.Distance).ThenBy(c => c.Name, StringComparer.OrdinalIgnoreCase)
            .Take(max)
            .Select(c => c.Name)
            .ToArray();
    }

    /// <summary>"; did you mean 'a' or 'b'?" or "".</summary>
    public static string Hint(string name, IEnumerable<string> candidates, Func<string, string>? quote = null)
    {
        quote ??= c => $"'{c}'";
        var close = Closest(name, candidates);
        return close.Count switch
        {
            0 => "",
            1 => $"; did you mean {quote(close[0])}?",
            _ => $"; did you mean {string.Join(", ", close.Take(close.Count - 1).Select(quote))} or {quote(close[^1])}?",
        };
    }

    /// <summary>Edit distance ignoring case, where swapping two neighbours counts as one edit (adn → and).</summary>
    public static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++) d[i, 0] = i;
        for (var j = 0; j <= b.Length; j++) d[0, j] = j;
        for (var i = 1; i <= a.Length; i++)
        {
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = Same(a[i - 1], b[j - 1]) ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && Same(a[i - 1], b[j - 2]) && Same(a[i - 2], b[j - 1]))
                    d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
            }
        }
        return d[a.Length, b.Length];
    }

    private static bool Same(char x, char y) => char.ToUpperInvariant(x) == char.ToUpperInvariant(y);
}
