using System.Linq.Expressions;
using System.Reflection;
using System.Runtime.ExceptionServices;
using E = System.Linq.Expressions.Expression;

namespace Pipeline.Core.Expressions;

/// <summary>
/// Turns a syntax tree into one LINQ expression over the row array, typed as far as the kinds are known at compile
/// time, and compiles it to a delegate. Parts made only of constants are evaluated here, once, so a constant that
/// cannot be used (CAST('x' AS int), 1 / 0) is a compile error at its column.
/// </summary>
internal sealed class Translator
{
    private readonly IReadOnlyList<string> _names;
    private readonly Dictionary<string, int> _index = new(StringComparer.OrdinalIgnoreCase);
    private readonly List<string> _referenced = [];
    private readonly ParameterExpression _row = E.Parameter(typeof(object?[]), "row");

    public Translator(string text, IReadOnlyList<string> names, ExpressionOptions options)
    {
        Text = text;
        Options = options;
        _names = names;
        for (var i = 0; i < names.Count; i++)
        {
            var name = names[i] ?? throw new ArgumentException($"The name at position {i} is null.", nameof(names));
            if (!_index.TryAdd(name, i))
                throw new ArgumentException($"The name '{name}' appears twice in the names (names are compared case-insensitively).", nameof(names));
        }
    }

    public string Text { get; }

    public ExpressionOptions Options { get; }

    public CompiledExpression Compile(Syntax syntax, bool asCondition)
    {
        var body = Translate(syntax);
        if (asCondition) _ = ConditionBody(body, syntax); // fails now, not at the first row, when it cannot be a condition
        var evaluate = E.Lambda<Func<object?[], object?>>(AsObject(body), _row).Compile();
        return new CompiledExpression(
            Text,
            _referenced.ToArray().AsReadOnly(),
            body.Kind.ToFieldType(),
            _names.Count,
            evaluate,
            () => E.Lambda<Func<object?[], bool>>(ConditionBody(body, syntax), _row).Compile());
    }

    public Typed Translate(Syntax syntax) => syntax switch
    {
        LiteralSyntax l => Typed.Constant(l.Value, l.Kind),
        NameSyntax n => Name(n),
        UnarySyntax u => Unary(u),
        BinarySyntax b => Binary(b),
        IsSyntax i => Is(i),
        InSyntax i => In(i),
        LikeSyntax l => Like(l),
        BetweenSyntax b => Between(b),
        CaseSyntax c => Case(c),
        CastSyntax c => Cast(c),
        CallSyntax c => Call(c),
        _ => throw new InvalidOperationException($"No translation for {syntax.GetType().Name}."),
    };

    // ---- names --------------------------------------------------------------------------------------------

    private Typed Name(NameSyntax n)
    {
        if (!_index.TryGetValue(n.Name, out var i)) throw UnknownName(n);
        var canonical = _names[i];
        if (!_referenced.Contains(canonical)) _referenced.Add(canonical);
        return new Typed(E.ArrayIndex(_row, E.Constant(i)), ValueKind.Any);
    }

    private ExpressionException UnknownName(NameSyntax n)
    {
        var hint = NameSuggestions.Hint(n.Name, _names, ShowName);
        if (hint.Length == 0)
        {
            var byLastPart = _names.Where(x => x.EndsWith("." + n.Name, StringComparison.OrdinalIgnoreCase)).Take(3).ToArray();
            if (byLastPart.Length > 0) hint = $"; did you mean {string.Join(" or ", byLastPart.Select(ShowName))}?";
        }
        if (hint.Length == 0 && FunctionCatalog.TryGet(n.Name, out var function) && function.MinArguments == 0)
            hint = $"; did you mean {function.Name}()?";
        if (hint.Length == 0)
        {
            hint = _names.Count == 0 ? " (no names are available here)"
                : _names.Count <= 12 ? $" (available: {string.Join(", ", _names.Select(ShowName))})"
                : "";
        }
        var quote = n.Name.Contains('\'') ? $"\"{n.Name}\"" : $"'{n.Name}'";
        return new ExpressionException(ExpressionErrorKind.Name, $"unknown name {quote}{hint}", Text, n.Start + 1);
    }

    /// <summary>A name as it would be written: plain when it can be, else each part that needs it in double quotes.</summary>
    private static string ShowName(string name)
    {
        var parts = name.Split('.');
        var plain = parts.All(p => p.Length > 0 && (char.IsLetter(p[0]) || p[0] == '_') && p.All(ch => char.IsLetterOrDigit(ch) || ch == '_') && !Parser.IsKeyword(p));
        return plain ? $"'{name}'" : $"\"{name.Replace("\"", "\"\"", StringComparison.Ordinal)}\"";
    }

    // ---- operators ----------------------------------------------------------------------------------------

    private Typed Unary(UnarySyntax u)
    {
        var operand = Translate(u.Operand);
        Typed result;
        switch (u.Operator)
        {
            case UnaryOperator.Not:
                result = new Typed(CallMethod(Logic.Not, ToCondition(operand, u.Operand, u).Expression), ValueKind.Boolean);
                break;
            case UnaryOperator.Negate:
                var negated = Coerce(operand, ValueKind.Number, u.Operand, u);
                result = new Typed(CallMethod(Arithmetic.Negate, negated.Expression, SiteAt(u.Start, u)), NumericResult(operand.Kind));
                break;
            default:
                var plus = Coerce(operand, ValueKind.Number, u.Operand, u);
                return plus with { Kind = NumericResult(operand.Kind) };
        }
        return operand.IsConstant ? Fold(result) : result;
    }

    private Typed Binary(BinarySyntax b)
    {
        var left = Translate(b.Left);
        var right = Translate(b.Right);
        Typed result;
        switch (b.Operator)
        {
            case BinaryOperator.And or BinaryOperator.Or:
                var l = ToCondition(left, b.Left, b).Expression;
                var r = ToCondition(right, b.Right, b).Expression;
                result = new Typed(b.Operator == BinaryOperator.And ? And(l, r) : Or(l, r), ValueKind.Boolean);
                break;
            case BinaryOperator.Equal or BinaryOperator.NotEqual or BinaryOperator.Less or BinaryOperator.LessOrEqual
                or BinaryOperator.Greater or BinaryOperator.GreaterOrEqual:
                var sign = Compare(left, right, b.Left, b.Right, b, b.OperatorStart);
                result = new Typed(E.Call(ComparisonMethod(b.Operator), sign), ValueKind.Boolean);
                break;
            case BinaryOperator.Concat:
                if (left.Kind == ValueKind.Boolean || right.Kind == ValueKind.Boolean)
                    throw new ExpressionException(ExpressionErrorKind.Type, "|| joins text; to combine conditions write OR", Text, b.OperatorStart + 1);
                result = new Typed(
                    CallMethod(TextFunctions.ConcatOperator, Coerce(left, ValueKind.String, b.Left, b).Expression, Coerce(right, ValueKind.String, b.Right, b).Expression),
                    ValueKind.String);
                break;
            default:
                var x = Coerce(left, ValueKind.Number, b.Left, b).Expression;
                var y = Coerce(right, ValueKind.Number, b.Right, b).Expression;
                var kind = b.Operator == BinaryOperator.Divide && NumericResult(left.Kind) == ValueKind.Integer && NumericResult(right.Kind) == ValueKind.Integer
                    ? ValueKind.Decimal
                    : ValueKinds.PromoteNumeric(NumericResult(left.Kind), NumericResult(right.Kind));
                var site = SiteAt(b.OperatorStart, b);
                Delegate method = b.Operator switch
                {
                    BinaryOperator.Add => Arithmetic.Add,
                    BinaryOperator.Subtract => Arithmetic.Subtract,
                    BinaryOperator.Multiply => Arithmetic.Multiply,
                    BinaryOperator.Divide => Arithmetic.Divide,
                    _ => Arithmetic.Remainder,
                };
                result = new Typed(CallMethod(method, x, y, site), kind);
                break;
        }
        return left.IsConstant && right.IsConstant ? Fold(result) : result;
    }

    private Typed Is(IsSyntax i)
    {
        var operand = Translate(i.Operand);
        Expression test = i.Test switch
        {
            IsTest.Null => operand.Kind == ValueKind.Null ? E.Constant(true) : IsNull(operand.Expression),
            IsTest.True => CallMethod(Logic.IsTrue, ToCondition(operand, i.Operand, i).Expression),
            _ => CallMethod(Logic.IsFalse, ToCondition(operand, i.Operand, i).Expression),
        };
        if (i.Negated) test = E.Not(test);
        var result = new Typed(E.Convert(test, typeof(bool?)), ValueKind.Boolean);
        return operand.IsConstant ? Fold(result) : result;
    }

    private Typed In(InSyntax syntax)
    {
        var operand = Translate(syntax.Operand);
        var items = syntax.Items.Select(Translate).ToList();
        for (var k = 0; k < items.Count; k++)
        {
            if (items[k].Kind != ValueKind.Null && operand.Kind != ValueKind.Null && ValueKinds.Comparable(operand.Kind, items[k].Kind) is null)
                throw new ExpressionException(ExpressionErrorKind.Type,
                    $"cannot compare {operand.Kind.Describe()} with {items[k].Kind.Describe()} ({Quote(syntax.Items[k])})", Text, syntax.Items[k].Start + 1);
        }

        Expression body;
        var constantList = items.All(t => t.IsConstant);
        if (constantList && operand.Kind.IsNumeric())
        {
            // A list of constant numbers: compare without boxing the row's value.
            var numbers = items.Select((t, k) => (Numeric?)Coerce(t, ValueKind.Number, syntax.Items[k], syntax).Value).ToArray();
            body = CallMethod(Comparisons.InNumbers, operand.Expression, E.Constant(numbers));
        }
        else if (constantList && operand.Kind is ValueKind.Any or ValueKind.String)
        {
            var values = items.Select(t => Values.BoxConstant(t.Value)).ToArray();
            body = CallMethod(Comparisons.InValues, AsObject(operand), E.Constant(values), SiteAt(syntax.OperatorStart, syntax));
        }
        else
        {
            // One flat block, not a chain of ORs, so a long list compiles in linear time: true at the first equal
            // item; at the end NULL if a comparison was NULL, else false.
            var value = E.Variable(operand.Expression.Type, "value");
            var equal = E.Variable(typeof(bool?), "equal");
            var sawNull = E.Variable(typeof(bool), "sawNull");
            var done = E.Label(typeof(bool?), "done");
            var shared = new Typed(value, operand.Kind);
            var statements = new List<Expression> { E.Assign(value, operand.Expression) };
            for (var k = 0; k < items.Count; k++)
            {
                var sign = Compare(shared, items[k], syntax.Operand, syntax.Items[k], syntax, syntax.Items[k].Start);
                statements.Add(E.Assign(equal, E.Call(ComparisonMethod(BinaryOperator.Equal), sign)));
                statements.Add(E.IfThen(CallMethod(Logic.IsTrue, equal), E.Return(done, E.Constant(true, typeof(bool?)))));
                statements.Add(E.IfThen(IsNull(equal), E.Assign(sawNull, E.Constant(true))));
            }
            statements.Add(E.Label(done, E.Condition(sawNull, E.Constant(null, typeof(bool?)), E.Constant(false, typeof(bool?)))));
            body = E.Block(typeof(bool?), [value, equal, sawNull], statements);
        }
        if (syntax.Negated) body = CallMethod(Logic.Not, body);
        var result = new Typed(body, ValueKind.Boolean);
        return operand.IsConstant && constantList ? Fold(result) : result;
    }

    private Typed Between(BetweenSyntax syntax)
    {
        var operand = Translate(syntax.Operand);
        var low = Translate(syntax.Low);
        var high = Translate(syntax.High);
        var value = E.Variable(operand.Expression.Type, "value");
        var shared = new Typed(value, operand.Kind);
        var atLeast = E.Call(ComparisonMethod(BinaryOperator.GreaterOrEqual), Compare(shared, low, syntax.Operand, syntax.Low, syntax, syntax.Low.Start));
        var atMost = E.Call(ComparisonMethod(BinaryOperator.LessOrEqual), Compare(shared, high, syntax.Operand, syntax.High, syntax, syntax.High.Start));
        Expression body = E.Block(typeof(bool?), [value], E.Assign(value, operand.Expression), And(atLeast, atMost));
        if (syntax.Negated) body = CallMethod(Logic.Not, body);
        var result = new Typed(body, ValueKind.Boolean);
        return operand.IsConstant && low.IsConstant && high.IsConstant ? Fold(result) : result;
    }

    private Typed Like(LikeSyntax syntax)
    {
        var text = Coerce(Translate(syntax.Operand), ValueKind.String, syntax.Operand, syntax);
        var pattern = Coerce(Translate(syntax.Pattern), ValueKind.String, syntax.Pattern, syntax);
        var escape = LikePattern.NoEscape;
        if (syntax.Escape is { } escapeSyntax)
        {
            var e = Translate(escapeSyntax);
            if (!e.IsConstant || e.Kind is not (ValueKind.String or ValueKind.Null) || (e.Value is string { Length: > 1 }))
                throw new ExpressionException(ExpressionErrorKind.Type, "ESCAPE takes a string of one character, e.g. ESCAPE '!'", Text, escapeSyntax.Start + 1);
            if (e.Value is string { Length: 1 } s) escape = s[0];
        }
        if (pattern.IsConstant && pattern.Value is string constantPattern && LikePattern.Problem(constantPattern, escape) is { } problem)
            throw new ExpressionException(ExpressionErrorKind.Value, problem, Text, syntax.Pattern.Start + 1);
        Expression body = CallMethod(LikePattern.Like, text.Expression, pattern.Expression, E.Constant(escape), E.Constant(syntax.IgnoreCase), SiteAt(syntax.Pattern.Start, syntax));
        if (syntax.Negated) body = CallMethod(Logic.Not, body);
        var result = new Typed(body, ValueKind.Boolean);
        return text.IsConstant && pattern.IsConstant ? Fold(result) : result;
    }

    private Typed Case(CaseSyntax syntax)
    {
        var operand = syntax.Operand is null ? (Typed?)null : Translate(syntax.Operand);
        var whens = new List<Typed>();
        var thens = new List<Typed>();
        foreach (var branch in syntax.Branches)
        {
            whens.Add(Translate(branch.When));
            thens.Add(Translate(branch.Then));
        }
        var otherwise = syntax.Else is null ? (Typed?)null : Translate(syntax.Else);

        var results = thens.Zip(syntax.Branches.Select(b => b.Then)).ToList();
        if (otherwise is { } o) results.Add((o, syntax.Else!));
        var kind = ValueKind.Null;
        foreach (var (result, node) in results)
        {
            kind = ValueKinds.Common(kind, result.Kind) ?? throw new ExpressionException(ExpressionErrorKind.Type,
                $"CASE results must share one type, but {Quote(node)} is {result.Kind.Describe()} and an earlier result is {kind.Describe()}", Text, node.Start + 1);
        }

        // One flat block with an exit label, not nested conditionals, so a CASE with hundreds of branches (a code
        // table) compiles in linear time.
        var done = E.Label(kind.ClrType(), "done");
        var variables = new List<ParameterExpression>();
        var statements = new List<Expression>();
        Typed shared = default;
        if (operand is { } x)
        {
            var value = E.Variable(x.Expression.Type, "value");
            variables.Add(value);
            statements.Add(E.Assign(value, x.Expression));
            shared = new Typed(value, x.Kind);
        }
        for (var i = 0; i < syntax.Branches.Count; i++)
        {
            var when = syntax.Branches[i].When;
            var condition = operand is null
                ? ToCondition(whens[i], when, syntax).Expression
                : E.Call(ComparisonMethod(BinaryOperator.Equal), Compare(shared, whens[i], syntax.Operand!, when, syntax, when.Start));
            statements.Add(E.IfThen(CallMethod(Logic.IsTrue, condition), E.Return(done, Coerce(thens[i], kind, syntax.Branches[i].Then, syntax).Expression)));
        }
        statements.Add(E.Label(done, otherwise is { } e ? Coerce(e, kind, syntax.Else!, syntax).Expression : E.Constant(null, kind.ClrType())));
        Expression body = E.Block(kind.ClrType(), variables, statements);

        var typed = new Typed(body, kind);
        var allConstant = operand is not { IsConstant: false } && whens.All(t => t.IsConstant) && thens.All(t => t.IsConstant) && otherwise is not { IsConstant: false };
        return allConstant ? Fold(typed) : typed;
    }

    private Typed Cast(CastSyntax syntax)
    {
        var operand = Translate(syntax.Operand);
        var target = syntax.Target;
        if (operand.Kind == ValueKind.Null) return Typed.Constant(null, target);
        if (target == ValueKind.String) return Coerce(operand, ValueKind.String, syntax.Operand, syntax);

        var site = SiteAt(syntax.Start, syntax);
        var x = operand.Expression;
        Expression? converted;
        if (target.IsNumeric())
        {
            var kind = E.Constant(target.ToNumericKind());
            converted = operand.Kind switch
            {
                _ when operand.Kind.IsNumeric() => CallMethod(Casts.NumericToKind, x, kind, site),
                ValueKind.Boolean => CallMethod(Casts.BooleanToKind, x, kind, site),
                ValueKind.String => CallMethod(Casts.TextToKind, x, kind, site),
                ValueKind.Any => CallMethod(Casts.ValueToKind, x, kind, site),
                _ => null,
            };
            if (converted is not null && syntax.Scale is { } scale) converted = CallMethod(Casts.ToScale, converted, E.Constant(scale), site);
        }
        else
        {
            converted = (target, operand.Kind) switch
            {
                (ValueKind.Boolean, ValueKind.Boolean) or (ValueKind.Date, ValueKind.Date) or (ValueKind.Timestamp, ValueKind.Timestamp) => x,
                (ValueKind.Boolean, ValueKind.String) => CallMethod(Values.ParseBoolean, x, site),
                (ValueKind.Boolean, ValueKind.Any) => CallMethod(Casts.ValueToBoolean, x, site),
                (ValueKind.Boolean, _) when operand.Kind.IsNumeric() => CallMethod(Casts.NumericToBoolean, x),
                (ValueKind.Date, ValueKind.Timestamp) => CallMethod(Values.TimestampToDate, x),
                (ValueKind.Date, ValueKind.String) => CallMethod(Values.ParseDate, x, site),
                (ValueKind.Date, ValueKind.Any) => CallMethod(Values.ToDate, x, site),
                (ValueKind.Timestamp, ValueKind.Date) => CallMethod(Values.DateToTimestamp, x),
                (ValueKind.Timestamp, ValueKind.String) => CallMethod(Values.ParseTimestamp, x, site),
                (ValueKind.Timestamp, ValueKind.Any) => CallMethod(Values.ToTimestamp, x, site),
                _ => null,
            };
        }
        if (converted is null)
            throw new ExpressionException(ExpressionErrorKind.Type, $"cannot cast {operand.Kind.Describe()} to {syntax.TypeName}", Text, syntax.TypeStart + 1);
        var result = new Typed(converted, target);
        return operand.IsConstant ? Fold(result) : result;
    }

    private Typed Call(CallSyntax syntax)
    {
        if (!FunctionCatalog.TryGet(syntax.Name, out var function))
        {
            var hint = NameSuggestions.Hint(syntax.Name, FunctionCatalog.Names);
            if (hint.Length == 0 && _index.ContainsKey(syntax.Name)) hint = $"; '{syntax.Name}' is a name, not a function";
            throw new ExpressionException(ExpressionErrorKind.Name, $"unknown function '{syntax.Name}'{hint}", Text, syntax.Start + 1);
        }
        var count = syntax.Arguments.Count;
        if (count < function.MinArguments || count > function.MaxArguments)
        {
            var expected = function.MinArguments == function.MaxArguments ? $"{function.MinArguments}"
                : function.MaxArguments == int.MaxValue ? $"at least {function.MinArguments}"
                : function.MaxArguments == function.MinArguments + 1 ? $"{function.MinArguments} or {function.MaxArguments}"
                : $"{function.MinArguments} to {function.MaxArguments}";
            var noun = expected.EndsWith(" 1", StringComparison.Ordinal) || expected == "1" ? "argument" : "arguments";
            throw new ExpressionException(ExpressionErrorKind.Name,
                $"{syntax.Name.ToLowerInvariant()}() takes {expected} {noun}, not {count}: {function.Usage}", Text, syntax.Start + 1);
        }
        var call = new FunctionCall(this, syntax);
        var result = function.Bind(call);
        return call.AllConstant && !function.IsVolatile ? Fold(result) : result;
    }

    // ---- comparison and logic -----------------------------------------------------------------------------

    /// <summary>The sign (int?) of left − right, after bringing both to the kind they compare as.</summary>
    public Expression Compare(Typed left, Typed right, Syntax leftNode, Syntax rightNode, Syntax context, int operatorOffset)
    {
        if (left.Kind == ValueKind.Null || right.Kind == ValueKind.Null) return E.Constant(null, typeof(int?));
        var kind = ValueKinds.Comparable(left.Kind, right.Kind) ?? throw new ExpressionException(ExpressionErrorKind.Type,
            $"cannot compare {left.Kind.Describe()} with {right.Kind.Describe()}", Text, operatorOffset + 1);
        var site = SiteAt(operatorOffset, context);
        if (kind == ValueKind.Any) return CompareSameKind(kind, AsObject(left), AsObject(right), site);
        if (kind == ValueKind.Number && left.Kind == ValueKind.Any && right is { IsConstant: true, Value: Numeric rightNumber })
            return CallMethod(Comparisons.CompareValueWithNumber, left.Expression, Typed.ConstantOf(rightNumber, typeof(Numeric)), SiteAt(leftNode.Start, context));
        if (kind == ValueKind.Number && right.Kind == ValueKind.Any && left is { IsConstant: true, Value: Numeric leftNumber })
            return CallMethod(Comparisons.CompareNumberWithValue, Typed.ConstantOf(leftNumber, typeof(Numeric)), right.Expression, SiteAt(rightNode.Start, context));
        return CompareSameKind(kind, Coerce(left, kind, leftNode, context).Expression, Coerce(right, kind, rightNode, context).Expression, site);
    }

    /// <summary>The sign (int?) of a − b for two expressions already of the representation of one kind.</summary>
    public static Expression CompareSameKind(ValueKind kind, Expression a, Expression b, Expression site) => kind switch
    {
        ValueKind.Boolean => CallMethod(Comparisons.CompareBooleans, a, b),
        ValueKind.String => CallMethod(Comparisons.CompareTexts, a, b),
        ValueKind.Date => CallMethod(Comparisons.CompareDates, a, b),
        ValueKind.Timestamp => CallMethod(Comparisons.CompareTimestamps, a, b),
        _ when kind.IsNumeric() => CallMethod(Comparisons.CompareNumbers, a, b),
        _ => CallMethod(Comparisons.CompareValues, a, b, site),
    };

    private static MethodInfo ComparisonMethod(BinaryOperator op) => (op switch
    {
        BinaryOperator.Equal => (Func<int?, bool?>)Comparisons.Equal,
        BinaryOperator.NotEqual => Comparisons.NotEqual,
        BinaryOperator.Less => Comparisons.Less,
        BinaryOperator.LessOrEqual => Comparisons.LessOrEqual,
        BinaryOperator.Greater => Comparisons.Greater,
        _ => Comparisons.GreaterOrEqual,
    }).Method;

    public static Expression ComparisonResult(BinaryOperator op, Expression sign) => E.Call(ComparisonMethod(op), sign);

    public Typed ToCondition(Typed value, Syntax node, Syntax context) => Coerce(value, ValueKind.Boolean, node, context);

    /// <summary>Three-valued AND, left to right, skipping the right side when the left is false.</summary>
    private static Expression And(Expression a, Expression b)
    {
        var x = E.Variable(typeof(bool?), "left");
        var y = E.Variable(typeof(bool?), "right");
        return E.Block(typeof(bool?), [x, y],
            E.Assign(x, a),
            E.Condition(CallMethod(Logic.IsFalse, x), E.Constant(false, typeof(bool?)),
                E.Block(typeof(bool?),
                    E.Assign(y, b),
                    E.Condition(CallMethod(Logic.IsFalse, y), E.Constant(false, typeof(bool?)),
                        E.Condition(E.OrElse(IsNull(x), IsNull(y)), E.Constant(null, typeof(bool?)), E.Constant(true, typeof(bool?)))))));
    }

    /// <summary>Three-valued OR, left to right, skipping the right side when the left is true.</summary>
    private static Expression Or(Expression a, Expression b)
    {
        var x = E.Variable(typeof(bool?), "left");
        var y = E.Variable(typeof(bool?), "right");
        return E.Block(typeof(bool?), [x, y],
            E.Assign(x, a),
            E.Condition(CallMethod(Logic.IsTrue, x), E.Constant(true, typeof(bool?)),
                E.Block(typeof(bool?),
                    E.Assign(y, b),
                    E.Condition(CallMethod(Logic.IsTrue, y), E.Constant(true, typeof(bool?)),
                        E.Condition(E.OrElse(IsNull(x), IsNull(y)), E.Constant(null, typeof(bool?)), E.Constant(false, typeof(bool?)))))));
    }

    public static Expression IsNull(Expression e) =>
        e.Type.IsValueType ? E.Not(E.Property(e, "HasValue")) : E.ReferenceEqual(e, E.Constant(null, e.Type));

    private Expression ConditionBody(Typed body, Syntax syntax) => body.Kind switch
    {
        ValueKind.Boolean => CallMethod(Logic.IsTrue, body.Expression),
        ValueKind.Null => E.Constant(false),
        ValueKind.Any => CallMethod(Logic.AnyIsTrue, body.Expression, SiteAt(syntax.Start, syntax)),
        ValueKind.String => CallMethod(Logic.IsTrue, CallMethod(Values.ParseBoolean, body.Expression, SiteAt(syntax.Start, syntax))),
        _ => throw new ExpressionException(ExpressionErrorKind.Type,
            $"the expression gives {body.Kind.Describe()}, not true or false{(body.Kind.IsNumeric() ? "; compare it, e.g. x > 0" : "")}", Text, syntax.Start + 1),
    };

    // ---- conversions --------------------------------------------------------------------------------------

    /// <summary>Brings a value to a kind, converting at runtime where the value's type is only known then. A kind
    /// that cannot become the other (a date used as a number) is a compile error at the value's column.</summary>
    public Typed Coerce(Typed value, ValueKind to, Syntax node, Syntax context)
    {
        if (value.Kind == to || (to == ValueKind.Number && value.Kind.IsNumeric())) return value;
        if (value.Kind == ValueKind.Null) return Typed.Constant(null, to);
        if (to == ValueKind.Any)
            return new Typed(AsObject(value), ValueKind.Any, value.IsConstant, value.IsConstant ? Values.BoxConstant(value.Value) : null);

        var site = SiteAt(node.Start, context);
        var e = value.Expression;
        Expression? converted = to switch
        {
            ValueKind.Boolean => value.Kind switch
            {
                ValueKind.Any => CallMethod(Values.ToBoolean, e, site),
                ValueKind.String => CallMethod(Values.ParseBoolean, e, site),
                _ => null,
            },
            ValueKind.Integer or ValueKind.Decimal or ValueKind.Double or ValueKind.Number => value.Kind switch
            {
                _ when value.Kind.IsNumeric() => CallMethod(Values.ToNumericKind, e, E.Constant(to.ToNumericKind()), site),
                ValueKind.Any => ToNumericKind(CallMethod(Values.ToNumeric, e, site), to, site),
                ValueKind.String => ToNumericKind(CallMethod(Values.ParseNumeric, e, site), to, site),
                _ => null,
            },
            ValueKind.String => value.Kind switch
            {
                ValueKind.Any => CallMethod(Values.ToText, e),
                ValueKind.Boolean => CallMethod(Values.BooleanToText, e),
                ValueKind.Date => CallMethod(Values.DateToText, e),
                ValueKind.Timestamp => CallMethod(Values.TimestampToText, e),
                _ when value.Kind.IsNumeric() => CallMethod(Values.NumericToText, e),
                _ => null,
            },
            ValueKind.Date => value.Kind switch
            {
                ValueKind.Any => CallMethod(Values.ToDate, e, site),
                ValueKind.String => CallMethod(Values.ParseDate, e, site),
                _ => null,
            },
            ValueKind.Timestamp => value.Kind switch
            {
                ValueKind.Date => CallMethod(Values.DateToTimestamp, e),
                ValueKind.Any => CallMethod(Values.ToTimestamp, e, site),
                ValueKind.String => CallMethod(Values.ParseTimestamp, e, site),
                _ => null,
            },
            _ => null,
        };
        if (converted is null) throw Mismatch(value.Kind, to, node);
        var result = new Typed(converted, to);
        return value.IsConstant ? Fold(result) : result;
    }

    private static Expression ToNumericKind(Expression number, ValueKind to, Expression site) =>
        to == ValueKind.Number ? number : CallMethod(Values.ToNumericKind, number, E.Constant(to.ToNumericKind()), site);

    public ExpressionException Mismatch(ValueKind from, ValueKind to, Syntax node)
    {
        var hint = from is ValueKind.Date or ValueKind.Timestamp && to.IsNumeric() ? "; use date_add or date_diff to compute with dates"
            : to == ValueKind.Boolean && from.IsNumeric() ? "; compare it, e.g. x > 0"
            : "";
        return new ExpressionException(ExpressionErrorKind.Type, $"expected {to.Describe()}, but {Quote(node)} is {from.Describe()}{hint}", Text, node.Start + 1);
    }

    /// <summary>The value as the object a row would hold (no boxing at runtime for constants).</summary>
    public static Expression AsObject(Typed value)
    {
        if (value.IsConstant) return E.Constant(Values.BoxConstant(value.Value), typeof(object));
        return value.Kind switch
        {
            ValueKind.Null or ValueKind.Any => value.Expression,
            ValueKind.Boolean => CallMethod(Values.BoxBoolean, value.Expression),
            _ when value.Kind.IsNumeric() => CallMethod(Values.BoxNumeric, value.Expression),
            _ => E.Convert(value.Expression, typeof(object)),
        };
    }

    /// <summary>Evaluates a node made only of constants, once, now; its errors are compile errors.</summary>
    public static Typed Fold(Typed value)
    {
        if (value.IsConstant) return value;
        object? result;
        try
        {
            result = E.Lambda<Func<object?>>(E.Convert(value.Expression, typeof(object))).Compile(preferInterpretation: true)();
        }
        catch (TargetInvocationException e) when (e.InnerException is not null)
        {
            ExceptionDispatchInfo.Capture(e.InnerException).Throw();
            throw;
        }
        return new Typed(Typed.ConstantOf(result, value.Expression.Type), value.Kind, true, result);
    }

    public static ValueKind NumericResult(ValueKind kind) =>
        kind.IsNumeric() ? kind : kind == ValueKind.Null ? ValueKind.Integer : ValueKind.Number;

    public Expression SiteAt(int offset, Syntax context) => E.Constant(Site.For(Text, offset, context));

    /// <summary>The source of a node, shortened, in single quotes, for messages.</summary>
    public string Quote(Syntax node)
    {
        var length = node.End - node.Start;
        var source = (length > 40 ? string.Concat(Text.AsSpan(node.Start, 39), "…") : Text.Substring(node.Start, length)).ReplaceLineEndings(" ");
        return source.StartsWith('\'') ? source : source.Contains('\'') ? $"\"{source}\"" : $"'{source}'";
    }

    public static MethodCallExpression CallMethod(Delegate method, params Expression[] arguments) => E.Call(method.Method, arguments);
}
