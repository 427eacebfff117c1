using Pipeline.Core.Records;

namespace Pipeline.Core.Steps.Data.Transforms;

/// <summary>
/// <c>distinct</c>: keeps the first row of each key (some columns, or the whole row), streaming: a row is passed on
/// as soon as its key is new. The keys seen are kept in memory up to the memory budget; past it, rows whose key is
/// not among those are written to hash partitions on disk and made distinct one partition at a time at the end.
/// </summary>
public sealed class DistinctStep : IStepHandler
{
    /// <summary>The number of partitions rows are spread over past the budget.</summary>
    internal const int Partitions = 32;

    /// <inheritdoc />
    public StepTypeInfo Info { get; } = new(
        "distinct",
        "Keeps the first row of each key (some columns, or the whole row).",
        [
            new StepOptionInfo("by", StepOptionType.List, "The columns that make a row's key.") { Default = "every column" },
            MemoryBudget.Info("the keys seen"),
            SpillDirectory.Info,
        ])
    {
        ConsumesRecords = true,
        ProducesRecords = true,
    };

    /// <inheritdoc />
    public async Task ExecuteAsync(StepContext context, CancellationToken cancellationToken)
    {
        var by = context.Options.GetStringList("by");
        var budget = MemoryBudget.Get(context.Options);
        var output = RecordInputs.Output(context);
        var seen = new HashSet<RowKey>();
        long bytes = 0;
        RecordSchema? schema = null;
        int[] keyColumns = [];
        SpillDirectory? spill = null;
        SpillWriter?[]? partitions = null;
        long written = 0;
        long spilledRows = 0;
        try
        {
            await foreach (var batch in RecordInputs.Concatenated(context, Info.Name, cancellationToken).ConfigureAwait(false))
            {
                if (schema is null)
                {
                    schema = batch.Schema;
                    keyColumns = by.Count > 0 ? Columns.FindAll(schema, by, "by") : Enumerable.Range(0, schema.Count).ToArray();
                }
                else if (Columns.Changed(schema, batch.Schema))
                {
                    throw SortStep.SchemaChanged(schema, batch.Schema);
                }
                List<object?[]>? kept = null;
                for (var i = 0; i < batch.Count; i++)
                {
                    var row = batch.Rows[i];
                    var key = RowKey.Of(row, keyColumns);
                    var keep = false;
                    if (partitions is null)
                    {
                        if (seen.Add(key))
                        {
                            keep = true;
                            bytes += key.EstimateSize() + 48;
                            if (bytes > budget)
                            {
                                // From here on the set of keys is frozen; new keys wait on disk.
                                spill = SpillDirectory.Create(context);
                                partitions = new SpillWriter?[Partitions];
                                context.Log(Observability.LogLevel.Verbose, $"The keys seen passed the memory budget of {MemoryBudget.Format(budget)}; new keys go to disk.");
                            }
                        }
                    }
                    else if (!seen.Contains(key))
                    {
                        var p = key.Partition(Partitions);
                        (partitions[p] ??= spill!.CreateFile()).Write(row);
                        spilledRows++;
                    }
                    if (keep) kept?.Add(row);
                    else if (kept is null)
                    {
                        kept = new List<object?[]>(batch.Count);
                        for (var j = 0; j < i; j++) kept.Add(batch.Rows[j]);
                    }
                }
                var result = kept is null ? batch : new RecordBatch(batch.Schema, kept);
                written += result.Count;
                if (result.Count > 0) await output.WriteAsync(result, cancellationToken).ConfigureAwait(false);
            }
            if (partitions is not null)
            {
                seen.Clear();
                context.SetOutput("spilled_rows", spilledRows);
                foreach (var partition in partitions)
                {
                    if (partition is null) continue;
                    var builder = new RecordBatchBuilder(output, schema!);
                    using var reader = partition.Finish();
                    var local = new HashSet<RowKey>();
                    while (reader.Read() is { } row)
                    {
                        if (local.Add(RowKey.Of(row, keyColumns))) await builder.AddAsync(row, cancellationToken).ConfigureAwait(false);
                    }
                    await builder.FlushAsync(cancellationToken).ConfigureAwait(false);
                    written += builder.RowCount;
                }
            }
        }
        finally
        {
            if (partitions is not null)
            {
                foreach (var partition in partitions) partition?.Dispose();
            }
            spill?.Dispose();
        }
        context.Metrics.AddRows(written);
    }
}
