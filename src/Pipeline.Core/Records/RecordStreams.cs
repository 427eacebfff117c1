namespace Pipeline.Core.Records;

/// <summary>Where a step writes the records it produces. Writing waits when consumers fall behind (back-pressure).</summary>
public interface IRecordWriter
{
    /// <summary>Writes one batch; waits while the slowest consumer's queue is full.</summary>
    ValueTask WriteAsync(RecordBatch batch, CancellationToken cancellationToken = default);
}

/// <summary>Accumulates rows into batches of a fixed size and writes each when full.</summary>
public sealed class RecordBatchBuilder
{
    private readonly IRecordWriter _writer;
    private readonly int _batchSize;
    private List<object?[]> _rows;

    /// <summary>Creates a builder writing batches of <paramref name="batchSize"/> rows of <paramref name="schema"/>.</summary>
    public RecordBatchBuilder(IRecordWriter writer, RecordSchema schema, int batchSize = 1024)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        _writer = writer;
        Schema = schema;
        _batchSize = batchSize;
        _rows = new List<object?[]>(batchSize);
    }

    /// <summary>The schema of the rows being built. Changing it flushes the current batch first.</summary>
    public RecordSchema Schema { get; private set; }

    /// <summary>Rows written so far (flushed or not).</summary>
    public long RowCount { get; private set; }

    /// <summary>Adds a row; writes a batch when the batch is full.</summary>
    public ValueTask AddAsync(object?[] row, CancellationToken cancellationToken = default)
    {
        if (row.Length != Schema.Count)
            throw new ArgumentException($"A row has {row.Length} values but the schema has {Schema.Count} fields.", nameof(row));
        _rows.Add(row);
        RowCount++;
        return _rows.Count >= _batchSize ? FlushAsync(cancellationToken) : ValueTask.CompletedTask;
    }

    /// <summary>Switches to another schema, flushing rows of the old one.</summary>
    public async ValueTask SetSchemaAsync(RecordSchema schema, CancellationToken cancellationToken = default)
    {
        if (schema.SameAs(Schema)) return;
        await FlushAsync(cancellationToken).ConfigureAwait(false);
        Schema = schema;
    }

    /// <summary>Writes the rows gathered so far as one batch.</summary>
    public async ValueTask FlushAsync(CancellationToken cancellationToken = default)
    {
        if (_rows.Count == 0) return;
        var batch = new RecordBatch(Schema, _rows);
        _rows = new List<object?[]>(_batchSize);
        await _writer.WriteAsync(batch, cancellationToken).ConfigureAwait(false);
    }
}
