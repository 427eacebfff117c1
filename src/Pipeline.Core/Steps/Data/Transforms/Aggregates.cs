using System.Text.RegularExpressions;
using Pipeline.Core.Execution;
using Pipeline.Core.Expressions;
using Pipeline.Core.Records;

namespace Pipeline.Core.Steps.Data.Transforms;

/// <summary>The aggregate functions of <c>aggregate</c>.</summary>
internal enum AggregateFunction
{
    Count,
    Sum,
    Min,
    Max,
    Avg,
    First,
    Last,
}

/// <summary>
/// One aggregate of the <c>aggregates</c> option (<c>total: sum(qty * price)</c>): its function and its argument,
/// a column or any expression compiled once per input schema. <c>count(*)</c> counts rows; every other function
/// ignores NULLs, as SQL's aggregates do.
/// </summary>
internal sealed partial class Aggregate
{
    private readonly int _column;
    private readonly CompiledExpression? _expression;
    private readonly Site _site;

    private Aggregate(string name, string text, AggregateFunction function, bool star, int column, CompiledExpression? expression, FieldType type, Site site)
    {
        Name = name;
        Text = text;
        Function = function;
        Star = star;
        _column = column;
        _expression = expression;
        Type = type;
        _site = site;
    }

    public string Name { get; }

    public string Text { get; }

    public AggregateFunction Function { get; }

    /// <summary>count(*).</summary>
    public bool Star { get; }

    /// <summary>The result's type.</summary>
    public FieldType Type { get; }

    [GeneratedRegex(@"^\s*(?<fn>[A-Za-z_]+)\s*\((?<arg>.*)\)\s*$", RegexOptions.Singleline)]
    private static partial Regex Call();

    public static Aggregate Parse(string name, string text, RecordSchema schema, ExpressionOptions options)
    {
        var where = $"'{name}' in 'aggregates'";
        var match = Call().Match(text);
        if (!match.Success || !Enum.TryParse<AggregateFunction>(match.Groups["fn"].Value, ignoreCase: true, out var function) ||
            match.Groups["fn"].Value.Any(char.IsDigit))
        {
            throw new StepException(ErrorKind.Configuration,
                $"The aggregate {where} is '{text}'; write one of count(*), count(x), sum(x), min(x), max(x), avg(x), first(x), last(x), where x is a column or an expression.");
        }
        var arg = match.Groups["arg"];
        var argText = arg.Value.Trim();
        var offset = arg.Index + (arg.Value.Length - arg.Value.TrimStart().Length);
        var site = new Site(text, offset, argText.Length == 0 ? text : argText);
        if (argText == "*")
        {
            if (function != AggregateFunction.Count)
                throw new StepException(ErrorKind.Configuration, $"The aggregate {where} is '{text}': only count takes *; write {function.ToString().ToLowerInvariant()}(column).");
            return new Aggregate(name, text, function, star: true, -1, null, FieldType.Integer, site);
        }
        if (argText.Length == 0)
            throw new StepException(ErrorKind.Configuration, $"The aggregate {where} is '{text}', which has no argument: write {function.ToString().ToLowerInvariant()}(column) or count(*).");
        var column = schema.IndexOf(argText);
        CompiledExpression? expression = null;
        FieldType argType;
        if (column >= 0)
        {
            argType = schema.Fields[column].Type;
        }
        else
        {
            expression = StepExpressions.Compile(where, argText, Columns.Names(schema), condition: false, options, offset, text);
            argType = expression.ResultType;
        }
        var type = function switch
        {
            AggregateFunction.Count => FieldType.Integer,
            AggregateFunction.Sum => argType is FieldType.Integer or FieldType.Decimal or FieldType.Double ? argType : FieldType.Any,
            AggregateFunction.Avg => argType == FieldType.Double ? FieldType.Double : argType is FieldType.Integer or FieldType.Decimal ? FieldType.Decimal : FieldType.Any,
            _ => argType,
        };
        return new Aggregate(name, text, function, star: false, column, expression, type, site);
    }

    /// <summary>Adds one row (the <paramref name="seq"/>-th of the input, from 1) to a group's state.</summary>
    /// <exception cref="ExpressionException">The argument cannot be evaluated, or is not a number for sum or avg.</exception>
    public void Add(Accumulator state, object?[] row, long seq)
    {
        if (Star)
        {
            state.Count++;
            return;
        }
        var value = _expression is null ? row[_column] : _expression.Evaluate(row);
        if (value is null || (value is string s && Function is not (AggregateFunction.Count or AggregateFunction.First or AggregateFunction.Last or AggregateFunction.Min or AggregateFunction.Max) && s.AsSpan().IsWhiteSpace()))
            return;
        switch (Function)
        {
            case AggregateFunction.Count:
                state.Count++;
                break;
            case AggregateFunction.Sum or AggregateFunction.Avg:
                state.AddNumber(Values.ToNumeric(value, _site)!.Value);
                break;
            case AggregateFunction.Min:
                if (state.Value is null || Compare(value, state.Value) < 0) state.Value = value;
                break;
            case AggregateFunction.Max:
                if (state.Value is null || Compare(value, state.Value) > 0) state.Value = value;
                break;
            case AggregateFunction.First:
                if (state.Seq == 0) (state.Value, state.Seq) = (value, seq);
                break;
            case AggregateFunction.Last:
                (state.Value, state.Seq) = (value, seq);
                break;
        }
    }

    /// <summary>Combines two partial states of one group (from before and after a spill).</summary>
    public void Merge(Accumulator into, Accumulator other)
    {
        switch (Function)
        {
            case AggregateFunction.Count:
                into.Count += other.Count;
                break;
            case AggregateFunction.Sum or AggregateFunction.Avg:
                if (other.HasSum)
                {
                    into.AddNumber(other.Sum);
                    into.Count += other.Count - 1;
                }
                break;
            case AggregateFunction.Min:
                if (other.Value is not null && (into.Value is null || Compare(other.Value, into.Value) < 0)) into.Value = other.Value;
                break;
            case AggregateFunction.Max:
                if (other.Value is not null && (into.Value is null || Compare(other.Value, into.Value) > 0)) into.Value = other.Value;
                break;
            case AggregateFunction.First:
                if (other.Seq != 0 && (into.Seq == 0 || other.Seq < into.Seq)) (into.Value, into.Seq) = (other.Value, other.Seq);
                break;
            case AggregateFunction.Last:
                if (other.Seq > into.Seq) (into.Value, into.Seq) = (other.Value, other.Seq);
                break;
        }
    }

    /// <summary>
    /// Compares as the expression language does, so that text read from a file meets numbers and dates as their
    /// value ('2.5' &lt; 4); values that cannot meet at all fall back to the total order of <see cref="ValueOrder"/>.
    /// </summary>
    private int Compare(object a, object b)
    {
        try
        {
            return Comparisons.CompareValues(a, b, _site) ?? 0;
        }
        catch (ExpressionException)
        {
            return ValueOrder.Compare(a, b);
        }
    }

    /// <summary>The aggregate's value for a group.</summary>
    public object? Result(Accumulator state) => Function switch
    {
        AggregateFunction.Count => state.Count,
        AggregateFunction.Sum => state.HasSum ? state.Sum.Box() : null,
        AggregateFunction.Avg => !state.HasSum ? null
            : state.Sum.Kind == NumericKind.Double ? state.Sum.ToDouble() / state.Count
            : state.Sum.ToDecimal() / state.Count,
        _ => state.Value,
    };
}

/// <summary>The running state of one aggregate for one group.</summary>
internal sealed class Accumulator
{
    public long Count;
    public Numeric Sum;
    public bool HasSum;
    public object? Value;
    public long Seq;

    /// <summary>Adds a number to the sum (an integer sum that overflows goes on as a decimal) and counts it.</summary>
    public void AddNumber(Numeric number)
    {
        Count++;
        if (!HasSum)
        {
            Sum = number;
            HasSum = true;
            return;
        }
        try
        {
            Sum = Numeric.Add(Sum, number);
        }
        catch (OverflowException) when (Sum.Kind == NumericKind.Integer && number.Kind == NumericKind.Integer)
        {
            Sum = new Numeric((decimal)Sum.Integer + number.Integer);
        }
    }

    /// <summary>The state as four values, for a spill file.</summary>
    public void WriteTo(object?[] row, int at)
    {
        row[at] = Count;
        row[at + 1] = HasSum ? Sum.Box() : null;
        row[at + 2] = Value;
        row[at + 3] = Seq;
    }

    /// <summary>A state read back from a spill file.</summary>
    public static Accumulator ReadFrom(object?[] row, int at)
    {
        var state = new Accumulator { Count = (long)row[at]!, Value = row[at + 2], Seq = (long)row[at + 3]! };
        switch (row[at + 1])
        {
            case long l: state.Sum = new Numeric(l); state.HasSum = true; break;
            case decimal m: state.Sum = new Numeric(m); state.HasSum = true; break;
            case double d: state.Sum = new Numeric(d); state.HasSum = true; break;
        }
        return state;
    }
}
