using System.Globalization;
using Pipeline.Core.Execution;
using Pipeline.Core.Expressions;
using Pipeline.Core.Records;
using Pipeline.Core.Steps.Data.Transforms;

namespace Pipeline.Core.Steps.Data.Validation;

/// <summary>
/// <c>validate</c>: checks every row against a schema per column (type, nullable, unique, min/max, lengths, regex,
/// allowed values) and row rules (conditions of the expression language). Lazy: every row is checked and every
/// failure counted; the first ones (up to <c>report_limit</c>) are kept with row, column, check and value in a report
/// that is logged and published as the output <c>report</c>. Valid rows stream on; invalid rows fail the step
/// (<c>on_invalid: fail</c>, after all are found), are dropped, or go with their reasons to the output
/// <c>rejected</c>. With drop or reject, <c>max_invalid</c> (a count or a percentage) fails the step when exceeded.
/// </summary>
public sealed class ValidateStep : IStepHandler
{
    /// <summary>The named output invalid rows go to with <c>on_invalid: reject</c>.</summary>
    public const string RejectedOutput = "rejected";

    /// <summary>The columns added to a rejected row: its position in the input and its failures.</summary>
    public const string RowColumn = "_row";

    /// <inheritdoc cref="RowColumn"/>
    public const string ErrorsColumn = "_errors";

    /// <inheritdoc />
    public StepTypeInfo Info { get; } = new(
        "validate",
        "Checks rows against per-column rules and row conditions; invalid rows fail the step, are dropped, or go to the output 'rejected' with their reasons.",
        [
            new StepOptionInfo("columns", StepOptionType.Map, "Rules per column: name: { type, nullable, unique, min, max, length, min_length, max_length, regex, allowed }, or name: type."),
            new StepOptionInfo("rules", StepOptionType.Map, "Row rules: name: condition; a row fails a rule whose condition is false."),
            new StepOptionInfo("on_invalid", StepOptionType.String, "What to do with invalid rows: fail the step (after checking every row), drop them, or reject them to the output 'rejected'.") { Default = "fail", AllowedValues = ["fail", "drop", "reject"] },
            new StepOptionInfo("max_invalid", StepOptionType.String, "With drop or reject: fail the step when more rows than this are invalid, a count (100) or a percentage of the rows (5%).") { Default = "no limit" },
            new StepOptionInfo("report_limit", StepOptionType.Integer, "How many failures the report keeps with their row and value (all are counted).") { Default = "1000" },
            new StepOptionInfo("report_path", StepOptionType.String, "Also write the report as JSON to this file."),
            MemoryBudget.Info("the values of unique columns"),
        ])
    {
        ConsumesRecords = true,
        ProducesRecords = true,
        OutputPorts = [RejectedOutput],
    };

    /// <inheritdoc />
    public async Task ExecuteAsync(StepContext context, CancellationToken cancellationToken)
    {
        var options = context.Options;
        var columnRules = options.Get("columns") switch
        {
            null => [],
            IReadOnlyDictionary<string, object?> map => map.Select(kv => ColumnRule.Parse(kv.Key, kv.Value)).ToArray(),
            _ => throw new StepException(ErrorKind.Configuration, "The option 'columns' must be a mapping of column names to rules."),
        };
        var rowRules = options.GetStringMap("rules");
        if (columnRules.Length == 0 && rowRules.Count == 0)
            throw new StepException(ErrorKind.Configuration, "A validate step needs 'columns' (rules per column) or 'rules' (row conditions), or both.");
        var onInvalid = options.GetChoice("on_invalid", "fail", "fail", "drop", "reject");
        var threshold = Threshold(options.GetString("max_invalid"), onInvalid);
        var limit = options.GetInt32("report_limit", 1000);
        if (limit < 0) throw new StepException(ErrorKind.Configuration, $"The option 'report_limit' must be 0 or more, not {limit}.");
        var budget = MemoryBudget.Get(options);
        var expressionOptions = StepExpressions.For(context);
        var output = RecordInputs.Output(context);
        var rejected = onInvalid == "reject" ? context.GetOutput(RejectedOutput) : null;
        var report = new ValidationReport(limit);

        RecordSchema? compiledFor = null;
        int[] indexes = [];
        CompiledExpression[] rules = [];
        var ruleNames = rowRules.Keys.ToArray();
        var seen = columnRules.Select(r => r.Unique ? new HashSet<RowKey>() : null).ToArray();
        long uniqueBytes = 0;
        RecordSchema? rejectedSchema = null;
        RecordBatchBuilder? rejectedBuilder = null;
        long rowNumber = 0;

        await foreach (var batch in RecordInputs.Concatenated(context, Info.Name, cancellationToken).ConfigureAwait(false))
        {
            if (Columns.Changed(compiledFor, batch.Schema))
            {
                indexes = columnRules.Select(r => r.Find(batch.Schema)).ToArray();
                var names = Columns.Names(batch.Schema);
                rules = ruleNames.Select(n => StepExpressions.Compile($"the rule '{n}'", rowRules[n], names, condition: true, expressionOptions)).ToArray();
                compiledFor = batch.Schema;
                if (rejected is not null)
                {
                    rejectedSchema = Columns.Schema(batch.Schema.Fields.Append(new RecordField(RowColumn, FieldType.Integer)).Append(new RecordField(ErrorsColumn, FieldType.String)), "on_invalid");
                    rejectedBuilder ??= new RecordBatchBuilder(rejected, rejectedSchema);
                    await rejectedBuilder.SetSchemaAsync(rejectedSchema, cancellationToken).ConfigureAwait(false);
                }
            }
            List<object?[]>? valid = null;
            for (var i = 0; i < batch.Count; i++)
            {
                var row = batch.Rows[i];
                rowNumber++;
                report.BeginRow();
                var ok = true;
                for (var c = 0; c < columnRules.Length; c++)
                {
                    var value = row[indexes[c]];
                    if (!columnRules[c].Check(value, rowNumber, report, seen[c])) ok = false;
                    if (seen[c] is not null && value is not null)
                    {
                        uniqueBytes += MemoryBudget.EstimateValue(value) + 40;
                        if (uniqueBytes > budget)
                            throw new StepException(ErrorKind.Configuration,
                                $"The values of the unique columns need more than the memory budget of {MemoryBudget.Format(budget)} ({MemoryBudget.Option}); raise it, or check uniqueness in a database.");
                    }
                }
                for (var r = 0; r < rules.Length; r++)
                {
                    try
                    {
                        // A rule fails only when false, as a SQL CHECK constraint: NULL (unknown) passes.
                        if (rules[r].Evaluate(row) is not false) continue;
                        report.Add(rowNumber, ruleNames[r], "rule", null, $"{rowRules[ruleNames[r]]} is false");
                    }
                    catch (ExpressionException ex)
                    {
                        report.Add(rowNumber, ruleNames[r], "rule", null, ex.Reason);
                    }
                    ok = false;
                }
                if (ok)
                {
                    valid?.Add(row);
                    continue;
                }
                report.InvalidRows++;
                if (valid is null)
                {
                    valid = new List<object?[]>(batch.Count);
                    for (var j = 0; j < i; j++) valid.Add(batch.Rows[j]);
                }
                if (rejectedBuilder is not null)
                {
                    var reject = new object?[row.Length + 2];
                    Array.Copy(row, reject, row.Length);
                    reject[row.Length] = rowNumber;
                    reject[row.Length + 1] = string.Join("; ", report.RowFailures.Select(f => $"{f.Column}: {f.Check} ({f.Message})"));
                    await rejectedBuilder.AddAsync(reject, cancellationToken).ConfigureAwait(false);
                }
            }
            var result = valid is null ? batch : new RecordBatch(batch.Schema, valid);
            if (result.Count > 0) await output.WriteAsync(result, cancellationToken).ConfigureAwait(false);
            context.Metrics.AddRows(result.Count);
        }
        if (compiledFor is null) RecordInputs.Require(context, Info.Name);
        if (rejectedBuilder is not null) await rejectedBuilder.FlushAsync(cancellationToken).ConfigureAwait(false);
        report.Rows = rowNumber;

        await PublishAsync(context, report, onInvalid, rejected is null && onInvalid == "reject", cancellationToken).ConfigureAwait(false);
        if (report.InvalidRows == 0) return;
        if (onInvalid == "fail")
            throw new StepException(ErrorKind.Validation, Failed(report, "no invalid row is allowed (on_invalid: fail)"));
        if (threshold is { } t && t.Exceeded(report.InvalidRows, report.Rows))
            throw new StepException(ErrorKind.Validation, Failed(report, $"more than {t} are allowed (max_invalid)"));
    }

    private static string Failed(ValidationReport report, string why)
    {
        var first = report.Failures.Take(5).Select(ValidationReport.Describe);
        return $"{report.Summary()} The step fails: {why}. First failures: {string.Join("; ", first)}" +
               (report.Failures.Count > 5 ? $"; … (the output 'report' has {report.Failures.Count}{(report.Truncated ? $" of {report.FailureCount}" : "")})." : ".");
    }

    private static async Task PublishAsync(StepContext context, ValidationReport report, string onInvalid, bool rejectedUnread, CancellationToken cancellationToken)
    {
        context.SetOutput("valid_rows", report.Rows - report.InvalidRows);
        context.SetOutput("invalid_rows", report.InvalidRows);
        context.SetOutput("failures", report.FailureCount);
        var json = report.ToJson();
        context.SetOutput("report", json);
        var level = report.InvalidRows == 0 ? Observability.LogLevel.Information : Observability.LogLevel.Warning;
        context.Log(level, report.Summary() + (report.InvalidRows == 0 ? "" : onInvalid switch
        {
            "drop" => " Invalid rows were dropped.",
            "reject" => rejectedUnread ? " Invalid rows go to the output 'rejected', which no step reads: they were dropped." : " Invalid rows went to the output 'rejected'.",
            _ => "",
        }));
        foreach (var failure in report.Failures.Take(20)) context.Log(Observability.LogLevel.Verbose, ValidationReport.Describe(failure));
        if (context.Options.GetString("report_path") is { Length: > 0 } path)
        {
            var full = context.ResolveLocalPath(path);
            var temp = full + ".tmp-" + Guid.NewGuid().ToString("N")[..8];
            try
            {
                Directory.CreateDirectory(Path.GetDirectoryName(full)!);
                await File.WriteAllTextAsync(temp, json, cancellationToken).ConfigureAwait(false);
                File.Move(temp, full, overwrite: true);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                File.Delete(temp);
                throw new StepException(ErrorKind.Io, $"Cannot write the validation report to '{full}' (report_path): {ex.Message}", ex);
            }
        }
    }

    private static Limit? Threshold(string? text, string onInvalid)
    {
        if (text is null) return null;
        if (onInvalid == "fail")
            throw new StepException(ErrorKind.Configuration, "The option 'max_invalid' applies to on_invalid: drop or reject; with on_invalid: fail no invalid row is allowed.");
        var s = text.Trim();
        var percent = s.EndsWith('%');
        if (percent) s = s[..^1].TrimEnd();
        if (!decimal.TryParse(s, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value) || (percent && value > 100) || (!percent && decimal.Truncate(value) != value))
            throw new StepException(ErrorKind.Configuration, $"The option 'max_invalid' must be a count of rows (100) or a percentage (5%), not '{text}'.");
        return new Limit(value, percent);
    }

    private readonly record struct Limit(decimal Value, bool Percent)
    {
        public bool Exceeded(long invalid, long rows) => Percent ? rows > 0 && invalid * 100m / rows > Value : invalid > Value;

        public override string ToString() => Percent ? $"{Value.ToString(CultureInfo.InvariantCulture)}% of the rows" : $"{Value.ToString(CultureInfo.InvariantCulture)} invalid rows";
    }
}
