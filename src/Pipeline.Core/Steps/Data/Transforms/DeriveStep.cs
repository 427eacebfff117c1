using Pipeline.Core.Execution;
using Pipeline.Core.Expressions;
using Pipeline.Core.Records;

namespace Pipeline.Core.Steps.Data.Transforms;

/// <summary>
/// <c>derive</c>: adds computed columns (or replaces columns of the same name), each an expression over the row.
/// Columns are computed in the order written, so a later one may use an earlier one.
/// </summary>
public sealed class DeriveStep : IStepHandler
{
    /// <inheritdoc />
    public StepTypeInfo Info { get; } = new(
        "derive",
        "Adds computed columns: each a name and an expression over the row (docs/expressions.md).",
        [
            new StepOptionInfo("columns", StepOptionType.Map, "The new columns: name: expression, computed in order; a name the input has replaces that column.") { Required = true },
        ])
    {
        ConsumesRecords = true,
        ProducesRecords = true,
    };

    /// <inheritdoc />
    public async Task ExecuteAsync(StepContext context, CancellationToken cancellationToken)
    {
        var columns = context.Options.GetStringMap("columns");
        if (columns.Count == 0) throw new StepException(ErrorKind.Configuration, "The option 'columns' must name at least one column to compute: name: expression.");
        var expressionOptions = StepExpressions.For(context);
        var output = RecordInputs.Output(context);

        RecordSchema? compiledFor = null;
        RecordSchema outSchema = null!;
        CompiledExpression[] expressions = [];
        int[] targets = [];
        long rowNumber = 0;
        await foreach (var batch in RecordInputs.Concatenated(context, Info.Name, cancellationToken).ConfigureAwait(false))
        {
            if (Columns.Changed(compiledFor, batch.Schema))
            {
                (outSchema, expressions, targets) = Compile(batch.Schema, columns, expressionOptions);
                compiledFor = batch.Schema;
            }
            var width = outSchema.Count;
            var inputWidth = batch.Schema.Count;
            var rows = new List<object?[]>(batch.Count);
            foreach (var row in batch.Rows)
            {
                rowNumber++;
                var result = new object?[width];
                Array.Copy(row, result, inputWidth);
                for (var e = 0; e < expressions.Length; e++)
                {
                    try
                    {
                        result[targets[e]] = expressions[e].Evaluate(result);
                    }
                    catch (ExpressionException ex)
                    {
                        throw StepExpressions.RowFailed($"'{outSchema.Fields[targets[e]].Name}' in 'columns'", rowNumber, ex);
                    }
                }
                rows.Add(result);
            }
            await output.WriteAsync(new RecordBatch(outSchema, rows), cancellationToken).ConfigureAwait(false);
            context.Metrics.AddRows(rows.Count);
        }
    }

    private static (RecordSchema Schema, CompiledExpression[] Expressions, int[] Targets) Compile(
        RecordSchema input, IReadOnlyDictionary<string, string> columns, ExpressionOptions expressionOptions)
    {
        // The row the expressions see grows as columns are added: each sees the input and the columns before it.
        var fields = input.Fields.ToList();
        var names = fields.Select(f => f.Name).ToList();
        var expressions = new List<CompiledExpression>();
        var targets = new List<int>();
        foreach (var (name, text) in columns)
        {
            var compiled = StepExpressions.Compile($"'{name}' in 'columns'", text, names.ToArray(), condition: false, expressionOptions);
            var at = names.FindIndex(n => string.Equals(n, name, StringComparison.OrdinalIgnoreCase));
            if (at < 0)
            {
                at = names.Count;
                names.Add(name);
                fields.Add(new RecordField(name, compiled.ResultType));
            }
            else
            {
                fields[at] = new RecordField(fields[at].Name, compiled.ResultType);
            }
            expressions.Add(compiled);
            targets.Add(at);
        }
        return (new RecordSchema(fields), expressions.ToArray(), targets.ToArray());
    }
}
