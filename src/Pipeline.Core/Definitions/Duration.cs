using System.Globalization;
using System.Text.RegularExpressions;

namespace Pipeline.Core.Definitions;

/// <summary>Parses and prints durations as written in definitions: <c>250ms</c>, <c>30s</c>, <c>5m</c>,
/// <c>1h30m</c>, <c>2d</c>, a bare number of seconds, or <c>hh:mm:ss</c>.</summary>
public static partial class Duration
{
    [GeneratedRegex(@"^\s*(?:(?<d>\d+(?:\.\d+)?)\s*d)?\s*(?:(?<h>\d+(?:\.\d+)?)\s*h)?\s*(?:(?<m>\d+(?:\.\d+)?)\s*m(?!s))?\s*(?:(?<s>\d+(?:\.\d+)?)\s*s)?\s*(?:(?<ms>\d+(?:\.\d+)?)\s*ms)?\s*$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex Units();

    /// <summary>Parses a duration; false for anything else (including negative values).</summary>
    public static bool TryParse(string? text, out TimeSpan value)
    {
        value = default;
        if (string.IsNullOrWhiteSpace(text)) return false;
        text = text.Trim();
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds))
        {
            if (seconds < 0 || double.IsNaN(seconds) || double.IsInfinity(seconds) || seconds > TimeSpan.MaxValue.TotalSeconds) return false;
            value = TimeSpan.FromSeconds(seconds);
            return true;
        }
        if (text.Contains(':'))
            return TimeSpan.TryParseExact(text, [@"hh\:mm\:ss", @"hh\:mm\:ss\.fff", @"d\.hh\:mm\:ss", @"mm\:ss"], CultureInfo.InvariantCulture, out value) && value >= TimeSpan.Zero;
        var match = Units().Match(text);
        if (!match.Success || match.Groups.Values.Skip(1).All(g => !g.Success)) return false;
        double Part(string name) => match.Groups[name].Success ? double.Parse(match.Groups[name].Value, CultureInfo.InvariantCulture) : 0;
        var total = Part("d") * 86400 + Part("h") * 3600 + Part("m") * 60 + Part("s") + Part("ms") / 1000;
        if (total > TimeSpan.MaxValue.TotalSeconds) return false;
        value = TimeSpan.FromSeconds(total);
        return true;
    }

    /// <summary>Prints a duration compactly (<c>1h30m</c>, <c>2.5s</c>, <c>120ms</c>).</summary>
    public static string Format(TimeSpan value)
    {
        if (value < TimeSpan.FromSeconds(1)) return $"{value.TotalMilliseconds.ToString("0.#", CultureInfo.InvariantCulture)}ms";
        if (value < TimeSpan.FromMinutes(1)) return $"{value.TotalSeconds.ToString("0.##", CultureInfo.InvariantCulture)}s";
        var parts = new List<string>();
        if (value.Days > 0) parts.Add($"{value.Days}d");
        if (value.Hours > 0) parts.Add($"{value.Hours}h");
        if (value.Minutes > 0) parts.Add($"{value.Minutes}m");
        if (value.Seconds > 0) parts.Add($"{value.Seconds}s");
        return string.Concat(parts);
    }
}
