using Pipeline.Core.Records;

namespace Pipeline.Core.Steps.Data.Transforms;

/// <summary>
/// A first-in first-out store of batches that keeps them in memory up to a budget and writes the rest to a spill
/// file, for rows that arrive before a step can use them (a join's probe side while its build side loads, a union's
/// rows while the schemas of its other inputs are not known yet). Read back once, in order.
/// </summary>
internal sealed class RowBuffer : IDisposable
{
    private readonly long _budget;
    private readonly Func<SpillDirectory> _spill;
    private readonly List<RecordBatch> _memory = [];
    private readonly List<RecordSchema> _schemas = [];
    private SpillWriter? _file;
    private long _bytes;

    public RowBuffer(long budget, Func<SpillDirectory> spill)
    {
        _budget = budget;
        _spill = spill;
    }

    /// <summary>Rows held.</summary>
    public long Count { get; private set; }

    /// <summary>Whether rows went to disk.</summary>
    public bool Spilled => _file is not null;

    public void Add(RecordBatch batch)
    {
        Count += batch.Count;
        if (_file is null)
        {
            foreach (var row in batch.Rows) _bytes += MemoryBudget.EstimateRow(row);
            _memory.Add(batch);
            if (_bytes <= _budget) return;
            // Over budget: this batch and all later ones go to disk, behind the ones kept.
            _memory.RemoveAt(_memory.Count - 1);
            _file = _spill().CreateFile();
        }
        var schema = _schemas.Count > 0 && ReferenceEquals(_schemas[^1], batch.Schema) ? _schemas.Count - 1 : AddSchema(batch.Schema);
        _file.Write([(long)schema, (long)batch.Count]);
        foreach (var row in batch.Rows) _file.Write(row);
    }

    /// <summary>The batches, in the order added; the buffer is empty afterwards.</summary>
    public IEnumerable<RecordBatch> Drain()
    {
        foreach (var batch in _memory) yield return batch;
        _memory.Clear();
        if (_file is null) yield break;
        using var reader = _file.Finish();
        _file = null;
        while (reader.Read() is { } header)
        {
            var schema = _schemas[(int)(long)header[0]!];
            var rows = new List<object?[]>((int)(long)header[1]!);
            for (var i = 0; i < rows.Capacity; i++) rows.Add(reader.Read()!);
            yield return new RecordBatch(schema, rows);
        }
        Count = 0;
    }

    public void Dispose() => _file?.Dispose();

    private int AddSchema(RecordSchema schema)
    {
        _schemas.Add(schema);
        return _schemas.Count - 1;
    }
}
