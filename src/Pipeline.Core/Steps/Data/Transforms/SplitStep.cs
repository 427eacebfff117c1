using Pipeline.Core.Execution;
using Pipeline.Core.Expressions;
using Pipeline.Core.Records;

namespace Pipeline.Core.Steps.Data.Transforms;

/// <summary>
/// <c>split</c>: routes each row to the named outputs whose conditions it meets (<c>input: route.high</c>), the first
/// one by default or every one; rows that meet none go to the main output (<c>input: route</c>), the else route.
/// Rows are passed on unchanged, batch by batch, so each branch streams as the input does.
/// </summary>
public sealed class SplitStep : IStepHandler
{
    /// <inheritdoc />
    public StepTypeInfo Info { get; } = new(
        "split",
        "Routes rows to named outputs by condition (read as input: ID.ROUTE); rows that meet no condition go to the main output.",
        [
            new StepOptionInfo("routes", StepOptionType.Map, "The routes: name: condition, tried in order.") { Required = true },
            new StepOptionInfo("mode", StepOptionType.String, "Send a row to the first route it meets, or to all of them.") { Default = "first", AllowedValues = ["first", "all"] },
        ])
    {
        ConsumesRecords = true,
        ProducesRecords = true,
        DynamicOutputPorts = true,
    };

    /// <inheritdoc />
    public async Task ExecuteAsync(StepContext context, CancellationToken cancellationToken)
    {
        var routes = context.Options.GetStringMap("routes");
        if (routes.Count == 0) throw new StepException(ErrorKind.Configuration, "The option 'routes' must name at least one route: name: condition.");
        var all = context.Options.GetChoice("mode", "first", "first", "all") == "all";
        var names = routes.Keys.ToArray();
        foreach (var port in context.NamedOutputs.Keys)
        {
            if (!routes.ContainsKey(port))
                throw new StepException(ErrorKind.Configuration,
                    $"A step reads the output '{context.StepId}.{port}', but the split has no route '{port}'{NameSuggestions.Hint(port, names)}; its routes: {string.Join(", ", names)} (and the main output for rows that meet none).");
        }
        var writers = names.Select(context.GetOutput).ToArray();
        var elseWriter = RecordInputs.Output(context);
        var counts = new long[names.Length + 1];
        var expressionOptions = StepExpressions.For(context);
        RecordSchema? compiledFor = null;
        CompiledExpression[] conditions = [];
        var buckets = new List<object?[]>?[names.Length + 1];
        long rowNumber = 0;

        await foreach (var batch in RecordInputs.Concatenated(context, Info.Name, cancellationToken).ConfigureAwait(false))
        {
            if (Columns.Changed(compiledFor, batch.Schema))
            {
                var columns = Columns.Names(batch.Schema);
                conditions = names.Select(n => StepExpressions.Compile($"the route '{n}'", routes[n], columns, condition: true, expressionOptions)).ToArray();
                compiledFor = batch.Schema;
            }
            foreach (var row in batch.Rows)
            {
                rowNumber++;
                var routed = false;
                for (var r = 0; r < conditions.Length; r++)
                {
                    bool meets;
                    try
                    {
                        meets = conditions[r].IsTrue(row);
                    }
                    catch (ExpressionException ex)
                    {
                        throw StepExpressions.RowFailed($"the route '{names[r]}'", rowNumber, ex);
                    }
                    if (!meets) continue;
                    routed = true;
                    counts[r]++;
                    if (writers[r] is not null) (buckets[r] ??= new List<object?[]>(batch.Count)).Add(row);
                    if (!all) break;
                }
                if (!routed)
                {
                    counts[^1]++;
                    (buckets[^1] ??= new List<object?[]>(batch.Count)).Add(row);
                }
            }
            for (var r = 0; r < buckets.Length; r++)
            {
                if (buckets[r] is not { Count: > 0 } rows) continue;
                buckets[r] = null;
                var writer = r < writers.Length ? writers[r]! : elseWriter;
                await writer.WriteAsync(rows.Count == batch.Count ? batch : new RecordBatch(batch.Schema, rows), cancellationToken).ConfigureAwait(false);
            }
        }
        for (var r = 0; r < names.Length; r++)
        {
            context.SetOutput("rows_" + names[r], counts[r]);
            if (writers[r] is null && counts[r] > 0)
                context.Log(Observability.LogLevel.Verbose, $"{counts[r]} row(s) met the route '{names[r]}', which no step reads.");
        }
        context.SetOutput("rows_else", counts[^1]);
        context.Metrics.AddRows(rowNumber);
    }
}
