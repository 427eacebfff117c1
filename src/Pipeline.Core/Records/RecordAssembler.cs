namespace Pipeline.Core.Records;

/// <summary>
/// Assembles rows that arrive one at a time, each naming its own fields (objects from a PowerShell pipeline, say),
/// into batches that share a schema. A row whose field names differ from the previous row's starts a new schema
/// (and so a new batch); names are compared case-insensitively, and a name repeated within one row keeps its
/// first value.
/// </summary>
public sealed class RecordAssembler
{
    private readonly int _batchSize;
    private readonly Queue<RecordBatch> _ready = new();
    private List<object?[]> _rows = [];
    private RecordSchema? _schema;
    private string[] _names = [];
    private int[]? _keep;

    /// <summary>Creates an assembler that completes a batch every <paramref name="batchSize"/> rows.</summary>
    public RecordAssembler(int batchSize = 256)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        _batchSize = batchSize;
    }

    /// <summary>Rows added and not yet in a completed batch.</summary>
    public int Pending => _rows.Count;

    /// <summary>Rows added in all.</summary>
    public long RowCount { get; private set; }

    /// <summary>Adds a row: <paramref name="values"/>[i] is the value of <paramref name="names"/>[i].</summary>
    /// <exception cref="ArgumentException">The two lists differ in length.</exception>
    public void Add(IReadOnlyList<string> names, IReadOnlyList<object?> values)
    {
        if (names.Count != values.Count)
            throw new ArgumentException($"A row has {names.Count} field names but {values.Count} values.", nameof(values));
        if (_schema is null || !SameNames(names)) StartSchema(names);
        var row = new object?[_schema!.Count];
        if (_keep is null)
        {
            for (var i = 0; i < row.Length; i++) row[i] = values[i];
        }
        else
        {
            for (var i = 0; i < row.Length; i++) row[i] = values[_keep[i]];
        }
        _rows.Add(row);
        RowCount++;
        if (_rows.Count >= _batchSize) CompleteBatch();
    }

    /// <summary>Completes the batch being assembled, if it holds any row.</summary>
    public void Flush() => CompleteBatch();

    /// <summary>Takes the next completed batch.</summary>
    public bool TryTake(out RecordBatch batch) => _ready.TryDequeue(out batch!);

    private bool SameNames(IReadOnlyList<string> names)
    {
        if (names.Count != _names.Length) return false;
        for (var i = 0; i < names.Count; i++)
        {
            if (!string.Equals(names[i], _names[i], StringComparison.Ordinal)) return false;
        }
        return true;
    }

    private void StartSchema(IReadOnlyList<string> names)
    {
        CompleteBatch();
        _names = names.ToArray();
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var keep = new List<int>(names.Count);
        for (var i = 0; i < names.Count; i++)
        {
            if (seen.Add(names[i])) keep.Add(i);
        }
        _keep = keep.Count == names.Count ? null : keep.ToArray();
        _schema = new RecordSchema(keep.Select(i => new RecordField(names[i])));
    }

    private void CompleteBatch()
    {
        if (_rows.Count == 0) return;
        _ready.Enqueue(new RecordBatch(_schema!, _rows));
        _rows = new List<object?[]>(Math.Min(_batchSize, 1024));
    }
}
