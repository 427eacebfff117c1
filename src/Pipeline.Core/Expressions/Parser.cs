using System.Globalization;

namespace Pipeline.Core.Expressions;

/// <summary>
/// Recursive descent over the tokens, with PostgreSQL's precedence from loosest to tightest: OR; AND; NOT; IS;
/// comparison (one, they do not chain); IN, LIKE, BETWEEN; ||; + −; * / %; unary − +; primaries.
/// </summary>
internal sealed class Parser
{
    /// <summary>Deeper nesting than this is refused, so a pathological expression cannot exhaust the stack.</summary>
    public const int MaxDepth = 256;

    private static readonly string[] Keywords =
    [
        "AND", "OR", "NOT", "IS", "NULL", "TRUE", "FALSE", "IN", "LIKE", "ILIKE", "ESCAPE", "BETWEEN",
        "CASE", "WHEN", "THEN", "ELSE", "END", "CAST", "AS",
    ];

    private static readonly string[] Comparisons = ["=", "==", "!=", "<>", "<", "<=", ">", ">="];

    private readonly string _text;
    private readonly List<Token> _tokens;
    private int _position;
    private int _depth;

    private Parser(string text, List<Token> tokens)
    {
        _text = text;
        _tokens = tokens;
    }

    public static Syntax Parse(string text)
    {
        var parser = new Parser(text, Lexer.Tokenize(text));
        if (parser.Peek.Kind == TokenKind.End)
            throw new ExpressionException(ExpressionErrorKind.Syntax, "empty expression", text, 1);
        var syntax = parser.ParseOr();
        if (parser.Peek.Kind != TokenKind.End) throw parser.Unexpected(parser.Peek);
        return syntax;
    }

    public static bool IsKeyword(string name) => Keywords.Contains(name, StringComparer.OrdinalIgnoreCase);

    private Token Peek => _tokens[_position];

    private Token PeekAt(int ahead) => _tokens[Math.Min(_position + ahead, _tokens.Count - 1)];

    private Token Next() => _tokens[_position++];

    private Syntax ParseOr()
    {
        Enter();
        var left = ParseAnd();
        var chain = 0;
        while (Peek.IsKeyword("OR"))
        {
            var op = Next();
            Deeper(ref chain, op);
            var right = ParseAnd();
            left = new BinarySyntax(left.Start, right.End, BinaryOperator.Or, op.Start, left, right);
        }
        Unchain(chain);
        Leave();
        return left;
    }

    private Syntax ParseAnd()
    {
        var left = ParseNot();
        var chain = 0;
        while (Peek.IsKeyword("AND"))
        {
            var op = Next();
            Deeper(ref chain, op);
            var right = ParseNot();
            left = new BinarySyntax(left.Start, right.End, BinaryOperator.And, op.Start, left, right);
        }
        Unchain(chain);
        return left;
    }

    private Syntax ParseNot()
    {
        if (!Peek.IsKeyword("NOT")) return ParseIs();
        var not = Next();
        Enter();
        var operand = ParseNot();
        Leave();
        return new UnarySyntax(not.Start, operand.End, UnaryOperator.Not, operand);
    }

    /// <summary>x IS [NOT] NULL|TRUE|FALSE, looser than comparison as in PostgreSQL: <c>a &gt; 5 IS NOT TRUE</c>.</summary>
    private Syntax ParseIs()
    {
        var left = ParseComparison();
        while (Peek.IsKeyword("IS"))
        {
            Next();
            var negated = false;
            if (Peek.IsKeyword("NOT"))
            {
                Next();
                negated = true;
            }
            var what = Next();
            var test = what.IsKeyword("NULL") ? IsTest.Null
                : what.IsKeyword("TRUE") ? IsTest.True
                : what.IsKeyword("FALSE") ? IsTest.False
                : throw Error(what.Start, $"expected NULL, TRUE or FALSE after IS{(negated ? " NOT" : "")}, found {Describe(what)}", ExpressionErrorKind.Syntax);
            left = new IsSyntax(left.Start, what.End, left, test, negated);
        }
        return left;
    }

    /// <summary>One comparison; they do not chain (1 &lt; x &lt; 5 is an error, not (1 &lt; x) &lt; 5).</summary>
    private Syntax ParseComparison()
    {
        var left = ParseMembership();
        if (!IsComparison(Peek)) return left;
        var op = Next();
        var right = ParseMembership();
        if (IsComparison(Peek))
            throw Error(Peek.Start, $"unexpected '{Peek.Text}'; comparisons do not chain: join them with AND, or use BETWEEN", ExpressionErrorKind.Syntax);
        return new BinarySyntax(left.Start, right.End, ComparisonOperator(op.Text), op.Start, left, right);
    }

    /// <summary>[NOT] IN, [NOT] LIKE / ILIKE, [NOT] BETWEEN: tighter than comparison, as in PostgreSQL.</summary>
    private Syntax ParseMembership()
    {
        var left = ParseConcat();
        var t = Peek;
        var not = false;
        if (t.IsKeyword("NOT"))
        {
            var after = PeekAt(1);
            if (!(after.IsKeyword("IN") || after.IsKeyword("LIKE") || after.IsKeyword("ILIKE") || after.IsKeyword("BETWEEN")))
                throw Error(after.Start, $"expected IN, LIKE or BETWEEN after NOT, found {Describe(after)}", ExpressionErrorKind.Syntax);
            Next();
            not = true;
            t = Peek;
        }
        if (t.IsKeyword("IN"))
        {
            Next();
            var open = Expect("(", "after IN");
            var items = new List<Syntax>();
            if (Peek.IsSymbol(")"))
                throw Error(Peek.Start, "IN needs at least one value", ExpressionErrorKind.Syntax);
            Enter();
            do
            {
                items.Add(ParseOr());
            }
            while (Accept(","));
            Leave();
            var close = ExpectClosing(open);
            return new InSyntax(left.Start, close.End, left, items, not, t.Start);
        }
        if (t.IsKeyword("LIKE") || t.IsKeyword("ILIKE"))
        {
            Next();
            var pattern = ParseConcat();
            Syntax? escape = null;
            if (Peek.IsKeyword("ESCAPE"))
            {
                Next();
                escape = ParseConcat();
            }
            return new LikeSyntax(left.Start, (escape ?? pattern).End, left, pattern, escape, not, t.IsKeyword("ILIKE"), t.Start);
        }
        if (t.IsKeyword("BETWEEN"))
        {
            Next();
            var low = ParseConcat();
            if (!Peek.IsKeyword("AND"))
                throw Error(Peek.Start, $"expected AND in BETWEEN, found {Describe(Peek)}", ExpressionErrorKind.Syntax);
            Next();
            var high = ParseConcat();
            return new BetweenSyntax(left.Start, high.End, left, low, high, not);
        }
        return left;
    }

    private Syntax ParseConcat()
    {
        var left = ParseAdditive();
        var chain = 0;
        while (Peek.IsSymbol("||"))
        {
            var op = Next();
            Deeper(ref chain, op);
            var right = ParseAdditive();
            left = new BinarySyntax(left.Start, right.End, BinaryOperator.Concat, op.Start, left, right);
        }
        Unchain(chain);
        return left;
    }

    private Syntax ParseAdditive()
    {
        var left = ParseMultiplicative();
        var chain = 0;
        while (Peek.IsSymbol("+") || Peek.IsSymbol("-"))
        {
            var op = Next();
            Deeper(ref chain, op);
            var right = ParseMultiplicative();
            left = new BinarySyntax(left.Start, right.End, op.Text == "+" ? BinaryOperator.Add : BinaryOperator.Subtract, op.Start, left, right);
        }
        Unchain(chain);
        return left;
    }

    private Syntax ParseMultiplicative()
    {
        var left = ParseUnary();
        var chain = 0;
        while (Peek.IsSymbol("*") || Peek.IsSymbol("/") || Peek.IsSymbol("%"))
        {
            var op = Next();
            Deeper(ref chain, op);
            var right = ParseUnary();
            var kind = op.Text switch { "*" => BinaryOperator.Multiply, "/" => BinaryOperator.Divide, _ => BinaryOperator.Modulo };
            left = new BinarySyntax(left.Start, right.End, kind, op.Start, left, right);
        }
        Unchain(chain);
        return left;
    }

    private Syntax ParseUnary()
    {
        if (!Peek.IsSymbol("-") && !Peek.IsSymbol("+")) return ParsePrimary();
        var sign = Next();
        if (Peek.Kind == TokenKind.Number && sign.Text == "-")
        {
            var number = Next();
            return NumberLiteral(number, sign.Start, negative: true);
        }
        Enter();
        var operand = ParseUnary();
        Leave();
        return new UnarySyntax(sign.Start, operand.End, sign.Text == "-" ? UnaryOperator.Negate : UnaryOperator.Plus, operand);
    }

    private Syntax ParsePrimary()
    {
        var t = Peek;
        switch (t.Kind)
        {
            case TokenKind.Number:
                Next();
                return NumberLiteral(t, t.Start, negative: false);
            case TokenKind.String:
                Next();
                return new LiteralSyntax(t.Start, t.End, t.Text, ValueKind.String);
            case TokenKind.QuotedName:
                return ParseName();
            case TokenKind.Symbol when t.Text == "(":
            {
                Next();
                var inner = ParseOr();
                ExpectClosing(t);
                return inner;
            }
            case TokenKind.Name:
                if (t.IsKeyword("TRUE") || t.IsKeyword("FALSE"))
                {
                    Next();
                    return new LiteralSyntax(t.Start, t.End, t.IsKeyword("TRUE"), ValueKind.Boolean);
                }
                if (t.IsKeyword("NULL"))
                {
                    Next();
                    return new LiteralSyntax(t.Start, t.End, null, ValueKind.Null);
                }
                if (t.IsKeyword("CASE")) return ParseCase();
                if (t.IsKeyword("CAST")) return ParseCast();
                if ((t.IsKeyword("DATE") || t.IsKeyword("TIMESTAMP")) && PeekAt(1).Kind == TokenKind.String) return TemporalLiteral();
                if (IsKeyword(t.Text)) throw Error(t.Start, $"unexpected {Describe(t)}; to use it as a name, quote it: \"{t.Text}\"", ExpressionErrorKind.Syntax);
                if (PeekAt(1).IsSymbol("(")) return ParseCall();
                return ParseName();
            default:
                throw Unexpected(t);
        }
    }

    /// <summary>A name, possibly dotted (<c>steps.extract.status</c>); any part may be quoted.</summary>
    private Syntax ParseName()
    {
        var first = Next();
        var parts = new List<string> { first.Text };
        var end = first.End;
        var quoted = first.Kind == TokenKind.QuotedName;
        while (Peek.IsSymbol("."))
        {
            var dot = Next();
            var part = Peek;
            if (part.Kind is not (TokenKind.Name or TokenKind.QuotedName))
                throw Error(part.Kind == TokenKind.End ? dot.Start : part.Start, $"expected a name after '.', found {Describe(part)}", ExpressionErrorKind.Syntax);
            Next();
            parts.Add(part.Text);
            quoted |= part.Kind == TokenKind.QuotedName;
            end = part.End;
        }
        return new NameSyntax(first.Start, end, string.Join('.', parts), quoted);
    }

    private Syntax ParseCall()
    {
        var name = Next();
        var open = Next();
        var arguments = new List<Syntax>();
        if (!Peek.IsSymbol(")"))
        {
            Enter();
            do
            {
                arguments.Add(ParseOr());
            }
            while (Accept(","));
            Leave();
        }
        var close = ExpectClosing(open);
        return new CallSyntax(name.Start, close.End, name.Text, arguments);
    }

    private Syntax ParseCase()
    {
        var start = Next();
        Enter();
        Syntax? operand = null;
        if (!Peek.IsKeyword("WHEN")) operand = ParseOr();
        if (!Peek.IsKeyword("WHEN"))
            throw Error(Peek.Start, $"expected WHEN, found {Describe(Peek)}", ExpressionErrorKind.Syntax);
        var branches = new List<CaseBranch>();
        while (Peek.IsKeyword("WHEN"))
        {
            Next();
            var when = ParseOr();
            if (!Peek.IsKeyword("THEN"))
                throw Error(Peek.Start, $"expected THEN, found {Describe(Peek)}", ExpressionErrorKind.Syntax);
            Next();
            branches.Add(new CaseBranch(when, ParseOr()));
        }
        Syntax? otherwise = null;
        if (Peek.IsKeyword("ELSE"))
        {
            Next();
            otherwise = ParseOr();
        }
        if (!Peek.IsKeyword("END"))
        {
            if (Peek.Kind == TokenKind.End)
                throw Error(start.Start, "CASE without END", ExpressionErrorKind.Syntax);
            throw Error(Peek.Start, $"expected WHEN, ELSE or END, found {Describe(Peek)}", ExpressionErrorKind.Syntax);
        }
        var end = Next();
        Leave();
        return new CaseSyntax(start.Start, end.End, operand, branches, otherwise);
    }

    private Syntax ParseCast()
    {
        var cast = Next();
        var open = Expect("(", "after CAST");
        Enter();
        var operand = ParseOr();
        Leave();
        if (!Peek.IsKeyword("AS"))
            throw Error(Peek.Start, $"expected AS in CAST, found {Describe(Peek)}", ExpressionErrorKind.Syntax);
        Next();
        var type = Next();
        if (type.Kind != TokenKind.Name)
            throw Error(type.Start, $"expected a type name after AS, found {Describe(type)}", ExpressionErrorKind.Syntax);
        if (!Casts.TypeNames.TryGetValue(type.Text, out var target))
        {
            var hint = NameSuggestions.Hint(type.Text, Casts.TypeNames.Keys);
            throw Error(type.Start, $"unknown type '{type.Text}'{hint} (types: string, integer, decimal, double, boolean, date, timestamp)", ExpressionErrorKind.Name);
        }
        int? scale = null;
        if (Peek.IsSymbol("("))
        {
            var typeOpen = Next();
            if (target != ValueKind.Decimal && target != ValueKind.String)
                throw Error(typeOpen.Start, $"unexpected '('; only decimal(precision, scale) and varchar(length) take sizes", ExpressionErrorKind.Syntax);
            var sizes = new List<int>();
            do
            {
                var size = Next();
                if (size.Kind != TokenKind.Number || !int.TryParse(size.Text, NumberStyles.None, CultureInfo.InvariantCulture, out var value))
                    throw Error(size.Start, $"expected a whole number, found {Describe(size)}", ExpressionErrorKind.Syntax);
                sizes.Add(value);
            }
            while (Accept(","));
            ExpectClosing(typeOpen);
            if (target == ValueKind.Decimal && sizes.Count > 1)
            {
                if (sizes.Count > 2 || sizes[1] > 28)
                    throw Error(typeOpen.Start, "decimal takes (precision[, scale]) with a scale of at most 28", ExpressionErrorKind.Syntax);
                scale = sizes[1];
            }
        }
        var close = ExpectClosing(open);
        return new CastSyntax(cast.Start, close.End, operand, target, type.Text, type.Start, scale);
    }

    private Syntax TemporalLiteral()
    {
        var keyword = Next();
        var value = Next();
        var inv = CultureInfo.InvariantCulture;
        if (keyword.IsKeyword("DATE"))
        {
            if (!DateOnly.TryParseExact(value.Text, "yyyy-MM-dd", inv, DateTimeStyles.None, out var date))
                throw Error(value.Start, $"invalid date {Values.Show(value.Text)}; write DATE 'yyyy-MM-dd'", ExpressionErrorKind.Value);
            return new LiteralSyntax(keyword.Start, value.End, date, ValueKind.Date);
        }
        if (!Values.TryParseTimestamp(value.Text, out var timestamp))
            throw Error(value.Start, $"invalid timestamp {Values.Show(value.Text)}; write TIMESTAMP 'yyyy-MM-ddTHH:mm:ss' with an optional fraction and Z or ±hh:mm", ExpressionErrorKind.Value);
        return new LiteralSyntax(keyword.Start, value.End, timestamp, ValueKind.Timestamp);
    }

    /// <summary>Integers are long (decimal when too large for long), a decimal point makes a decimal, an exponent a double.</summary>
    private LiteralSyntax NumberLiteral(Token number, int start, bool negative)
    {
        var text = negative ? "-" + number.Text : number.Text;
        var inv = CultureInfo.InvariantCulture;
        if (number.Text.Contains('e') || number.Text.Contains('E'))
        {
            if (double.TryParse(text, NumberStyles.Float, inv, out var d) && double.IsFinite(d))
                return new LiteralSyntax(start, number.End, new Numeric(d), ValueKind.Double);
        }
        else if (number.Text.Contains('.'))
        {
            if (decimal.TryParse(text, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, inv, out var m))
                return new LiteralSyntax(start, number.End, new Numeric(m), ValueKind.Decimal);
        }
        else if (long.TryParse(text, NumberStyles.AllowLeadingSign, inv, out var l))
        {
            return new LiteralSyntax(start, number.End, new Numeric(l), ValueKind.Integer);
        }
        else if (decimal.TryParse(text, NumberStyles.AllowLeadingSign, inv, out var big))
        {
            return new LiteralSyntax(start, number.End, new Numeric(big), ValueKind.Decimal);
        }
        throw Error(start, $"the number {text} is out of range", ExpressionErrorKind.Value);
    }

    private static bool IsComparison(Token t) => t.Kind == TokenKind.Symbol && Comparisons.Contains(t.Text);

    private static BinaryOperator ComparisonOperator(string symbol) => symbol switch
    {
        "=" or "==" => BinaryOperator.Equal,
        "!=" or "<>" => BinaryOperator.NotEqual,
        "<" => BinaryOperator.Less,
        "<=" => BinaryOperator.LessOrEqual,
        ">" => BinaryOperator.Greater,
        _ => BinaryOperator.GreaterOrEqual,
    };

    private bool Accept(string symbol)
    {
        if (!Peek.IsSymbol(symbol)) return false;
        Next();
        return true;
    }

    private Token Expect(string symbol, string where)
    {
        if (!Peek.IsSymbol(symbol))
            throw Error(Peek.Start, $"expected '{symbol}' {where}, found {Describe(Peek)}", ExpressionErrorKind.Syntax);
        return Next();
    }

    /// <summary>The ')' for an open '('; at the end of the text the error points at the '(' left open.</summary>
    private Token ExpectClosing(Token open)
    {
        if (Peek.IsSymbol(")")) return Next();
        if (Peek.Kind == TokenKind.End)
            throw Error(open.Start, "unclosed '('", ExpressionErrorKind.Syntax);
        throw Error(Peek.Start, $"expected ')' or ',', found {Describe(Peek)}", ExpressionErrorKind.Syntax);
    }

    private void Enter()
    {
        if (++_depth > MaxDepth)
            throw Error(Peek.Start, $"the expression is nested more than {MaxDepth} levels deep", ExpressionErrorKind.Syntax);
    }

    /// <summary>Each link of an operator chain nests the tree one level deeper (a + b + c is (a + b) + c).</summary>
    private void Deeper(ref int chain, Token op)
    {
        chain++;
        if (++_depth > MaxDepth)
            throw Error(op.Start, $"the expression is nested more than {MaxDepth} levels deep", ExpressionErrorKind.Syntax);
    }

    private void Leave() => _depth--;

    private void Unchain(int chain) => _depth -= chain;

    private ExpressionException Unexpected(Token t)
    {
        var reason = $"unexpected {Describe(t)}";
        if (t.Kind == TokenKind.Name && !IsKeyword(t.Text))
            reason += NameSuggestions.Hint(t.Text, Keywords, k => k);
        return Error(t.Start, reason, ExpressionErrorKind.Syntax);
    }

    private static string Describe(Token t) => t.Kind switch
    {
        TokenKind.End => "end of expression",
        TokenKind.Number => $"number {t.Text}",
        TokenKind.String => $"string {Values.Show(t.Text)}",
        TokenKind.QuotedName => $"name \"{t.Text}\"",
        TokenKind.Name when IsKeyword(t.Text) => t.Text.ToUpperInvariant(),
        TokenKind.Name => $"name '{t.Text}'",
        _ => $"'{t.Text}'",
    };

    private ExpressionException Error(int offset, string reason, ExpressionErrorKind kind) => new(kind, reason, _text, offset + 1);
}
