using Pipeline.Core.Execution;
using Pipeline.Core.Expressions;
using Pipeline.Core.Records;

namespace Pipeline.Core.Steps.Data.Transforms;

/// <summary>
/// <c>select</c>: picks columns (in the order given), drops columns, renames them and casts their values to a type,
/// with CAST's rules (docs/expressions.md). One new row per row, holding only the columns kept.
/// </summary>
public sealed class SelectStep : IStepHandler
{
    /// <inheritdoc />
    public StepTypeInfo Info { get; } = new(
        "select",
        "Picks, drops, renames and casts columns.",
        [
            new StepOptionInfo("columns", StepOptionType.List, "The columns to keep, in this order.") { Default = "every column" },
            new StepOptionInfo("exclude", StepOptionType.List, "Columns to drop."),
            new StepOptionInfo("rename", StepOptionType.Map, "New names: old_name: new_name."),
            new StepOptionInfo("cast", StepOptionType.Map, "Types to convert columns to (by their new name): name: integer | decimal | decimal(p, s) | double | string | boolean | date | timestamp."),
        ])
    {
        ConsumesRecords = true,
        ProducesRecords = true,
    };

    /// <inheritdoc />
    public async Task ExecuteAsync(StepContext context, CancellationToken cancellationToken)
    {
        var options = context.Options;
        var pick = options.GetStringList("columns");
        var exclude = options.GetStringList("exclude");
        var rename = options.GetStringMap("rename");
        var cast = options.GetStringMap("cast");
        var expressionOptions = StepExpressions.For(context);
        var output = RecordInputs.Output(context);

        RecordSchema? compiledFor = null;
        Projection? projection = null;
        long rowNumber = 0;
        await foreach (var batch in RecordInputs.Concatenated(context, Info.Name, cancellationToken).ConfigureAwait(false))
        {
            if (Columns.Changed(compiledFor, batch.Schema))
            {
                projection = Projection.Create(batch.Schema, pick, exclude, rename, cast, expressionOptions);
                compiledFor = batch.Schema;
            }
            var rows = new List<object?[]>(batch.Count);
            foreach (var row in batch.Rows)
            {
                rowNumber++;
                rows.Add(projection!.Apply(row, rowNumber));
            }
            await output.WriteAsync(new RecordBatch(projection!.Schema, rows), cancellationToken).ConfigureAwait(false);
            context.Metrics.AddRows(rows.Count);
        }
    }

    /// <summary>What select does to a row of one input schema.</summary>
    private sealed class Projection
    {
        private readonly int[] _sources;
        private readonly CompiledExpression?[] _casts;
        private readonly object?[] _castArgument = new object?[1]; // one step reads its rows on one thread at a time

        private Projection(RecordSchema schema, int[] sources, CompiledExpression?[] casts)
        {
            Schema = schema;
            _sources = sources;
            _casts = casts;
        }

        public RecordSchema Schema { get; }

        public static Projection Create(RecordSchema input, IReadOnlyList<string> pick, IReadOnlyList<string> exclude,
            IReadOnlyDictionary<string, string> rename, IReadOnlyDictionary<string, string> cast, ExpressionOptions expressionOptions)
        {
            var sources = (pick.Count > 0 ? Columns.FindAll(input, pick, "columns") : Enumerable.Range(0, input.Count).ToArray()).ToList();
            var excluded = Columns.FindAll(input, exclude, "exclude").ToHashSet();
            sources.RemoveAll(excluded.Contains);
            foreach (var old in rename.Keys) Columns.Find(input, old, "rename");

            var renamed = new Dictionary<string, string>(rename, StringComparer.OrdinalIgnoreCase);
            var names = sources.Select(i => renamed.TryGetValue(input.Fields[i].Name, out var n) ? n : input.Fields[i].Name).ToArray();
            var casts = new CompiledExpression?[sources.Count];
            var types = sources.Select(i => input.Fields[i].Type).ToArray();
            foreach (var (name, type) in cast)
            {
                var at = Array.FindIndex(names, n => string.Equals(n, name, StringComparison.OrdinalIgnoreCase));
                if (at < 0)
                    throw new StepException(ErrorKind.Configuration,
                        $"The option 'cast' names the column '{name}', which the output does not have{NameSuggestions.Hint(name, names)} (its columns: {string.Join(", ", names)}; cast uses the new names).");
                var expression = $"CAST(value AS {type})";
                try
                {
                    casts[at] = ExpressionCompiler.Compile(expression, ["value"], expressionOptions);
                }
                catch (ExpressionException ex)
                {
                    throw new StepException(ErrorKind.Configuration,
                        $"The option 'cast' gives '{name}' the type '{type}', which is not one CAST knows ({ex.Reason}); the types: integer, decimal, decimal(p, s), double, string, boolean, date, timestamp.", ex);
                }
                types[at] = casts[at]!.ResultType;
            }
            var schema = Columns.Schema(names.Select((n, i) => new RecordField(n, types[i])), "rename");
            return new Projection(schema, sources.ToArray(), casts);
        }

        public object?[] Apply(object?[] row, long rowNumber)
        {
            var result = new object?[_sources.Length];
            for (var i = 0; i < result.Length; i++)
            {
                var value = row[_sources[i]];
                if (_casts[i] is { } cast)
                {
                    try
                    {
                        _castArgument[0] = value;
                        value = cast.Evaluate(_castArgument);
                    }
                    catch (ExpressionException ex)
                    {
                        throw new StepException(ErrorKind.Validation, $"Row {rowNumber}, column '{Schema.Fields[i].Name}': {ex.Reason}.", ex);
                    }
                }
                result[i] = value;
            }
            return result;
        }
    }
}
