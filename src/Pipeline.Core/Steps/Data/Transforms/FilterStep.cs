using Pipeline.Core.Expressions;
using Pipeline.Core.Records;

namespace Pipeline.Core.Steps.Data.Transforms;

/// <summary>
/// <c>filter</c>: keeps the rows for which the <c>where</c> condition is true (NULL counts as not true). Rows pass
/// through unchanged and uncopied, batch by batch; a batch whose rows all pass is passed on as it is.
/// </summary>
public sealed class FilterStep : IStepHandler
{
    /// <inheritdoc />
    public StepTypeInfo Info { get; } = new(
        "filter",
        "Keeps the rows for which a condition (the expression language of docs/expressions.md) is true.",
        [
            new StepOptionInfo("where", StepOptionType.String, "The condition, e.g. \"amount > 500 and country = 'DE'\".") { Required = true },
        ])
    {
        ConsumesRecords = true,
        ProducesRecords = true,
    };

    /// <inheritdoc />
    public async Task ExecuteAsync(StepContext context, CancellationToken cancellationToken)
    {
        var where = context.Options.GetRequiredString("where");
        var expressionOptions = StepExpressions.For(context);
        var output = RecordInputs.Output(context);
        RecordSchema? compiledFor = null;
        CompiledExpression? condition = null;
        long rowNumber = 0;
        long kept = 0;
        await foreach (var batch in RecordInputs.Concatenated(context, Info.Name, cancellationToken).ConfigureAwait(false))
        {
            if (Columns.Changed(compiledFor, batch.Schema))
            {
                condition = StepExpressions.Compile("the option 'where'", where, Columns.Names(batch.Schema), condition: true, expressionOptions);
                compiledFor = batch.Schema;
            }
            List<object?[]>? passed = null;
            var rows = batch.Rows;
            for (var i = 0; i < rows.Count; i++)
            {
                bool keep;
                try
                {
                    keep = condition!.IsTrue(rows[i]);
                }
                catch (ExpressionException ex)
                {
                    throw StepExpressions.RowFailed("the option 'where'", rowNumber + i + 1, ex);
                }
                if (keep)
                {
                    passed?.Add(rows[i]);
                }
                else if (passed is null)
                {
                    // The first dropped row: from here on, gather the rows that pass.
                    passed = new List<object?[]>(rows.Count);
                    for (var j = 0; j < i; j++) passed.Add(rows[j]);
                }
            }
            rowNumber += rows.Count;
            var result = passed is null ? batch : new RecordBatch(batch.Schema, passed);
            kept += result.Count;
            if (result.Count > 0) await output.WriteAsync(result, cancellationToken).ConfigureAwait(false);
        }
        context.Metrics.AddRows(kept);
        context.SetOutput("rows_in", rowNumber);
        context.SetOutput("rows_dropped", rowNumber - kept);
    }
}
