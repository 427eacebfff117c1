using System.Text;
using System.Text.Json;
using Pipeline.Core.Expressions;

namespace Pipeline.Core.Steps.Data.Validation;

/// <summary>One failed check: the row (from 1), the column (or the rule's name), the check and the value.</summary>
/// <param name="Row">The row's position in the input, from 1.</param>
/// <param name="Column">The column, or the name of a row rule.</param>
/// <param name="Check">The check that failed: type, nullable, unique, min, max, length, min_length, max_length, regex, allowed, or rule.</param>
/// <param name="Value">The offending value as text (shortened), or null.</param>
/// <param name="Message">What is wrong.</param>
internal sealed record ValidationFailure(long Row, string Column, string Check, string? Value, string Message);

/// <summary>
/// What <c>validate</c> found: every failure counted by column and check, and the first ones (up to a limit) kept
/// with their row, column, check and value. Published as the step's <c>report</c> output (JSON) and logged.
/// </summary>
internal sealed class ValidationReport
{
    private readonly int _limit;
    private readonly List<ValidationFailure> _failures = [];
    private readonly Dictionary<(string Column, string Check), long> _counts = [];
    private readonly List<ValidationFailure> _row = [];

    /// <summary>Creates a report that keeps the first <paramref name="limit"/> failures.</summary>
    public ValidationReport(int limit)
    {
        _limit = limit;
    }

    /// <summary>Rows checked.</summary>
    public long Rows { get; internal set; }

    /// <summary>Rows with at least one failure.</summary>
    public long InvalidRows { get; internal set; }

    /// <summary>Failures found (all of them, kept or not).</summary>
    public long FailureCount { get; private set; }

    /// <summary>The failures kept, in the order found.</summary>
    public IReadOnlyList<ValidationFailure> Failures => _failures;

    /// <summary>Failures by column and check.</summary>
    public IReadOnlyDictionary<(string Column, string Check), long> Counts => _counts;

    /// <summary>Whether failures were found beyond those kept.</summary>
    public bool Truncated => FailureCount > _failures.Count;

    /// <summary>The failures of the row being checked (all of them, whatever the limit).</summary>
    public IReadOnlyList<ValidationFailure> RowFailures => _row;

    /// <summary>Starts checking the next row.</summary>
    public void BeginRow() => _row.Clear();

    /// <summary>Records a failure.</summary>
    public void Add(long row, string column, string check, object? value, string message)
    {
        FailureCount++;
        _counts[(column, check)] = _counts.GetValueOrDefault((column, check)) + 1;
        var failure = new ValidationFailure(row, column, check, value is null ? null : Show(value), message);
        _row.Add(failure);
        if (_failures.Count < _limit) _failures.Add(failure);
    }

    /// <summary>A failure as one line: <c>row 3, column 'amount', min: -5 (below the minimum 0)</c>.</summary>
    public static string Describe(ValidationFailure f) =>
        $"row {f.Row}, {(f.Check == "rule" ? "rule" : "column")} '{f.Column}', {f.Check}: {(f.Value is null ? "NULL" : f.Value)} ({f.Message})";

    /// <summary>A summary line: <c>3 of 1000 rows are invalid (5 failures: amount min 3, email regex 2)</c>.</summary>
    public string Summary() =>
        InvalidRows == 0
            ? $"All {Rows} rows are valid."
            : $"{InvalidRows} of {Rows} rows are invalid ({FailureCount} failure{(FailureCount == 1 ? "" : "s")}: " +
              string.Join(", ", _counts.OrderByDescending(c => c.Value).Take(10).Select(c => $"{c.Key.Column} {c.Key.Check} {c.Value}")) + ").";

    /// <summary>The report as JSON: rows, valid_rows, invalid_rows, failures, truncated, by_check, items.</summary>
    public string ToJson()
    {
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteNumber("rows", Rows);
            json.WriteNumber("valid_rows", Rows - InvalidRows);
            json.WriteNumber("invalid_rows", InvalidRows);
            json.WriteNumber("failures", FailureCount);
            json.WriteBoolean("truncated", Truncated);
            json.WriteStartArray("by_check");
            foreach (var ((column, check), count) in _counts)
            {
                json.WriteStartObject();
                json.WriteString("column", column);
                json.WriteString("check", check);
                json.WriteNumber("count", count);
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteStartArray("items");
            foreach (var f in _failures)
            {
                json.WriteStartObject();
                json.WriteNumber("row", f.Row);
                json.WriteString("column", f.Column);
                json.WriteString("check", f.Check);
                if (f.Value is null) json.WriteNull("value");
                else json.WriteString("value", f.Value);
                json.WriteString("message", f.Message);
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteEndObject();
        }
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    private static string Show(object value)
    {
        const int max = 200;
        var text = Values.ToText(value) ?? "";
        return text.Length > max ? string.Concat(text.AsSpan(0, max), "…") : text;
    }
}
