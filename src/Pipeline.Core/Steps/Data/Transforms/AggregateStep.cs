using Pipeline.Core.Execution;
using Pipeline.Core.Expressions;
using Pipeline.Core.Records;

namespace Pipeline.Core.Steps.Data.Transforms;

/// <summary>
/// <c>aggregate</c>: one row per group of equal <c>group_by</c> values (or one row for all rows), with count, sum,
/// min, max, avg, first and last of columns or expressions. Groups are kept in memory (in order of first appearance)
/// up to the memory budget; past it, the partial results are written to hash partitions on disk and combined one
/// partition at a time, so the number of groups is bounded by disk rather than memory.
/// </summary>
public sealed class AggregateStep : IStepHandler
{
    internal const int Partitions = 32;

    /// <inheritdoc />
    public StepTypeInfo Info { get; } = new(
        "aggregate",
        "Groups rows by columns and computes count, sum, min, max, avg, first and last per group.",
        [
            new StepOptionInfo("group_by", StepOptionType.List, "The columns whose values make a group.") { Default = "one group of all rows" },
            new StepOptionInfo("aggregates", StepOptionType.Map, "The columns to compute: name: function(column or expression), e.g. total: sum(amount), orders: count(*).") { Required = true },
            MemoryBudget.Info("the groups"),
            SpillDirectory.Info,
        ])
    {
        ConsumesRecords = true,
        ProducesRecords = true,
    };

    /// <inheritdoc />
    public async Task ExecuteAsync(StepContext context, CancellationToken cancellationToken)
    {
        var groupBy = context.Options.GetStringList("group_by");
        var specs = context.Options.GetStringMap("aggregates");
        if (specs.Count == 0) throw new StepException(ErrorKind.Configuration, "The option 'aggregates' must name at least one column to compute: name: function(column).");
        var budget = MemoryBudget.Get(context.Options);
        var expressionOptions = StepExpressions.For(context);
        var output = RecordInputs.Output(context);

        RecordSchema? schema = null;
        int[] keyColumns = [];
        Aggregate[] aggregates = [];
        var groups = new Dictionary<RowKey, Group>();
        long bytes = 0;
        long seq = 0;
        SpillDirectory? spill = null;
        SpillWriter?[]? partitions = null;
        try
        {
            await foreach (var batch in RecordInputs.Concatenated(context, Info.Name, cancellationToken).ConfigureAwait(false))
            {
                if (schema is null || Columns.Changed(schema, batch.Schema))
                {
                    if (schema is not null && !batch.Schema.Fields.Select(f => f.Name).SequenceEqual(schema.Fields.Select(f => f.Name), StringComparer.OrdinalIgnoreCase))
                        throw SortStep.SchemaChanged(schema, batch.Schema);
                    schema = batch.Schema;
                    keyColumns = Columns.FindAll(schema, groupBy, "group_by");
                    aggregates = specs.Select(s => Aggregate.Parse(s.Key, s.Value, schema, expressionOptions)).ToArray();
                }
                foreach (var row in batch.Rows)
                {
                    seq++;
                    var key = keyColumns.Length == 0 ? default : RowKey.Of(row, keyColumns);
                    if (!groups.TryGetValue(key, out var group))
                    {
                        group = new Group(keyColumns.Select(i => row[i]).ToArray(), aggregates.Length);
                        groups.Add(key, group);
                        bytes += GroupSize(key, group.Keys, aggregates.Length);
                    }
                    for (var a = 0; a < aggregates.Length; a++)
                    {
                        try
                        {
                            aggregates[a].Add(group.States[a], row, seq);
                        }
                        catch (ExpressionException ex)
                        {
                            throw StepExpressions.RowFailed($"'{aggregates[a].Name}' in 'aggregates'", seq, ex);
                        }
                    }
                    if (bytes > budget)
                    {
                        spill ??= SpillDirectory.Create(context);
                        partitions ??= new SpillWriter?[Partitions];
                        Spill(groups, partitions, spill, keyColumns.Length);
                        bytes = 0;
                    }
                }
            }
            if (schema is null)
            {
                RecordInputs.Require(context, Info.Name);
                if (groupBy.Count > 0) return;
                // No rows and no groups: SQL's answer is one row (count 0, the rest NULL), but without columns to
                // type it from, the aggregates' arguments are not checked.
                var names = specs.Keys.ToArray();
                var empty = new RecordSchema(names.Select(n => new RecordField(n)));
                var values = specs.Values.Select(v => v.TrimStart().StartsWith("count", StringComparison.OrdinalIgnoreCase) ? (object?)0L : null).ToArray();
                await output.WriteAsync(new RecordBatch(empty, [values]), cancellationToken).ConfigureAwait(false);
                context.Metrics.AddRows(1);
                return;
            }
            var outSchema = Columns.Schema(keyColumns.Select(i => schema.Fields[i]).Concat(aggregates.Select(a => new RecordField(a.Name, a.Type))), "aggregates");
            var builder = new RecordBatchBuilder(output, outSchema);
            if (partitions is null)
            {
                if (groups.Count == 0 && keyColumns.Length == 0) groups.Add(default, new Group([], aggregates.Length));
                foreach (var group in groups.Values) await builder.AddAsync(Result(group, aggregates), cancellationToken).ConfigureAwait(false);
            }
            else
            {
                Spill(groups, partitions, spill!, keyColumns.Length);
                context.Log(Observability.LogLevel.Verbose, $"The groups passed the memory budget of {MemoryBudget.Format(budget)}; combining them from {partitions.Count(p => p is not null)} partitions on disk.");
                context.SetOutput("spilled", true);
                var keyIndexes = Enumerable.Range(0, keyColumns.Length).ToArray();
                foreach (var partition in partitions)
                {
                    if (partition is null) continue;
                    using var reader = partition.Finish();
                    groups.Clear();
                    bytes = 0;
                    while (reader.Read() is { } partial)
                    {
                        var key = RowKey.Of(partial, keyIndexes);
                        var states = aggregates.Select((_, a) => Accumulator.ReadFrom(partial, keyIndexes.Length + 4 * a)).ToArray();
                        if (groups.TryGetValue(key, out var group))
                        {
                            for (var a = 0; a < aggregates.Length; a++) aggregates[a].Merge(group.States[a], states[a]);
                        }
                        else
                        {
                            groups.Add(key, new Group(partial[..keyIndexes.Length], states));
                            bytes += GroupSize(key, partial[..keyIndexes.Length], aggregates.Length);
                            if (bytes > budget)
                                throw new StepException(ErrorKind.Configuration,
                                    $"The groups of one of {Partitions} partitions need more than the memory budget of {MemoryBudget.Format(budget)} ({MemoryBudget.Option}); raise it.");
                        }
                    }
                    foreach (var group in groups.Values) await builder.AddAsync(Result(group, aggregates), cancellationToken).ConfigureAwait(false);
                }
            }
            await builder.FlushAsync(cancellationToken).ConfigureAwait(false);
            context.Metrics.AddRows(builder.RowCount);
        }
        finally
        {
            if (partitions is not null)
            {
                foreach (var partition in partitions) partition?.Dispose();
            }
            spill?.Dispose();
        }
    }

    /// <summary>The estimated bytes of a group: its key, its key values and one accumulator per aggregate.</summary>
    private static long GroupSize(RowKey key, object?[] keys, int aggregates) =>
        key.EstimateSize() + 64 + MemoryBudget.EstimateRow(keys) + 72L * aggregates;

    private static object?[] Result(Group group, Aggregate[] aggregates)
    {
        var row = new object?[group.Keys.Length + aggregates.Length];
        group.Keys.CopyTo(row, 0);
        for (var a = 0; a < aggregates.Length; a++) row[group.Keys.Length + a] = aggregates[a].Result(group.States[a]);
        return row;
    }

    /// <summary>Writes every group's partial state to its partition and forgets the groups.</summary>
    private static void Spill(Dictionary<RowKey, Group> groups, SpillWriter?[] partitions, SpillDirectory spill, int keyCount)
    {
        foreach (var (key, group) in groups)
        {
            var row = new object?[keyCount + 4 * group.States.Length];
            group.Keys.CopyTo(row, 0);
            for (var a = 0; a < group.States.Length; a++) group.States[a].WriteTo(row, keyCount + 4 * a);
            (partitions[key.Partition(partitions.Length)] ??= spill.CreateFile()).Write(row);
        }
        groups.Clear();
    }

    private sealed class Group
    {
        public Group(object?[] keys, int aggregates)
            : this(keys, Enumerable.Range(0, aggregates).Select(_ => new Accumulator()).ToArray())
        {
        }

        public Group(object?[] keys, Accumulator[] states)
        {
            Keys = keys;
            States = states;
        }

        public object?[] Keys { get; }

        public Accumulator[] States { get; }
    }
}
