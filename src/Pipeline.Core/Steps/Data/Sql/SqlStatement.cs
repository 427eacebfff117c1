using System.Data.Common;
using System.Text;
using Npgsql;
using NpgsqlTypes;
using Pipeline.Core.Execution;
using Pipeline.Core.Templates;

namespace Pipeline.Core.Steps.Data.Sql;

/// <summary>
/// SQL text written by the user, with its <c>{name}</c> template references turned into bound parameters: the
/// values never become part of the statement. <c>{{</c> and <c>}}</c> are literal braces; a reference inside a
/// quoted literal or identifier is refused (it would be text, not a value); inside a comment it is left alone.
/// </summary>
internal sealed class SqlStatement
{
    private readonly int[] _origin;

    private SqlStatement(string option, string original, string text, int[] origin, IReadOnlyList<string> values)
    {
        Option = option;
        Original = original;
        Text = text;
        _origin = origin;
        Values = values;
    }

    /// <summary>The option the text came from (<c>query</c>).</summary>
    public string Option { get; }

    /// <summary>The text as written.</summary>
    public string Original { get; }

    /// <summary>The text sent: each reference replaced by a parameter placeholder.</summary>
    public string Text { get; }

    /// <summary>The value of each parameter, in placeholder order.</summary>
    public IReadOnlyList<string> Values { get; }

    /// <summary>Reads an option's SQL, binding every template reference it holds.</summary>
    /// <exception cref="StepException">A reference sits inside a literal, or cannot be resolved.</exception>
    public static SqlStatement FromOption(StepContext context, string option, SqlProvider provider)
    {
        var original = context.Options.GetRequiredString(option);
        return Bind(option, original, provider, context.ResolveTemplate);
    }

    public static SqlStatement Bind(string option, string original, SqlProvider provider, Func<TemplateReference, string>? resolve)
    {
        var text = new StringBuilder(original.Length + 16);
        var origin = new List<int>(original.Length + 16);
        var values = new List<string>();
        var indexOf = new Dictionary<string, int>(StringComparer.Ordinal);
        var state = Lexical.Code;
        string? dollarTag = null;
        for (var i = 0; i < original.Length; i++)
        {
            var c = original[i];
            var next = i + 1 < original.Length ? original[i + 1] : '\0';
            switch (state)
            {
                case Lexical.Code:
                    if (c == '\'') state = Lexical.Literal;
                    else if (c == '"') state = Lexical.Identifier;
                    else if (c == '-' && next == '-') state = Lexical.LineComment;
                    else if (c == '/' && next == '*') state = Lexical.BlockComment;
                    else if (c == '$' && provider == SqlProvider.Postgres && DollarTag(original, i) is { } tag)
                    {
                        dollarTag = tag;
                        state = Lexical.Dollar;
                        Append(text, origin, tag, i);
                        i += tag.Length - 1;
                        continue;
                    }
                    break;
                case Lexical.Literal when c == '\'':
                case Lexical.Identifier when c == '"':
                case Lexical.LineComment when c == '\n':
                    state = Lexical.Code; // a doubled quote leaves and re-enters at once
                    break;
                case Lexical.BlockComment when c == '*' && next == '/':
                    Append(text, origin, "*/", i);
                    i++;
                    state = Lexical.Code;
                    continue;
                case Lexical.Dollar when c == '$' && string.CompareOrdinal(original, i, dollarTag, 0, dollarTag!.Length) == 0:
                    Append(text, origin, dollarTag, i);
                    i += dollarTag.Length - 1;
                    state = Lexical.Code;
                    continue;
            }

            if (c == '{' && next == '{' || c == '}' && next == '}')
            {
                text.Append(c);
                origin.Add(i);
                i++;
                continue;
            }
            if (c == '{' && state is not (Lexical.LineComment or Lexical.BlockComment)
                && Template.References(original[i..]) is [{ Offset: 0 } reference, ..])
            {
                var end = i + reference.Text.Length + 1;
                if (state != Lexical.Code)
                {
                    throw new StepException(ErrorKind.Configuration,
                        $"The option '{option}' has '{{{reference.Text}}}' inside a quoted {(state == Lexical.Identifier ? "name" : "text")} at {Position(original, i)}: " +
                        "template values are bound as parameters, so write the reference without quotes (WHERE name = {name}).");
                }
                if (resolve is null)
                    throw new StepException(ErrorKind.Configuration, $"The option '{option}' refers to '{{{reference.Text}}}', but this host resolves no templates for SQL.");
                if (!indexOf.TryGetValue(reference.Text, out var index))
                {
                    string value;
                    try
                    {
                        value = resolve(reference);
                    }
                    catch (TemplateException ex)
                    {
                        throw new StepException(ErrorKind.Configuration, $"The option '{option}': {ex.Message}", ex);
                    }
                    values.Add(value);
                    index = values.Count;
                    indexOf[reference.Text] = index;
                }
                Append(text, origin, Placeholder(provider, index), i);
                i = end;
                continue;
            }
            text.Append(c);
            origin.Add(i);
        }
        return new SqlStatement(option, original, text.ToString(), origin.ToArray(), values);
    }

    /// <summary>Adds the parameters to a command whose text is <see cref="Text"/>.</summary>
    public void AddParameters(DbCommand command)
    {
        for (var i = 0; i < Values.Count; i++)
        {
            if (command is NpgsqlCommand npgsql)
            {
                // Positional ($1) and of unknown type: the server gives the text the type its place needs
                // (WHERE id = $1 compares as a number, not as text).
                npgsql.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Unknown, Value = Values[i] });
            }
            else
            {
                SqlDialect.Add(command, Placeholder(SqlProvider.Sqlite, i + 1), Values[i]);
            }
        }
    }

    /// <summary>"line L, column C" in the text as written, of a 0-based offset in the text sent.</summary>
    public string PositionOfSent(int sentOffset)
    {
        var offset = _origin.Length == 0 ? 0 : _origin[Math.Clamp(sentOffset, 0, _origin.Length - 1)];
        return Position(Original, offset);
    }

    /// <summary>"line L, column C" of a 0-based offset.</summary>
    public static string Position(string text, int offset)
    {
        var line = 1;
        var column = 1;
        for (var i = 0; i < offset && i < text.Length; i++)
        {
            if (text[i] == '\n')
            {
                line++;
                column = 1;
            }
            else
            {
                column++;
            }
        }
        return $"line {line}, column {column}";
    }

    private static string Placeholder(SqlProvider provider, int index) => provider == SqlProvider.Postgres ? "$" + index : "@p" + index;

    private static void Append(StringBuilder text, List<int> origin, string value, int at)
    {
        text.Append(value);
        for (var k = 0; k < value.Length; k++) origin.Add(at);
    }

    // $$ or $tag$ opens a dollar-quoted string in PostgreSQL; $1 is a parameter.
    private static string? DollarTag(string text, int start)
    {
        var i = start + 1;
        while (i < text.Length && (char.IsLetterOrDigit(text[i]) || text[i] == '_'))
        {
            if (i == start + 1 && char.IsDigit(text[i])) return null;
            i++;
        }
        return i < text.Length && text[i] == '$' ? text[start..(i + 1)] : null;
    }

    private enum Lexical
    {
        Code,
        Literal,
        Identifier,
        LineComment,
        BlockComment,
        Dollar,
    }
}
