namespace Pipeline.Core.Definitions;

/// <summary>Where something stands in a definition file: 1-based line and column.</summary>
/// <param name="File">The file, or null for definitions built from objects or text.</param>
/// <param name="Line">The 1-based line.</param>
/// <param name="Column">The 1-based column.</param>
public sealed record SourceLocation(string? File, int Line, int Column)
{
    /// <inheritdoc />
    public override string ToString() => $"{File ?? "<definition>"}:{Line}:{Column}";
}

/// <summary>One problem in a definition.</summary>
/// <param name="Code">A stable identifier of the kind of problem (for example <c>unknown-key</c>, <c>cycle</c>).</param>
/// <param name="Message">What is wrong, in words, with a suggestion when there is one.</param>
/// <param name="Location">Where, when known.</param>
public sealed record DefinitionError(string Code, string Message, SourceLocation? Location)
{
    /// <inheritdoc />
    public override string ToString() => Location is null ? $"{Message} [{Code}]" : $"{Location}: {Message} [{Code}]";
}

/// <summary>A definition has one or more problems; every one is listed, and nothing ran.</summary>
public sealed class DefinitionException : Exception
{
    /// <summary>Creates the exception from every problem found.</summary>
    public DefinitionException(IReadOnlyList<DefinitionError> errors)
        : base(Describe(errors))
    {
        Errors = errors;
    }

    /// <summary>Every problem found.</summary>
    public IReadOnlyList<DefinitionError> Errors { get; }

    private static string Describe(IReadOnlyList<DefinitionError> errors) =>
        errors.Count == 1
            ? $"The pipeline definition is invalid: {errors[0]}"
            : $"The pipeline definition has {errors.Count} problems:{Environment.NewLine}" +
              string.Join(Environment.NewLine, errors.Select(e => "  " + e));
}

/// <summary>Suggests the closest known name for a misspelt one.</summary>
public static class Suggest
{
    /// <summary>The closest candidate (ignoring case) within an edit distance that grows with the length — one edit
    /// for names of up to four characters, else a third of the length and at least two — or null. A swap of two
    /// neighbouring characters counts as one edit.</summary>
    public static string? Closest(string name, IEnumerable<string> candidates)
    {
        string? best = null;
        var bestDistance = int.MaxValue;
        var lower = name.ToLowerInvariant();
        foreach (var candidate in candidates)
        {
            var d = Distance(lower, candidate.ToLowerInvariant());
            if (d < bestDistance)
            {
                bestDistance = d;
                best = candidate;
            }
        }
        var allowed = name.Length <= 4 ? 1 : Math.Max(2, name.Length / 3);
        return best is not null && bestDistance <= allowed && best != name ? best : null;
    }

    /// <summary>" (did you mean 'x'?)" or "".</summary>
    public static string DidYouMean(string name, IEnumerable<string> candidates) =>
        Closest(name, candidates) is { } c ? $" (did you mean '{c}'?)" : "";

    // Optimal string alignment distance: insertions, deletions, substitutions and swaps of neighbours.
    private static int Distance(string a, string b)
    {
        if (Math.Abs(a.Length - b.Length) > 8) return int.MaxValue;
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++) d[i, 0] = i;
        for (var j = 0; j <= b.Length; j++) d[0, j] = j;
        for (var i = 1; i <= a.Length; i++)
        {
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                    d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
            }
        }
        return d[a.Length, b.Length];
    }
}
