using System.Globalization;
using System.Linq.Expressions;
using System.Text.RegularExpressions;
using E = System.Linq.Expressions.Expression;

namespace Pipeline.Core.Expressions;

/// <summary>One function of the language: its arity, its usage line for messages, and how a call is compiled.</summary>
internal sealed record FunctionDefinition(string Name, int MinArguments, int MaxArguments, string Usage, Func<FunctionCall, Typed> Bind)
{
    /// <summary>A function whose result changes between evaluations (now, today): never evaluated at compile time.</summary>
    public bool IsVolatile { get; init; }
}

/// <summary>A call being compiled: gives the binder its arguments, translated and converted on demand.</summary>
internal sealed class FunctionCall
{
    private readonly Translator _translator;

    public FunctionCall(Translator translator, CallSyntax syntax)
    {
        _translator = translator;
        Syntax = syntax;
    }

    public CallSyntax Syntax { get; }

    public int Count => Syntax.Arguments.Count;

    /// <summary>Whether every argument translated so far is a constant.</summary>
    public bool AllConstant { get; private set; } = true;

    public Translator Translator => _translator;

    public Syntax Node(int i) => Syntax.Arguments[i];

    public Typed Arg(int i)
    {
        var value = _translator.Translate(Node(i));
        AllConstant &= value.IsConstant;
        return value;
    }

    public Typed Convert(Typed value, int i, ValueKind kind) => _translator.Coerce(value, kind, Node(i), Syntax);

    public Expression ArgAs(int i, ValueKind kind) => Convert(Arg(i), i, kind).Expression;

    public Expression Site => _translator.SiteAt(Syntax.Start, Syntax);

    public Expression Culture => E.Constant(_translator.Options.Culture);

    public Expression Time => E.Constant(_translator.Options.Time, typeof(TimeProvider));

    public ExpressionException Error(int i, string reason, ExpressionErrorKind kind = ExpressionErrorKind.Type) =>
        new(kind, reason, _translator.Text, Node(i).Start + 1);
}

/// <summary>The functions of the language, by case-insensitive name.</summary>
internal static class FunctionCatalog
{
    private static readonly Dictionary<string, FunctionDefinition> Functions = Build();

    public static bool TryGet(string name, out FunctionDefinition function) => Functions.TryGetValue(name, out function!);

    public static IEnumerable<string> Names => Functions.Keys;

    private static Dictionary<string, FunctionDefinition> Build()
    {
        var all = new List<FunctionDefinition>
        {
            // text
            new("lower", 1, 1, "lower(text)", c => Text(Call(TextFunctions.Lower, c.ArgAs(0, ValueKind.String), c.Culture))),
            new("upper", 1, 1, "upper(text)", c => Text(Call(TextFunctions.Upper, c.ArgAs(0, ValueKind.String), c.Culture))),
            new("trim", 1, 1, "trim(text)", c => Text(Call(TextFunctions.Trim, c.ArgAs(0, ValueKind.String)))),
            new("ltrim", 1, 1, "ltrim(text)", c => Text(Call(TextFunctions.TrimStart, c.ArgAs(0, ValueKind.String)))),
            new("rtrim", 1, 1, "rtrim(text)", c => Text(Call(TextFunctions.TrimEnd, c.ArgAs(0, ValueKind.String)))),
            new("length", 1, 1, "length(text)", c => new Typed(Call(TextFunctions.Length, c.ArgAs(0, ValueKind.String)), ValueKind.Integer)),
            new("substr", 2, 3, "substr(text, start[, length]), start counting from 1", Substring),
            new("substring", 2, 3, "substring(text, start[, length]), start counting from 1", Substring),
            new("replace", 3, 3, "replace(text, from, to)", c => Text(Call(TextFunctions.Replace, c.ArgAs(0, ValueKind.String), c.ArgAs(1, ValueKind.String), c.ArgAs(2, ValueKind.String)))),
            new("concat", 1, int.MaxValue, "concat(value, ...), skipping NULLs", Concat),
            new("starts_with", 2, 2, "starts_with(text, prefix)", c => Bool(Call(TextFunctions.StartsWith, c.ArgAs(0, ValueKind.String), c.ArgAs(1, ValueKind.String)))),
            new("ends_with", 2, 2, "ends_with(text, suffix)", c => Bool(Call(TextFunctions.EndsWith, c.ArgAs(0, ValueKind.String), c.ArgAs(1, ValueKind.String)))),
            new("contains", 2, 2, "contains(text, part)", c => Bool(Call(TextFunctions.Contains, c.ArgAs(0, ValueKind.String), c.ArgAs(1, ValueKind.String)))),
            new("left", 2, 2, "left(text, count)", c => Text(Call(TextFunctions.Left, c.ArgAs(0, ValueKind.String), c.ArgAs(1, ValueKind.Number), c.Site))),
            new("right", 2, 2, "right(text, count)", c => Text(Call(TextFunctions.Right, c.ArgAs(0, ValueKind.String), c.ArgAs(1, ValueKind.Number), c.Site))),
            new("lpad", 2, 3, "lpad(text, length[, fill])", c => Pad(c, TextFunctions.PadLeft)),
            new("rpad", 2, 3, "rpad(text, length[, fill])", c => Pad(c, TextFunctions.PadRight)),
            new("regexp_like", 2, 3, "regexp_like(text, pattern[, flags]), flags i, c, m, s, x", RegexpLike),

            // values
            new("coalesce", 1, int.MaxValue, "coalesce(value, ...), the first that is not NULL", Coalesce),
            new("nullif", 2, 2, "nullif(value, other), NULL when value = other", NullIf),
            new("greatest", 1, int.MaxValue, "greatest(value, ...), ignoring NULLs", c => Extreme(c, greatest: true)),
            new("least", 1, int.MaxValue, "least(value, ...), ignoring NULLs", c => Extreme(c, greatest: false)),

            // numbers
            new("abs", 1, 1, "abs(number)", c => SameKind(c, x => Call(NumberFunctions.Abs, x, c.Site))),
            new("round", 1, 2, "round(number[, digits])", Round),
            new("floor", 1, 1, "floor(number)", c => SameKind(c, x => Call(NumberFunctions.Floor, x))),
            new("ceil", 1, 1, "ceil(number)", c => SameKind(c, x => Call(NumberFunctions.Ceiling, x))),
            new("ceiling", 1, 1, "ceiling(number)", c => SameKind(c, x => Call(NumberFunctions.Ceiling, x))),
            new("power", 2, 2, "power(base, exponent)", c => new Typed(Call(NumberFunctions.Power, c.ArgAs(0, ValueKind.Number), c.ArgAs(1, ValueKind.Number), c.Site), ValueKind.Double)),
            new("sqrt", 1, 1, "sqrt(number)", c => new Typed(Call(NumberFunctions.Sqrt, c.ArgAs(0, ValueKind.Number), c.Site), ValueKind.Double)),
            new("mod", 2, 2, "mod(dividend, divisor)", Mod),
            new("to_number", 1, 1, "to_number(value), reading text in the culture of the options", ToNumber),
            new("to_string", 1, 2, "to_string(value[, format]), a .NET format such as 'N2' or 'yyyy-MM-dd'", ToText),

            // dates and times
            new("now", 0, 0, "now()", c => new Typed(Call(DateFunctions.Now, c.Time), ValueKind.Timestamp)) { IsVolatile = true },
            new("today", 0, 0, "today()", c => new Typed(Call(DateFunctions.Today, c.Time), ValueKind.Date)) { IsVolatile = true },
            new("year", 1, 1, "year(date)", c => Part(c, DateFunctions.Year)),
            new("month", 1, 1, "month(date)", c => Part(c, DateFunctions.Month)),
            new("day", 1, 1, "day(date)", c => Part(c, DateFunctions.Day)),
            new("hour", 1, 1, "hour(timestamp)", c => Part(c, DateFunctions.Hour)),
            new("minute", 1, 1, "minute(timestamp)", c => Part(c, DateFunctions.Minute)),
            new("second", 1, 1, "second(timestamp)", c => Part(c, DateFunctions.Second)),
            new("date_add", 3, 3, "date_add(unit, amount, date), unit 'day', 'month', ...", DateAdd),
            new("date_diff", 3, 3, "date_diff(unit, from, to), unit 'day', 'month', ...", DateDiff),
            new("format_date", 2, 2, "format_date(date, format), format such as 'yyyy-MM-dd'", FormatDate),
            new("parse_date", 1, 2, "parse_date(text[, format])", c => Parse(c, ValueKind.Date, DateFunctions.ParseDateExact)),
            new("parse_timestamp", 1, 2, "parse_timestamp(text[, format])", c => Parse(c, ValueKind.Timestamp, DateFunctions.ParseTimestampExact)),
        };
        return all.ToDictionary(f => f.Name, StringComparer.OrdinalIgnoreCase);
    }

    private static MethodCallExpression Call(Delegate method, params Expression[] arguments) => Translator.CallMethod(method, arguments);

    private static Typed Text(Expression e) => new(e, ValueKind.String);

    private static Typed Bool(Expression e) => new(e, ValueKind.Boolean);

    private static Typed Substring(FunctionCall c)
    {
        var text = c.ArgAs(0, ValueKind.String);
        var start = c.ArgAs(1, ValueKind.Number);
        var hasLength = c.Count == 3;
        var length = hasLength ? c.ArgAs(2, ValueKind.Number) : E.Constant(null, typeof(Numeric?));
        return Text(Call(TextFunctions.Substring, text, start, length, E.Constant(hasLength), c.Site));
    }

    private static Typed Concat(FunctionCall c)
    {
        var text = E.Variable(typeof(string), "text");
        var statements = new List<Expression> { E.Assign(text, E.Constant("")) };
        for (var i = 0; i < c.Count; i++) statements.Add(E.Assign(text, Call(TextFunctions.ConcatSkippingNulls, text, c.ArgAs(i, ValueKind.String))));
        statements.Add(text);
        return Text(E.Block(typeof(string), [text], statements));
    }

    private static Typed Pad(FunctionCall c, Func<string?, Numeric?, string?, Site, string?> pad)
    {
        var text = c.ArgAs(0, ValueKind.String);
        var length = c.ArgAs(1, ValueKind.Number);
        var fill = c.Count == 3 ? c.ArgAs(2, ValueKind.String) : E.Constant(" ");
        return Text(Call(pad, text, length, fill, c.Site));
    }

    private static Typed RegexpLike(FunctionCall c)
    {
        var options = RegexOptions.CultureInvariant;
        if (c.Count == 3)
        {
            var flags = c.Arg(2);
            if (!flags.IsConstant || flags.Value is not string text)
                throw c.Error(2, "regexp_like flags must be a constant such as 'i'");
            options = TextFunctions.ParseRegexFlags(text)
                ?? throw c.Error(2, $"unknown regexp_like flags {Values.Show(text)}; use i (ignore case), c, m, s or x", ExpressionErrorKind.Value);
        }
        var subject = c.ArgAs(0, ValueKind.String);
        var pattern = c.Convert(c.Arg(1), 1, ValueKind.String);
        if (pattern is { IsConstant: true, Value: string constant })
        {
            Regex regex;
            try
            {
                regex = new Regex(constant, options, TextFunctions.RegexTimeout);
            }
            catch (ArgumentException e)
            {
                throw c.Error(1, $"invalid regular expression {Values.Show(constant)}: {e.Message}", ExpressionErrorKind.Value);
            }
            return Bool(Call(TextFunctions.RegexLike, subject, E.Constant(regex), c.Site));
        }
        return Bool(Call(TextFunctions.RegexLikeDynamic, subject, pattern.Expression, E.Constant(options), c.Site));
    }

    private static Typed Coalesce(FunctionCall c)
    {
        var arguments = Enumerable.Range(0, c.Count).Select(c.Arg).ToList();
        var kind = CommonKind(c, arguments, "coalesce");
        if (kind == ValueKind.Null) return Typed.Constant(null, ValueKind.Null);
        // Flat, with an exit at the first value that is not NULL: linear however many arguments.
        var type = kind.ClrType();
        var value = E.Variable(type, "value");
        var done = E.Label(type, "done");
        var statements = new List<Expression>();
        for (var i = 0; i < c.Count - 1; i++)
        {
            statements.Add(E.Assign(value, c.Convert(arguments[i], i, kind).Expression));
            statements.Add(E.IfThen(E.Not(Translator.IsNull(value)), E.Return(done, value)));
        }
        statements.Add(E.Label(done, c.Convert(arguments[^1], c.Count - 1, kind).Expression));
        return new Typed(E.Block(type, [value], statements), kind);
    }

    private static Typed NullIf(FunctionCall c)
    {
        var first = c.Arg(0);
        var second = c.Arg(1);
        if (first.Kind == ValueKind.Null) return Typed.Constant(null, ValueKind.Null);
        var value = E.Variable(first.Expression.Type, "value");
        var equal = Translator.ComparisonResult(BinaryOperator.Equal,
            c.Translator.Compare(new Typed(value, first.Kind), second, c.Node(0), c.Node(1), c.Syntax, c.Node(1).Start));
        var body = E.Block(value.Type, [value],
            E.Assign(value, first.Expression),
            E.Condition(Call(Logic.IsTrue, equal), E.Constant(null, value.Type), value));
        return new Typed(body, first.Kind);
    }

    private static Typed Extreme(FunctionCall c, bool greatest)
    {
        var name = greatest ? "greatest" : "least";
        var arguments = Enumerable.Range(0, c.Count).Select(c.Arg).ToList();
        var kind = CommonKind(c, arguments, name);
        if (kind == ValueKind.Null) return Typed.Constant(null, ValueKind.Null);
        var site = c.Site;
        var type = kind.ClrType();
        var best = E.Variable(type, "best");
        var next = E.Variable(type, "next");
        var keepBest = Translator.ComparisonResult(greatest ? BinaryOperator.GreaterOrEqual : BinaryOperator.LessOrEqual,
            Translator.CompareSameKind(kind, best, next, site));
        var statements = new List<Expression> { E.Assign(best, c.Convert(arguments[0], 0, kind).Expression) };
        for (var i = 1; i < c.Count; i++)
        {
            statements.Add(E.Assign(next, c.Convert(arguments[i], i, kind).Expression));
            statements.Add(E.IfThen(
                E.AndAlso(E.Not(Translator.IsNull(next)), E.OrElse(Translator.IsNull(best), E.Not(Call(Logic.IsTrue, keepBest)))),
                E.Assign(best, next)));
        }
        statements.Add(best);
        return new Typed(E.Block(type, [best, next], statements), kind);
    }

    private static ValueKind CommonKind(FunctionCall c, IReadOnlyList<Typed> arguments, string function)
    {
        var kind = ValueKind.Null;
        for (var i = 0; i < arguments.Count; i++)
        {
            kind = ValueKinds.Common(kind, arguments[i].Kind) ?? throw c.Error(i,
                $"{function} arguments must share one type, but {c.Translator.Quote(c.Node(i))} is {arguments[i].Kind.Describe()} and an earlier one is {kind.Describe()}");
        }
        return kind;
    }

    /// <summary>abs, floor, ceil: the result has the argument's numeric kind.</summary>
    private static Typed SameKind(FunctionCall c, Func<Expression, Expression> apply)
    {
        var argument = c.Arg(0);
        var number = c.Convert(argument, 0, ValueKind.Number).Expression;
        return new Typed(apply(number), Translator.NumericResult(argument.Kind));
    }

    private static Typed Round(FunctionCall c)
    {
        var argument = c.Arg(0);
        var number = c.Convert(argument, 0, ValueKind.Number).Expression;
        var digits = c.Count == 2 ? c.ArgAs(1, ValueKind.Number) : Typed.ConstantOf(new Numeric(0L), typeof(Numeric?));
        return new Typed(Call(NumberFunctions.Round, number, digits, c.Site), Translator.NumericResult(argument.Kind));
    }

    private static Typed Mod(FunctionCall c)
    {
        var a = c.Arg(0);
        var b = c.Arg(1);
        var kind = ValueKinds.PromoteNumeric(Translator.NumericResult(a.Kind), Translator.NumericResult(b.Kind));
        return new Typed(Call(Arithmetic.Remainder, c.Convert(a, 0, ValueKind.Number).Expression, c.Convert(b, 1, ValueKind.Number).Expression, c.Site), kind);
    }

    private static Typed ToNumber(FunctionCall c)
    {
        var value = c.Arg(0);
        if (value.Kind.IsNumeric() || value.Kind == ValueKind.Null) return c.Convert(value, 0, ValueKind.Number);
        if (value.Kind is not (ValueKind.String or ValueKind.Any)) throw c.Translator.Mismatch(value.Kind, ValueKind.Number, c.Node(0));
        return new Typed(Call(NumberFunctions.ToNumber, Translator.AsObject(value), c.Culture, c.Site), ValueKind.Number);
    }

    private static Typed ToText(FunctionCall c)
    {
        var value = c.Arg(0);
        if (c.Count == 1) return c.Convert(value, 0, ValueKind.String);
        var format = c.ArgAs(1, ValueKind.String);
        return Text(Call(TextFunctions.Format, Translator.AsObject(value), format, c.Culture, c.Site));
    }

    private static Typed Part(FunctionCall c, Func<DateTimeOffset?, Numeric?> part) =>
        new(Call(part, c.ArgAs(0, ValueKind.Timestamp)), ValueKind.Integer);

    private static Typed DateAdd(FunctionCall c)
    {
        var unit = Unit(c);
        var amount = c.ArgAs(1, ValueKind.Number);
        var date = c.Arg(2);
        var u = E.Constant(unit);
        switch (date.Kind)
        {
            case ValueKind.Null:
                return Typed.Constant(null, DateFunctions.IsCalendarUnit(unit) ? ValueKind.Date : ValueKind.Timestamp);
            case ValueKind.Date when DateFunctions.IsCalendarUnit(unit):
                return new Typed(Call(DateFunctions.AddToDate, u, amount, date.Expression, c.Site), ValueKind.Date);
            case ValueKind.Date or ValueKind.Timestamp:
                return new Typed(Call(DateFunctions.AddToTimestamp, u, amount, c.Convert(date, 2, ValueKind.Timestamp).Expression, c.Site), ValueKind.Timestamp);
            case ValueKind.Any or ValueKind.String:
                return new Typed(Call(DateFunctions.AddToValue, u, amount, Translator.AsObject(date), c.Site), ValueKind.Any);
            default:
                throw c.Translator.Mismatch(date.Kind, ValueKind.Date, c.Node(2));
        }
    }

    private static Typed DateDiff(FunctionCall c)
    {
        var unit = Unit(c);
        return new Typed(Call(DateFunctions.Diff, E.Constant(unit), c.ArgAs(1, ValueKind.Timestamp), c.ArgAs(2, ValueKind.Timestamp)), ValueKind.Integer);
    }

    /// <summary>The unit of date_add/date_diff: a constant string ('day') or a bare unit word (day).</summary>
    private static DateUnit Unit(FunctionCall c)
    {
        const string units = "(units: year, quarter, month, week, day, hour, minute, second, millisecond)";
        if (c.Node(0) is NameSyntax { Quoted: false } word)
        {
            return DateFunctions.Units.TryGetValue(word.Name, out var named) ? named
                : throw c.Error(0, $"unknown unit '{word.Name}'{NameSuggestions.Hint(word.Name, DateFunctions.Units.Keys)} {units}", ExpressionErrorKind.Name);
        }
        var value = c.Arg(0);
        if (!value.IsConstant || value.Value is not string text)
            throw c.Error(0, $"the unit must be a constant such as 'day' {units}");
        return DateFunctions.Units.TryGetValue(text.Trim(), out var unit) ? unit
            : throw c.Error(0, $"unknown unit {Values.Show(text)}{NameSuggestions.Hint(text, DateFunctions.Units.Keys)} {units}", ExpressionErrorKind.Name);
    }

    private static Typed FormatDate(FunctionCall c)
    {
        var date = c.ArgAs(0, ValueKind.Timestamp);
        var format = c.Convert(c.Arg(1), 1, ValueKind.String);
        if (format is { IsConstant: true, Value: string f } && !DateFunctions.IsValidFormat(f, c.Translator.Options.Culture))
            throw c.Error(1, $"invalid date format {Values.Show(f)}", ExpressionErrorKind.Value);
        return Text(Call(DateFunctions.Format, date, format.Expression, c.Culture, c.Site));
    }

    private static Typed Parse<T>(FunctionCall c, ValueKind kind, Func<string?, string?, CultureInfo, Site, T> parseExact)
    {
        if (c.Count == 1) return c.Convert(c.Arg(0), 0, kind);
        return new Typed(Call(parseExact, c.ArgAs(0, ValueKind.String), c.ArgAs(1, ValueKind.String), c.Culture, c.Site), kind);
    }
}
