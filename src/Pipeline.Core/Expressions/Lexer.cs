using System.Text;

namespace Pipeline.Core.Expressions;

internal enum TokenKind
{
    End,
    Number,
    String,
    Name,
    QuotedName,
    Symbol,
}

/// <summary>One token. <see cref="Text"/> is the symbol, the number as written, the string's value, or the name
/// (unquoted). <see cref="Start"/> and <see cref="End"/> are offsets in the expression, End exclusive.</summary>
internal readonly record struct Token(TokenKind Kind, string Text, int Start, int End)
{
    public bool IsSymbol(string symbol) => Kind == TokenKind.Symbol && Text == symbol;

    /// <summary>Keywords are unquoted names, compared case-insensitively; a quoted name is never a keyword.</summary>
    public bool IsKeyword(string keyword) => Kind == TokenKind.Name && string.Equals(Text, keyword, StringComparison.OrdinalIgnoreCase);
}

/// <summary>Splits an expression into tokens, failing at the exact column of anything it cannot read.</summary>
internal static class Lexer
{
    private static readonly string[] TwoCharSymbols = ["<=", ">=", "<>", "!=", "==", "||"];

    public static List<Token> Tokenize(string text)
    {
        var tokens = new List<Token>();
        var i = 0;
        while (true)
        {
            while (i < text.Length && char.IsWhiteSpace(text[i])) i++;
            if (i >= text.Length)
            {
                tokens.Add(new Token(TokenKind.End, "", text.Length, text.Length));
                return tokens;
            }
            var c = text[i];
            var start = i;
            if (char.IsAsciiDigit(c) || (c == '.' && i + 1 < text.Length && char.IsAsciiDigit(text[i + 1])))
            {
                i = ScanNumber(text, i);
                tokens.Add(new Token(TokenKind.Number, text[start..i], start, i));
            }
            else if (char.IsLetter(c) || c == '_')
            {
                while (i < text.Length && (char.IsLetterOrDigit(text[i]) || text[i] == '_')) i++;
                tokens.Add(new Token(TokenKind.Name, text[start..i], start, i));
            }
            else if (c == '\'')
            {
                var value = ScanQuoted(text, ref i, '\'', "unterminated string starting");
                tokens.Add(new Token(TokenKind.String, value, start, i));
            }
            else if (c == '"' || c == '[')
            {
                var value = ScanQuoted(text, ref i, c == '"' ? '"' : ']', "unterminated quoted name starting");
                if (value.Length == 0)
                    throw new ExpressionException(ExpressionErrorKind.Syntax, "empty quoted name", text, start + 1);
                tokens.Add(new Token(TokenKind.QuotedName, value, start, i));
            }
            else if (i + 1 < text.Length && Array.IndexOf(TwoCharSymbols, text.Substring(i, 2)) >= 0)
            {
                tokens.Add(new Token(TokenKind.Symbol, text.Substring(i, 2), start, i + 2));
                i += 2;
            }
            else if ("=<>+-*/%(),.".Contains(c))
            {
                tokens.Add(new Token(TokenKind.Symbol, c.ToString(), start, i + 1));
                i++;
            }
            else
            {
                throw new ExpressionException(ExpressionErrorKind.Syntax, UnexpectedCharacter(text, i), text, start + 1);
            }
        }
    }

    private static int ScanNumber(string text, int i)
    {
        while (i < text.Length && char.IsAsciiDigit(text[i])) i++;
        if (i + 1 < text.Length && text[i] == '.' && char.IsAsciiDigit(text[i + 1]))
        {
            i++;
            while (i < text.Length && char.IsAsciiDigit(text[i])) i++;
        }
        if (i < text.Length && (text[i] == 'e' || text[i] == 'E'))
        {
            var j = i + 1;
            if (j < text.Length && (text[j] == '+' || text[j] == '-')) j++;
            if (j < text.Length && char.IsAsciiDigit(text[j]))
            {
                while (j < text.Length && char.IsAsciiDigit(text[j])) j++;
                i = j;
            }
        }
        return i;
    }

    /// <summary>Reads a quoted string or name; the closing quote doubled stands for itself.</summary>
    private static string ScanQuoted(string text, ref int i, char close, string unterminated)
    {
        var start = i;
        var value = new StringBuilder();
        i++;
        while (true)
        {
            if (i >= text.Length)
                throw new ExpressionException(ExpressionErrorKind.Syntax, unterminated, text, start + 1);
            if (text[i] == close)
            {
                if (i + 1 < text.Length && text[i + 1] == close)
                {
                    value.Append(close);
                    i += 2;
                    continue;
                }
                i++;
                return value.ToString();
            }
            value.Append(text[i++]);
        }
    }

    private static string UnexpectedCharacter(string text, int i)
    {
        var c = text[i];
        var hint = c switch
        {
            '&' => "; write AND",
            '|' => "; write OR, or || to join text",
            '!' => "; write NOT, or != for 'not equal'",
            '`' => "; quote names with \"double quotes\" or [brackets]",
            _ => "",
        };
        var shown = char.IsControl(c) ? $"U+{(int)c:X4}" : $"'{c}'";
        return $"unexpected character {shown}{hint}";
    }
}
