using Pipeline.Core.Records;

namespace Pipeline.Core.Steps.Data.Transforms;

/// <summary>
/// <c>union</c>: the rows of several inputs as one stream. Columns are matched by name (case-insensitively): the
/// output has every column of every input, in order of first appearance, and a row lacks a column as NULL. All
/// inputs are read at once, so two branches of one producer (a <c>split</c>'s routes) can be brought together;
/// rows of one input keep their order, and rows of different inputs interleave as they arrive.
/// </summary>
public sealed class UnionStep : IStepHandler
{
    /// <inheritdoc />
    public StepTypeInfo Info { get; } = new(
        "union",
        "Brings the rows of several inputs together, matching columns by name.",
        [
            new StepOptionInfo("source_column", StepOptionType.String, "Adds a column of this name holding the input each row came from."),
            MemoryBudget.Info("rows that arrive before every input's columns are known"),
            SpillDirectory.Info,
        ])
    {
        ConsumesRecords = true,
        ProducesRecords = true,
    };

    /// <inheritdoc />
    public async Task ExecuteAsync(StepContext context, CancellationToken cancellationToken)
    {
        var inputs = RecordInputs.Require(context, Info.Name);
        var sourceColumn = context.Options.GetString("source_column");
        var budget = MemoryBudget.Get(context.Options);
        var output = RecordInputs.Output(context);
        var firstSchemas = new RecordSchema?[inputs.Count];
        var ended = new bool[inputs.Count];
        var known = 0;
        SpillDirectory? spill = null;
        using var pending = new RowBuffer(budget, () => spill ??= SpillDirectory.Create(context));
        RecordSchema? union = null;
        var mappings = new Dictionary<(int, RecordSchema), int[]>();
        long rows = 0;

        async ValueTask WriteAsync(int input, RecordBatch batch)
        {
            if (!mappings.TryGetValue((input, batch.Schema), out var map))
            {
                map = Map(batch.Schema, ref union, sourceColumn);
                mappings[(input, batch.Schema)] = map;
            }
            var source = sourceColumn is null ? null : inputs[input].Key;
            var width = union!.Count;
            var mapped = new List<object?[]>(batch.Count);
            foreach (var row in batch.Rows)
            {
                var result = new object?[width];
                for (var i = 0; i < map.Length; i++)
                {
                    if (map[i] >= 0) result[map[i]] = row[i];
                }
                if (source is not null) result[width - 1] = source;
                mapped.Add(result);
            }
            rows += mapped.Count;
            await output.WriteAsync(new RecordBatch(union, mapped), cancellationToken).ConfigureAwait(false);
        }

        try
        {
            var pendingInputs = new List<int>();
            await foreach (var (input, batch) in RecordInputs.Merged(inputs.Select(i => i.Value).ToArray(), cancellationToken).ConfigureAwait(false))
            {
                if (union is null)
                {
                    if (batch is null)
                    {
                        ended[input] = true;
                        if (firstSchemas[input] is null) known++;
                    }
                    else
                    {
                        if (firstSchemas[input] is null)
                        {
                            firstSchemas[input] = batch.Schema;
                            known++;
                        }
                        pending.Add(batch);
                        pendingInputs.Add(input);
                    }
                    if (known < inputs.Count) continue;
                    // Every input's columns are known: the output's columns are fixed from here on.
                    union = UnionOf(firstSchemas, sourceColumn);
                    var i = 0;
                    foreach (var held in pending.Drain()) await WriteAsync(pendingInputs[i++], held).ConfigureAwait(false);
                    pendingInputs.Clear();
                }
                else if (batch is not null)
                {
                    await WriteAsync(input, batch).ConfigureAwait(false);
                }
            }
        }
        finally
        {
            spill?.Dispose();
        }
        context.Metrics.AddRows(rows);
    }

    private static RecordSchema UnionOf(IEnumerable<RecordSchema?> schemas, string? sourceColumn)
    {
        var fields = new List<RecordField>();
        var index = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        foreach (var schema in schemas)
        {
            if (schema is null) continue;
            foreach (var field in schema.Fields)
            {
                if (sourceColumn is not null && string.Equals(field.Name, sourceColumn, StringComparison.OrdinalIgnoreCase)) continue;
                if (index.TryGetValue(field.Name, out var at))
                {
                    if (fields[at].Type != field.Type) fields[at] = fields[at] with { Type = FieldType.Any };
                }
                else
                {
                    index[field.Name] = fields.Count;
                    fields.Add(field);
                }
            }
        }
        if (sourceColumn is not null) fields.Add(new RecordField(sourceColumn, FieldType.String));
        return new RecordSchema(fields);
    }

    /// <summary>Where each column of <paramref name="schema"/> goes in the union (-1: nowhere, the source column
    /// replaces it); a column first seen after the start widens the union, and later batches carry the wider schema.</summary>
    private static int[] Map(RecordSchema schema, ref RecordSchema? union, string? sourceColumn)
    {
        bool IsSource(string name) => sourceColumn is not null && string.Equals(name, sourceColumn, StringComparison.OrdinalIgnoreCase);
        var current = union!;
        var added = schema.Fields.Where(f => !IsSource(f.Name) && current.IndexOf(f.Name) < 0).Select(f => new RecordField(f.Name)).ToList();
        if (added.Count > 0)
        {
            // New columns go before the source column, so the positions of those already mapped stay as they are.
            var fields = union!.Fields.ToList();
            fields.InsertRange(sourceColumn is null ? fields.Count : fields.Count - 1, added);
            union = new RecordSchema(fields);
        }
        var map = new int[schema.Count];
        for (var i = 0; i < schema.Count; i++) map[i] = IsSource(schema.Fields[i].Name) ? -1 : union!.IndexOf(schema.Fields[i].Name);
        return map;
    }
}
