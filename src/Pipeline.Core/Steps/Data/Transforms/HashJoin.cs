using Pipeline.Core.Execution;
using Pipeline.Core.Records;

namespace Pipeline.Core.Steps.Data.Transforms;

/// <summary>Which rows a join keeps besides the matches.</summary>
internal enum JoinKind
{
    Inner,
    Left,
    Right,
    Full,
}

/// <summary>What a lookup does when the lookup input has a key twice.</summary>
internal enum DuplicateKeys
{
    Fail,
    First,
    Last,
}

/// <summary>
/// The hash join behind <c>join</c> and <c>lookup</c>. The right (build) input is loaded into a hash table by key
/// while the left (probe) input is held back (in memory up to the budget, then on disk), both read at once so that
/// two inputs fed by one producer never wait on each other; then the left rows stream through. Past the memory
/// budget the join either refuses, naming the budget, or spills: both inputs are spread over hash partitions on
/// disk and joined one partition at a time (a grace hash join).
/// </summary>
internal sealed class HashJoin
{
    internal const int Partitions = 32;

    private readonly StepContext _context;
    private readonly string _stepType;
    private readonly JoinKind _kind;
    private readonly IReadOnlyList<string> _leftOn;
    private readonly IReadOnlyList<string> _rightOn;
    private readonly long _budget;
    private readonly IRecordWriter _output;
    private readonly Dictionary<RowKey, Bucket> _buckets = [];
    private long _bytes;

    private RecordSchema? _leftSchema;
    private RecordSchema? _rightSchema;
    private int[] _leftKeys = [];
    private int[] _rightKeys = [];
    private RecordSchema? _outSchema;
    private int[] _rightMap = [];
    private int[] _coalesce = [];
    private RecordBatchBuilder? _builder;
    private SpillDirectory? _spill;
    private SpillWriter?[]? _leftParts;
    private SpillWriter?[]? _rightParts;
    private long _leftRow;

    public HashJoin(StepContext context, string stepType, JoinKind kind, IReadOnlyList<string> leftOn, IReadOnlyList<string> rightOn, IRecordWriter output)
    {
        _context = context;
        _stepType = stepType;
        _kind = kind;
        _leftOn = leftOn;
        _rightOn = rightOn;
        _output = output;
        _budget = MemoryBudget.Get(context.Options);
    }

    /// <summary>Whether the join may spill to disk past the budget (else it refuses).</summary>
    public bool AllowSpill { get; init; } = true;

    /// <summary>Added to a right column's name that a left column has already.</summary>
    public string Suffix { get; init; } = "_right";

    /// <summary>For lookup: the right columns to add (null: every column but the keys).</summary>
    public IReadOnlyList<string>? Fields { get; init; }

    /// <summary>For lookup: keys are unique on the right; what to do when one is not.</summary>
    public DuplicateKeys? Duplicates { get; init; }

    /// <summary>For lookup: a left row without a match fails the step.</summary>
    public bool FailOnMissing { get; init; }

    /// <summary>Left rows without a match.</summary>
    public long Unmatched { get; private set; }

    /// <summary>Whether the join went to disk.</summary>
    public bool Spilled => _rightParts is not null;

    /// <summary>Rows written.</summary>
    public long Rows => _builder?.RowCount ?? 0;

    public async Task RunAsync(string leftName, IAsyncEnumerable<RecordBatch> left, string rightName, IAsyncEnumerable<RecordBatch> right, CancellationToken cancellationToken)
    {
        using var pending = new RowBuffer(_budget / 2, () => _spill ??= SpillDirectory.Create(_context));
        // Right rows with a NULL key match nothing; a right or full join writes them at the end, so they wait in a
        // buffer that goes to disk past its share of the budget.
        using var rightNullKeys = new RowBuffer(_budget / 4, () => _spill ??= SpillDirectory.Create(_context));
        var nullKeys = new List<object?[]>();
        var rightDone = false;
        try
        {
            await foreach (var (input, batch) in RecordInputs.Merged([left, right], cancellationToken).ConfigureAwait(false))
            {
                if (input == 1)
                {
                    if (batch is null)
                    {
                        rightDone = true;
                        foreach (var held in pending.Drain()) await ProbeAsync(held, cancellationToken).ConfigureAwait(false);
                        continue;
                    }
                    if (_rightSchema is null)
                    {
                        _rightSchema = batch.Schema;
                        _rightKeys = Columns.FindAll(_rightSchema, _rightOn, "on");
                    }
                    else if (Columns.Changed(_rightSchema, batch.Schema))
                    {
                        throw SortStep.SchemaChanged(_rightSchema, batch.Schema);
                    }
                    foreach (var row in batch.Rows) Build(row, rightName, nullKeys);
                    if (nullKeys.Count > 0)
                    {
                        rightNullKeys.Add(new RecordBatch(batch.Schema, nullKeys));
                        nullKeys = [];
                    }
                }
                else if (batch is not null)
                {
                    if (_leftSchema is null)
                    {
                        _leftSchema = batch.Schema;
                        _leftKeys = Columns.FindAll(_leftSchema, _leftOn, "on");
                    }
                    else if (Columns.Changed(_leftSchema, batch.Schema))
                    {
                        throw SortStep.SchemaChanged(_leftSchema, batch.Schema);
                    }
                    if (rightDone) await ProbeAsync(batch, cancellationToken).ConfigureAwait(false);
                    else pending.Add(batch);
                }
            }

            if (_rightParts is not null)
            {
                _context.Log(Observability.LogLevel.Verbose,
                    $"The right input '{rightName}' passed the memory budget of {MemoryBudget.Format(_budget)}; joining {Partitions} partitions on disk.");
                await JoinPartitionsAsync(cancellationToken).ConfigureAwait(false);
            }
            else if (_kind is JoinKind.Right or JoinKind.Full)
            {
                await EmitUnmatchedAsync(cancellationToken).ConfigureAwait(false);
            }
            if (_kind is JoinKind.Right or JoinKind.Full)
            {
                foreach (var held in rightNullKeys.Drain())
                {
                    foreach (var row in held.Rows) await EmitAsync(null, row, cancellationToken).ConfigureAwait(false);
                }
            }
            if (_builder is not null) await _builder.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            foreach (var part in (_leftParts ?? []).Concat(_rightParts ?? [])) part?.Dispose();
            _spill?.Dispose();
        }
    }

    private void Build(object?[] row, string rightName, List<object?[]> nullKeys)
    {
        var key = RowKey.Of(row, _rightKeys);
        if (key.HasNull)
        {
            // A NULL key matches nothing; a right or full join still writes the row, at the end.
            if (_kind is JoinKind.Right or JoinKind.Full) nullKeys.Add(row);
            return;
        }
        if (_rightParts is not null)
        {
            var p = key.Partition(Partitions);
            (_rightParts[p] ??= _spill!.CreateFile()).Write(row);
            return;
        }
        Add(key, row, rightName);
        if (_bytes <= _budget) return;
        if (!AllowSpill || Duplicates is not null)
            throw new StepException(ErrorKind.Configuration,
                $"The {(Duplicates is null ? "right" : "lookup")} input '{rightName}' of the {_stepType} step '{_context.StepId}' needs more than its memory budget of {MemoryBudget.Format(_budget)} " +
                $"({MemoryBudget.Option}). Raise {MemoryBudget.Option}" + (Duplicates is null ? ", put the smaller input on the right, or allow spilling to disk (spill: true)." : ", or use a join (which can spill to disk)."));
        // Past the budget: spread what is loaded, and the rest, over partitions on disk.
        _spill ??= SpillDirectory.Create(_context);
        _rightParts = new SpillWriter?[Partitions];
        _leftParts = new SpillWriter?[Partitions];
        foreach (var (bucketKey, bucket) in _buckets)
        {
            var writer = _rightParts[bucketKey.Partition(Partitions)] ??= _spill.CreateFile();
            foreach (var held in bucket.Rows) writer.Write(held);
        }
        _buckets.Clear();
        _bytes = 0;
    }

    private void Add(RowKey key, object?[] row, string rightName)
    {
        if (_buckets.TryGetValue(key, out var bucket))
        {
            switch (Duplicates)
            {
                case DuplicateKeys.Fail:
                    throw new StepException(ErrorKind.Validation,
                        $"The lookup input '{rightName}' has the key {ShowKey(key)} more than once; a lookup needs one row per key (duplicates: first or last picks one).");
                case DuplicateKeys.First:
                    return;
                case DuplicateKeys.Last:
                    bucket.Rows[0] = row;
                    return;
            }
            bucket.Rows.Add(row);
            _bytes += MemoryBudget.EstimateRow(row) + 8;
            return;
        }
        _buckets.Add(key, new Bucket(row));
        _bytes += MemoryBudget.EstimateRow(row) + key.EstimateSize() + 96;
    }

    private string ShowKey(RowKey key) => string.Join(", ", Enumerable.Range(0, key.Count).Select(i => $"{_rightOn[i]} = {Expressions.Values.Show(key[i])}"));

    private async ValueTask ProbeAsync(RecordBatch batch, CancellationToken cancellationToken)
    {
        foreach (var row in batch.Rows)
        {
            _leftRow++;
            var key = RowKey.Of(row, _leftKeys);
            if (!key.HasNull && _leftParts is not null)
            {
                (_leftParts[key.Partition(Partitions)] ??= _spill!.CreateFile()).Write(row);
                continue;
            }
            await ProbeRowAsync(row, key, cancellationToken).ConfigureAwait(false);
        }
    }

    private async ValueTask ProbeRowAsync(object?[] row, RowKey key, CancellationToken cancellationToken)
    {
        if (!key.HasNull && _buckets.TryGetValue(key, out var bucket))
        {
            bucket.Matched = true;
            foreach (var match in bucket.Rows) await EmitAsync(row, match, cancellationToken).ConfigureAwait(false);
            return;
        }
        Unmatched++;
        if (FailOnMissing)
            throw new StepException(ErrorKind.Validation,
                $"Row {_leftRow}: the lookup found no row for {string.Join(", ", _leftKeys.Select((c, i) => $"{_leftOn[i]} = {Expressions.Values.Show(row[c])}"))} (missing: keep or drop lets such rows through or drops them).");
        if (_kind is JoinKind.Left or JoinKind.Full) await EmitAsync(row, null, cancellationToken).ConfigureAwait(false);
    }

    private async Task JoinPartitionsAsync(CancellationToken cancellationToken)
    {
        for (var p = 0; p < Partitions; p++)
        {
            _buckets.Clear();
            _bytes = 0;
            if (_rightParts![p] is { } rightPart)
            {
                using var reader = rightPart.Finish();
                _rightParts[p] = null;
                while (reader.Read() is { } row)
                {
                    Add(RowKey.Of(row, _rightKeys), row, "");
                    if (_bytes > _budget)
                        throw new StepException(ErrorKind.Configuration,
                            $"One of the {Partitions} partitions of the right input of the {_stepType} step '{_context.StepId}' needs more than its memory budget of {MemoryBudget.Format(_budget)} ({MemoryBudget.Option}): too many rows share a key. Raise {MemoryBudget.Option}.");
                }
            }
            if (_leftParts![p] is { } leftPart)
            {
                using var reader = leftPart.Finish();
                _leftParts[p] = null;
                while (reader.Read() is { } row) await ProbeRowAsync(row, RowKey.Of(row, _leftKeys), cancellationToken).ConfigureAwait(false);
            }
            if (_kind is JoinKind.Right or JoinKind.Full) await EmitUnmatchedAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private async ValueTask EmitUnmatchedAsync(CancellationToken cancellationToken)
    {
        foreach (var bucket in _buckets.Values)
        {
            if (bucket.Matched) continue;
            foreach (var row in bucket.Rows) await EmitAsync(null, row, cancellationToken).ConfigureAwait(false);
        }
    }

    private ValueTask EmitAsync(object?[]? left, object?[]? right, CancellationToken cancellationToken)
    {
        if (_outSchema is null) CreateOutput();
        var result = new object?[_outSchema!.Count];
        if (left is not null) Array.Copy(left, result, left.Length);
        if (right is not null)
        {
            for (var j = 0; j < _rightMap.Length; j++)
            {
                if (_rightMap[j] >= 0) result[_rightMap[j]] = right[j];
            }
            if (left is null)
            {
                for (var k = 0; k < _coalesce.Length; k++)
                {
                    if (_coalesce[k] >= 0) result[_coalesce[k]] = right[_rightKeys[k]];
                }
            }
        }
        return _builder!.AddAsync(result, cancellationToken);
    }

    /// <summary>
    /// The output's columns: the left input's, then the right input's. A join drops a right key column that has the
    /// name of its left key (the left one holds the value, the right one's for right-only rows); a lookup drops the
    /// right keys and keeps only <see cref="Fields"/>. A right column whose name is taken gets <see cref="Suffix"/>.
    /// </summary>
    private void CreateOutput()
    {
        var fields = (_leftSchema?.Fields ?? []).ToList();
        var names = new HashSet<string>(fields.Select(f => f.Name), StringComparer.OrdinalIgnoreCase);
        _coalesce = new int[_rightOn.Count];
        Array.Fill(_coalesce, -1);
        var rightFields = _rightSchema?.Fields ?? (IReadOnlyList<RecordField>)(Fields ?? []).Select(f => new RecordField(f)).ToArray();
        _rightMap = new int[rightFields.Count];
        Array.Fill(_rightMap, -1);
        var keep = Fields?.ToHashSet(StringComparer.OrdinalIgnoreCase);
        if (keep is not null && _rightSchema is not null) Columns.FindAll(_rightSchema, Fields!, "fields");
        for (var j = 0; j < rightFields.Count; j++)
        {
            var field = rightFields[j];
            var keyIndex = _rightSchema is null ? -1 : Array.IndexOf(_rightKeys, j);
            if (Duplicates is not null)
            {
                // A lookup adds the chosen columns, or every column but its keys.
                if (keep is not null ? !keep.Contains(field.Name) : keyIndex >= 0) continue;
            }
            else if (keyIndex >= 0 && _leftSchema is not null && string.Equals(_leftOn[keyIndex], field.Name, StringComparison.OrdinalIgnoreCase))
            {
                _coalesce[keyIndex] = _leftKeys[keyIndex];
                continue;
            }
            var name = field.Name;
            if (!names.Add(name))
            {
                name += Suffix;
                if (!names.Add(name))
                    throw new StepException(ErrorKind.Configuration, $"The right column '{field.Name}' cannot be added as '{name}': that name is taken too; rename it first (select) or choose another suffix.");
            }
            _rightMap[j] = fields.Count;
            fields.Add(field with { Name = name });
        }
        if (_leftSchema is null && _kind is JoinKind.Right or JoinKind.Full)
        {
            // No left rows at all: the right-only rows still carry their keys.
            for (var k = 0; k < _rightKeys.Length; k++)
            {
                if (_rightMap[_rightKeys[k]] < 0)
                {
                    _rightMap[_rightKeys[k]] = fields.Count;
                    fields.Add(rightFields[_rightKeys[k]]);
                }
            }
        }
        _outSchema = new RecordSchema(fields);
        _builder = new RecordBatchBuilder(_output, _outSchema);
    }

    private sealed class Bucket(object?[] first)
    {
        public List<object?[]> Rows { get; } = [first];

        public bool Matched;
    }
}
