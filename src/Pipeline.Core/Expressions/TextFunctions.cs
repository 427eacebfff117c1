using System.Globalization;
using System.Text.RegularExpressions;

namespace Pipeline.Core.Expressions;

/// <summary>Text functions at runtime. NULL in gives NULL out, except <c>concat</c>, which skips NULLs. Positions are
/// 1-based and count UTF-16 characters.</summary>
internal static class TextFunctions
{
    /// <summary>How long one regular expression may run on one value before it is an error rather than a hang.</summary>
    public static readonly TimeSpan RegexTimeout = TimeSpan.FromSeconds(2);

    public static string? ConcatOperator(string? a, string? b) => a is null || b is null ? null : string.Concat(a, b);

    public static string ConcatSkippingNulls(string? a, string? b) => string.Concat(a, b);

    public static string? Lower(string? s, CultureInfo culture) => s?.ToLower(culture);

    public static string? Upper(string? s, CultureInfo culture) => s?.ToUpper(culture);

    public static string? Trim(string? s) => s?.Trim();

    public static string? TrimStart(string? s) => s?.TrimStart();

    public static string? TrimEnd(string? s) => s?.TrimEnd();

    public static Numeric? Length(string? s) => s is null ? null : new Numeric(s.Length);

    /// <summary>substr(s, start[, length]) as in PostgreSQL: characters from start to start+length, clipped to the
    /// text, so a start before 1 shortens the result.</summary>
    public static string? Substring(string? s, Numeric? start, Numeric? length, bool hasLength, Site site)
    {
        if (s is null || start is null || (hasLength && length is null)) return null;
        var from = Whole(start.Value, "the start", site);
        long to;
        if (hasLength)
        {
            var n = Whole(length!.Value, "the length", site);
            if (n < 0) throw site.Fail($"the length {n} is negative");
            to = from > long.MaxValue - n ? long.MaxValue : from + n;
        }
        else
        {
            to = long.MaxValue;
        }
        var first = Math.Max(from, 1) - 1;
        var last = Math.Min(to - 1, s.Length); // exclusive, 0-based
        return last <= first ? "" : s.Substring((int)first, (int)(last - first));
    }

    public static string? Replace(string? s, string? from, string? to)
    {
        if (s is null || from is null || to is null) return null;
        return from.Length == 0 ? s : s.Replace(from, to, StringComparison.Ordinal);
    }

    public static bool? StartsWith(string? s, string? prefix) => s is null || prefix is null ? null : s.StartsWith(prefix, StringComparison.Ordinal);

    public static bool? EndsWith(string? s, string? suffix) => s is null || suffix is null ? null : s.EndsWith(suffix, StringComparison.Ordinal);

    public static bool? Contains(string? s, string? part) => s is null || part is null ? null : s.Contains(part, StringComparison.Ordinal);

    /// <summary>The first n characters; with n negative, all but the last −n.</summary>
    public static string? Left(string? s, Numeric? count, Site site)
    {
        if (s is null || count is null) return null;
        var n = Whole(count.Value, "the length", site);
        var keep = n >= 0 ? Math.Min(n, s.Length) : Math.Max(s.Length + n, 0);
        return s[..(int)keep];
    }

    /// <summary>The last n characters; with n negative, all but the first −n.</summary>
    public static string? Right(string? s, Numeric? count, Site site)
    {
        if (s is null || count is null) return null;
        var n = Whole(count.Value, "the length", site);
        var keep = n >= 0 ? Math.Min(n, s.Length) : Math.Max(s.Length + n, 0);
        return s[(s.Length - (int)keep)..];
    }

    /// <summary>Pads on the left to a length with the fill repeated; text longer than the length is cut to it.</summary>
    public static string? PadLeft(string? s, Numeric? length, string? fill, Site site) => Pad(s, length, fill, left: true, site);

    public static string? PadRight(string? s, Numeric? length, string? fill, Site site) => Pad(s, length, fill, left: false, site);

    private static string? Pad(string? s, Numeric? length, string? fill, bool left, Site site)
    {
        if (s is null || length is null || fill is null) return null;
        var n = Whole(length.Value, "the length", site);
        if (n <= 0) return "";
        if (n > int.MaxValue / 2) throw site.Fail($"the length {n} is too large");
        if (s.Length >= n) return s[..(int)n];
        if (fill.Length == 0) return s;
        var padding = new char[n - s.Length];
        for (var i = 0; i < padding.Length; i++) padding[i] = fill[i % fill.Length];
        return left ? string.Concat(new string(padding), s) : string.Concat(s, new string(padding));
    }

    public static bool? RegexLike(string? s, Regex regex, Site site)
    {
        if (s is null) return null;
        try { return regex.IsMatch(s); }
        catch (RegexMatchTimeoutException) { throw site.Fail($"the regular expression took longer than {RegexTimeout.TotalSeconds}s on {Values.Show(s)}"); }
    }

    /// <summary>A pattern that is not a constant: Regex's own cache keeps recent patterns compiled.</summary>
    public static bool? RegexLikeDynamic(string? s, string? pattern, RegexOptions options, Site site)
    {
        if (s is null || pattern is null) return null;
        try { return Regex.IsMatch(s, pattern, options, RegexTimeout); }
        catch (ArgumentException e) { throw site.Fail($"invalid regular expression {Values.Show(pattern)}: {e.Message}"); }
        catch (RegexMatchTimeoutException) { throw site.Fail($"the regular expression took longer than {RegexTimeout.TotalSeconds}s on {Values.Show(s)}"); }
    }

    /// <summary>regexp_like flags: i (ignore case), m (^ and $ at line ends), s (. matches newline), x (ignore
    /// pattern white space), c (case-sensitive, the default).</summary>
    public static RegexOptions? ParseRegexFlags(string flags)
    {
        var options = RegexOptions.CultureInvariant;
        foreach (var f in flags)
        {
            switch (f)
            {
                case 'i': options |= RegexOptions.IgnoreCase; break;
                case 'c': options &= ~RegexOptions.IgnoreCase; break;
                case 'm': options |= RegexOptions.Multiline; break;
                case 's': options |= RegexOptions.Singleline; break;
                case 'x': options |= RegexOptions.IgnorePatternWhitespace; break;
                default: return null;
            }
        }
        return options;
    }

    /// <summary>to_string(value, format): a .NET format string in the given culture; a date formats as its midnight.</summary>
    public static string? Format(object? value, string? format, CultureInfo culture, Site site)
    {
        if (value is null || format is null) return null;
        try
        {
            return value switch
            {
                DateOnly d => d.ToDateTime(TimeOnly.MinValue).ToString(format, culture),
                IFormattable f => f.ToString(format, culture),
                _ => Values.ToText(value),
            };
        }
        catch (FormatException)
        {
            throw site.Fail($"invalid format {Values.Show(format)} for {Values.Show(value)}");
        }
    }

    /// <summary>A numeric argument that must be a whole number (a position, a length, a count).</summary>
    public static long Whole(Numeric n, string what, Site site)
    {
        if (!n.IsWhole) throw site.Fail($"{what} {n} is not a whole number");
        try { return decimal.ToInt64(n.ToDecimal()); }
        catch (OverflowException) { throw site.Fail($"{what} {n} is out of range"); }
    }
}
