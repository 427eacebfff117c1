using Pipeline.Core.Execution;
using Pipeline.Core.Records;

namespace Pipeline.Core.Steps.Data.Transforms;

/// <summary>
/// <c>sort</c>: orders rows by one or more columns. Rows are sorted in memory while they fit the memory budget;
/// beyond it, sorted runs are written to temporary files and merged (an external merge sort), so any input size
/// sorts in bounded memory. The sort is stable: rows with equal keys keep their input order.
/// </summary>
public sealed class SortStep : IStepHandler
{
    /// <summary>The most runs merged at once; more are merged in passes.</summary>
    internal const int MaxMergeWidth = 64;

    private const int BatchSize = 1024;

    /// <inheritdoc />
    public StepTypeInfo Info { get; } = new(
        "sort",
        "Orders rows by columns (asc or desc); past the memory budget, an external merge sort through temporary files.",
        [
            new StepOptionInfo("by", StepOptionType.List, "The columns to sort by, each optionally followed by asc or desc and nulls first or nulls last: [country, amount desc].") { Required = true },
            MemoryBudget.Info("the rows held for sorting"),
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
        RecordSchema? schema = null;
        SortKeys? keys = null;
        var rows = new List<(object?[] Row, int Seq)>();
        long bytes = 0;
        SpillDirectory? spill = null;
        var runs = new List<SpillReader>();
        try
        {
            await foreach (var batch in RecordInputs.Concatenated(context, Info.Name, cancellationToken).ConfigureAwait(false))
            {
                if (schema is null)
                {
                    schema = batch.Schema;
                    keys = SortKeys.Parse(by, schema, "by");
                }
                else if (Columns.Changed(schema, batch.Schema))
                {
                    throw SchemaChanged(schema, batch.Schema);
                }
                foreach (var row in batch.Rows)
                {
                    rows.Add((row, rows.Count));
                    bytes += MemoryBudget.EstimateRow(row) + 16;
                    if (bytes <= budget) continue;
                    spill ??= SpillDirectory.Create(context);
                    runs.Add(WriteRun(rows, keys!, spill));
                    rows.Clear();
                    bytes = 0;
                }
            }
            if (schema is null) return;
            Sort(rows, keys!);
            context.SetOutput("spilled_runs", runs.Count);
            var builder = new RecordBatchBuilder(output, schema, BatchSize);
            if (runs.Count == 0)
            {
                foreach (var (row, _) in rows) await builder.AddAsync(row, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                if (rows.Count > 0) runs.Add(WriteRun(rows, keys!, spill!));
                rows.Clear();
                context.Log(Observability.LogLevel.Verbose, $"Sorting through {runs.Count} runs on disk (memory budget {MemoryBudget.Format(budget)}).");
                while (runs.Count > MaxMergeWidth)
                {
                    // Merge the earliest runs into one that takes their place, so that equal keys keep their order.
                    var writer = spill!.CreateFile();
                    using (writer)
                    {
                        foreach (var row in Merge(runs.Take(MaxMergeWidth).ToList(), keys!)) writer.Write(row);
                    }
                    runs.RemoveRange(0, MaxMergeWidth);
                    runs.Insert(0, new SpillReader(writer.Path));
                }
                foreach (var row in Merge(runs, keys!)) await builder.AddAsync(row, cancellationToken).ConfigureAwait(false);
            }
            await builder.FlushAsync(cancellationToken).ConfigureAwait(false);
            context.Metrics.AddRows(builder.RowCount);
        }
        finally
        {
            foreach (var run in runs) run.Dispose();
            spill?.Dispose();
        }
    }

    internal static StepException SchemaChanged(RecordSchema before, RecordSchema after) =>
        new(ErrorKind.Validation, $"The input changed its columns from ({Columns.List(before)}) to ({Columns.List(after)}); put a 'union' or 'select' before this step to give every row the same columns.");

    private static void Sort(List<(object?[] Row, int Seq)> rows, SortKeys keys) =>
        rows.Sort((a, b) =>
        {
            var c = keys.Compare(a.Row, b.Row);
            return c != 0 ? c : a.Seq.CompareTo(b.Seq);
        });

    private static SpillReader WriteRun(List<(object?[] Row, int Seq)> rows, SortKeys keys, SpillDirectory spill)
    {
        Sort(rows, keys);
        var writer = spill.CreateFile();
        try
        {
            foreach (var (row, _) in rows) writer.Write(row);
            return writer.Finish();
        }
        catch
        {
            writer.Dispose();
            throw;
        }
    }

    /// <summary>The rows of sorted runs in one order; equal keys come from the earlier run first.</summary>
    private static IEnumerable<object?[]> Merge(List<SpillReader> runs, SortKeys keys)
    {
        var queue = new PriorityQueue<int, (object?[] Row, int Run)>(runs.Count, Comparer<(object?[] Row, int Run)>.Create((a, b) =>
        {
            var c = keys.Compare(a.Row, b.Row);
            return c != 0 ? c : a.Run.CompareTo(b.Run);
        }));
        for (var i = 0; i < runs.Count; i++)
        {
            if (runs[i].Read() is { } first) queue.Enqueue(i, (first, i));
        }
        while (queue.TryDequeue(out var run, out var head))
        {
            yield return head.Row;
            if (runs[run].Read() is { } next) queue.Enqueue(run, (next, run));
        }
        foreach (var reader in runs) reader.Dispose();
    }
}
