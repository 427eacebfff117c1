using System.Text;
using System.Text.RegularExpressions;

namespace Pipeline.RemoteFs;

/// <summary>
/// A compiled glob: <c>*</c> matches within a segment, <c>**</c> across segments, <c>?</c> one character,
/// <c>[abc]</c>/<c>[!abc]</c> a set, <c>{a,b}</c> alternatives. Matching is against '/'-separated relative paths.
/// </summary>
public sealed class Glob
{
    private readonly Regex _regex;

    private Glob(string pattern, Regex regex)
    {
        Pattern = pattern;
        _regex = regex;
    }

    /// <summary>The pattern as written.</summary>
    public string Pattern { get; }

    /// <summary>Whether the pattern has any wildcard at all.</summary>
    public static bool HasWildcards(string text) => text.IndexOfAny(['*', '?', '[', '{']) >= 0;

    /// <summary>Compiles a pattern.</summary>
    /// <param name="pattern">The glob.</param>
    /// <param name="ignoreCase">Match case-insensitively (Windows and SMB semantics).</param>
    /// <exception cref="ArgumentException">The pattern is malformed (an unclosed '[' or '{').</exception>
    public static Glob Compile(string pattern, bool ignoreCase = false)
    {
        var sb = new StringBuilder("^");
        var braces = 0;
        for (var i = 0; i < pattern.Length; i++)
        {
            var c = pattern[i];
            switch (c)
            {
                case '*':
                    if (i + 1 < pattern.Length && pattern[i + 1] == '*')
                    {
                        i++;
                        if (i + 1 < pattern.Length && pattern[i + 1] == '/')
                        {
                            i++;
                            sb.Append("(?:.*/)?");
                        }
                        else
                        {
                            sb.Append(".*");
                        }
                    }
                    else
                    {
                        sb.Append("[^/]*");
                    }
                    break;
                case '?':
                    sb.Append("[^/]");
                    break;
                case '[':
                    var close = pattern.IndexOf(']', i + 2 <= pattern.Length ? i + 2 : i + 1);
                    if (close < 0) throw new ArgumentException($"The glob '{pattern}' has an unclosed '[' at position {i + 1}.", nameof(pattern));
                    var set = pattern[(i + 1)..close];
                    sb.Append('[');
                    if (set.StartsWith('!') || set.StartsWith('^'))
                    {
                        sb.Append('^');
                        set = set[1..];
                    }
                    sb.Append(set.Replace("\\", "\\\\").Replace("[", "\\["));
                    sb.Append(']');
                    i = close;
                    break;
                case '{':
                    braces++;
                    sb.Append("(?:");
                    break;
                case '}' when braces > 0:
                    braces--;
                    sb.Append(')');
                    break;
                case ',' when braces > 0:
                    sb.Append('|');
                    break;
                case '\\' when i + 1 < pattern.Length:
                    sb.Append(Regex.Escape(pattern[++i].ToString()));
                    break;
                default:
                    sb.Append(Regex.Escape(c.ToString()));
                    break;
            }
        }
        if (braces > 0) throw new ArgumentException($"The glob '{pattern}' has an unclosed '{{'.", nameof(pattern));
        sb.Append('$');
        var options = RegexOptions.CultureInvariant | (ignoreCase ? RegexOptions.IgnoreCase : 0);
        return new Glob(pattern, new Regex(sb.ToString(), options));
    }

    /// <summary>Whether a relative path matches. A pattern without '/' is matched against the name alone.</summary>
    public bool IsMatch(string relativePath)
    {
        var path = relativePath.Replace('\\', '/').TrimStart('/');
        if (!Pattern.Contains('/'))
            path = RemotePath.GetName(path);
        return _regex.IsMatch(path);
    }
}
