using System.Data.Common;
using System.Globalization;
using Pipeline.Core.Execution;
using Pipeline.Core.Observability;
using Pipeline.Core.Records;

namespace Pipeline.Core.Steps.Data.Sql;

/// <summary>
/// One run of <c>sql.write</c>: gathers input rows into batches and commits each batch with the load's progress in
/// one transaction. Every transaction covers a contiguous range of input rows (committed or rejected), so the
/// progress is always "the first N input rows are done" and a resumed load skips exactly N rows.
/// </summary>
internal sealed class SqlLoad : IAsyncDisposable
{
    private const int RejectsLoggedWithoutOutput = 10;

    private readonly StepContext _context;
    private readonly SqlDatabase _database;
    private readonly SqlLoadSettings _settings;
    private readonly SqlLoadProgress _progress;
    private readonly IRecordWriter? _rejectedOutput;
    private readonly Dictionary<RecordSchema, Plan> _plans = new(ReferenceEqualityComparer.Instance);
    private DbConnection? _connection;
    private IReadOnlyList<SqlColumn> _columns = [];
    private bool _tableExists;
    private RecordSchema? _pendingSchema;
    private List<object?[]> _pending = [];
    private long _skip;
    private long _read;
    private long _skipped;
    private long _written;
    private long _rejected;
    private long _retried;
    private long _batches;
    private long _bisected;

    public SqlLoad(StepContext context, SqlDatabase database, SqlLoadSettings settings, string loadId)
    {
        _context = context;
        _database = database;
        _settings = settings;
        _progress = new SqlLoadProgress(database, settings.ProgressTable, loadId, context.PipelineId, context.StepId, settings.Table.ToString());
        _rejectedOutput = context.GetOutput("rejected");
    }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        _connection = await _database.OpenAsync(cancellationToken).ConfigureAwait(false);
        await _progress.LoadAsync(_connection, cancellationToken).ConfigureAwait(false);
        _skip = _progress.RowsDone;
        _columns = await ColumnsAsync(cancellationToken).ConfigureAwait(false);
        _tableExists = _columns.Count > 0;
        if (!_tableExists && !_settings.Create && _settings.Mode != "replace")
            throw new StepException(ErrorKind.NotFound, $"The table '{_settings.Table}' does not exist in the {_database.Display} (set 'create: true' to create it from the records).");
        if (_tableExists && _settings.Mode == "upsert")
        {
            foreach (var key in _settings.Key)
            {
                if (!_columns.Any(c => string.Equals(c.Name, key, StringComparison.OrdinalIgnoreCase)))
                    throw new StepException(ErrorKind.Configuration, $"The key column '{key}' of the option 'key' is not a column of the table '{_settings.Table}' ({string.Join(", ", _columns.Select(c => c.Name))}).");
            }
        }
        if (_progress.Started)
        {
            _context.Log(LogLevel.Information,
                $"Resuming the load into '{_settings.Table}': an earlier attempt committed {_progress.RowsDone} input rows ({_progress.RowsWritten} written, {_progress.RowsRejected} rejected); they are skipped.");
        }
    }

    public async Task AddAsync(RecordBatch batch, CancellationToken cancellationToken)
    {
        var rows = batch.Rows;
        var first = 0;
        _read += rows.Count;
        if (_skip > 0)
        {
            var skipNow = (int)Math.Min(_skip, rows.Count);
            _skip -= skipNow;
            _skipped += skipNow;
            first = skipNow;
        }
        if (first >= rows.Count) return;
        if (_pendingSchema is not null && !ReferenceEquals(_pendingSchema, batch.Schema) && !_pendingSchema.SameAs(batch.Schema))
            await FlushAsync(cancellationToken).ConfigureAwait(false);
        if (_pendingSchema is null || !_pendingSchema.SameAs(batch.Schema)) _pendingSchema = batch.Schema;
        for (var i = first; i < rows.Count; i++)
        {
            _pending.Add(rows[i]);
            if (_pending.Count >= _settings.BatchSize) await FlushAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    public async Task CompleteAsync(CancellationToken cancellationToken)
    {
        await FlushAsync(cancellationToken).ConfigureAwait(false);
        if (_skip > 0)
        {
            throw new StepException(ErrorKind.Validation,
                $"The input has fewer rows ({_read}) than the earlier attempt of this load committed ({_progress.RowsDone}): resuming needs the same input in the same order.");
        }
        // Marks the load complete (and, for an empty input, empties or replaces the table as the mode says).
        await CommitAsync(plan: null, ArraySegment<Item>.Empty, cancellationToken, completed: true).ConfigureAwait(false);
        try
        {
            await _progress.PruneAsync(_connection!, cancellationToken).ConfigureAwait(false);
        }
        catch (DbException ex)
        {
            _context.Log(LogLevel.Warning, $"Could not remove the records of earlier loads from '{_settings.ProgressTable}': {SqlErrors.Describe(ex)}");
        }

        _context.Metrics.AddRows(_written);
        _context.SetOutput("rows_read", _read);
        _context.SetOutput("rows_skipped", _skipped);
        _context.SetOutput("rows_written", _written);
        _context.SetOutput("rows_rejected", _rejected);
        _context.SetOutput("rows_retried", _retried);
        _context.SetOutput("batches", _batches);
        _context.SetOutput("batches_bisected", _bisected);
        _context.SetOutput("load_rows_written", _progress.RowsWritten);
        _context.SetOutput("load_rows_rejected", _progress.RowsRejected);
        var resumed = _skipped > 0 ? $", after {_skipped} rows an earlier attempt loaded" : "";
        _context.Log(_rejected > 0 ? LogLevel.Warning : LogLevel.Information,
            $"Loaded {_written} of {_read - _skipped} rows into '{_settings.Table}' ({_settings.Mode}) in the {_database.Display} in {_batches} transactions{resumed}" +
            (_rejected > 0 ? $"; {_rejected} rejected." : ".") + (_retried > 0 ? $" {_retried} rows were retried." : ""));
    }

    public async ValueTask DisposeAsync()
    {
        if (_connection is not null) await _connection.DisposeAsync().ConfigureAwait(false);
    }

    private async Task FlushAsync(CancellationToken cancellationToken)
    {
        if (_pending.Count == 0) return;
        var rows = _pending;
        _pending = new List<object?[]>(Math.Min(_settings.BatchSize, 4096));
        var plan = PlanFor(_pendingSchema!, rows);
        var items = new Item[rows.Count];
        for (var i = 0; i < rows.Count; i++) items[i] = plan.Convert(rows[i]);
        await LoadRangeAsync(plan, items, top: true, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Commits a range of input rows; when the database refuses them because of some row, halves the range
    /// until each refused row stands alone, and rejects those.</summary>
    private async Task LoadRangeAsync(Plan plan, ArraySegment<Item> items, bool top, CancellationToken cancellationToken)
    {
        try
        {
            await CommitAsync(plan, items, cancellationToken).ConfigureAwait(false);
            return;
        }
        catch (SqlRowsRefusedException refused)
        {
            if (items.Count(i => i.Error is null) <= 1)
            {
                var bad = items.First(i => i.Error is null);
                bad.Error = SqlErrors.Describe(refused.InnerException!);
                await CommitAsync(plan, items, cancellationToken).ConfigureAwait(false);
                return;
            }
            if (top) _bisected++;
            _context.Log(LogLevel.Verbose, $"The database refused a batch of {items.Count} rows ({SqlErrors.Describe(refused.InnerException!)}); loading it in halves to find the rows.");
        }
        var half = items.Count / 2;
        await LoadRangeAsync(plan, items[..half], top: false, cancellationToken).ConfigureAwait(false);
        await LoadRangeAsync(plan, items[half..], top: false, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// One transaction: the table's preparation (first transaction of the load only), the rows without an error, and
    /// the progress for every row of the range. Rejected rows are sent to the rejected output before it commits
    /// (so a crash can repeat a rejection, never lose one). Retries passing failures with backoff.
    /// </summary>
    private async Task CommitAsync(Plan? plan, ArraySegment<Item> items, CancellationToken cancellationToken, bool completed = false)
    {
        var good = new List<object?[]>(items.Count);
        var rejected = 0;
        foreach (var item in items)
        {
            if (item.Error is null)
            {
                good.Add(item.Values!);
                continue;
            }
            rejected++;
            if (!item.Reported)
            {
                await RejectAsync(item, cancellationToken).ConfigureAwait(false);
                item.Reported = true;
            }
        }
        for (var attempt = 0; ; attempt++)
        {
            DbTransaction? transaction = null;
            try
            {
                if (_connection is null || _connection.State != System.Data.ConnectionState.Open)
                {
                    if (_connection is not null) await _connection.DisposeAsync().ConfigureAwait(false);
                    _connection = null;
                    _connection = await _database.OpenAsync(cancellationToken).ConfigureAwait(false);
                }
                transaction = await _connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
                if (!_progress.Started) await PrepareAsync(plan, transaction, cancellationToken).ConfigureAwait(false);
                if (good.Count > 0) await plan!.Writer.WriteAsync(_connection, transaction, good, cancellationToken).ConfigureAwait(false);
                await _progress.AddAsync(_connection, transaction, items.Count, good.Count, rejected, completed, _context.Time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
                var prepared = !_progress.Started;
                _progress.Committed(items.Count, good.Count, rejected);
                if (prepared && plan is { CreatedColumns.Count: > 0 })
                {
                    _columns = plan.CreatedColumns;
                    _tableExists = true;
                }
                _written += good.Count;
                _rejected += rejected;
                if (items.Count > 0) _batches++;
                break;
            }
            catch (Exception ex) when (ex is DbException or IOException or TimeoutException or InvalidOperationException or System.Net.Sockets.SocketException
                                           or StepException { Kind: ErrorKind.Transient })
            {
                await RollBackAsync(transaction).ConfigureAwait(false);
                cancellationToken.ThrowIfCancellationRequested();
                if (SqlErrors.IsAboutRows(ex) && good.Count > 0) throw new SqlRowsRefusedException(ex);
                if (!SqlErrors.IsTransient(ex) && !(ex is InvalidOperationException && _connection?.State != System.Data.ConnectionState.Open))
                {
                    if (ex is StepException) throw;
                    throw ex is DbException db ? SqlErrors.OnWrite(db, _database, $"load rows into '{_settings.Table}'") : ex;
                }
                if (attempt >= _settings.Retries)
                {
                    throw new StepException(ErrorKind.Transient,
                        $"A batch of {items.Count} rows for '{_settings.Table}' failed {attempt + 1} times in the {_database.Display}: {SqlErrors.Describe(ex)}", ex);
                }
                var delay = TimeSpan.FromTicks(_settings.RetryDelay.Ticks * (1L << Math.Min(attempt, 20)));
                _retried += good.Count;
                _context.Log(LogLevel.Warning,
                    $"A batch of {items.Count} rows for '{_settings.Table}' failed ({SqlErrors.Describe(ex)}); retrying in {Definitions.Duration.Format(delay)} (retry {attempt + 1} of {_settings.Retries}).");
                if (delay > TimeSpan.Zero) await Task.Delay(delay, _context.Time, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                if (transaction is not null) await transaction.DisposeAsync().ConfigureAwait(false);
            }
        }
        if (_settings.MaxRejected >= 0 && _rejected > _settings.MaxRejected)
            throw new StepException(ErrorKind.Validation, $"{_rejected} rows were rejected, more than 'max_rejected' ({_settings.MaxRejected}) allows; the rows before them are loaded.");
        if (items.Count > 0)
            await _context.Checkpoints.SaveAsync("rows_done", _progress.RowsDone.ToString(CultureInfo.InvariantCulture), cancellationToken).ConfigureAwait(false);
    }

    private static async Task RollBackAsync(DbTransaction? transaction)
    {
        if (transaction is null) return;
        try
        {
            await transaction.RollbackAsync(CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is DbException or InvalidOperationException or IOException)
        {
            // The connection is gone; the server rolls the transaction back itself.
        }
    }

    /// <summary>What the first transaction of a load does to the table before its rows.</summary>
    private async Task PrepareAsync(Plan? plan, DbTransaction transaction, CancellationToken cancellationToken)
    {
        var dialect = _database.Dialect;
        var table = dialect.QuoteTable(_settings.Table);
        var statements = new List<string>();
        switch (_settings.Mode)
        {
            case "replace" when plan is not null:
                if (_tableExists) statements.Add("DROP TABLE " + table);
                statements.Add(dialect.CreateTable(_settings.Table, plan.Created, _settings.Key));
                break;
            case "truncate" or "replace" when _tableExists:
                statements.Add(dialect.Truncate(_settings.Table));
                break;
            case "append" or "upsert" or "truncate" when !_tableExists && plan is not null:
                statements.Add(dialect.CreateTable(_settings.Table, plan.Created, _settings.Mode == "upsert" ? _settings.Key : []));
                break;
        }
        foreach (var sql in statements)
        {
            await using var command = transaction.Connection!.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = sql;
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        if (plan is not null && statements.Any(s => s.StartsWith("CREATE", StringComparison.Ordinal)))
            _context.Log(LogLevel.Information, $"Created the table '{_settings.Table}' ({string.Join(", ", plan.Created.Select(f => $"{f.Name} {dialect.ColumnType(f.Type)}"))}).");
    }

    private async Task RejectAsync(Item item, CancellationToken cancellationToken)
    {
        if (_rejectedOutput is not null)
        {
            var schema = item.Plan.RejectedSchema;
            var row = new object?[schema.Count];
            Array.Copy(item.Row, row, item.Row.Length);
            row[^1] = item.Error;
            await _rejectedOutput.WriteAsync(new RecordBatch(schema, [row]), cancellationToken).ConfigureAwait(false);
        }
        else if (_rejected < RejectsLoggedWithoutOutput)
        {
            _context.Log(LogLevel.Warning, $"Rejected a row for '{_settings.Table}': {item.Error}.");
        }
    }

    private async Task<IReadOnlyList<SqlColumn>> ColumnsAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await _database.Dialect.ColumnsAsync(_connection!, null, _settings.Table, cancellationToken).ConfigureAwait(false);
        }
        catch (DbException ex)
        {
            cancellationToken.ThrowIfCancellationRequested();
            throw SqlErrors.OnWrite(ex, _database, $"read the columns of '{_settings.Table}'");
        }
    }

    private Plan PlanFor(RecordSchema schema, IReadOnlyList<object?[]> rows)
    {
        if (_plans.TryGetValue(schema, out var known)) return known;
        // The load's first transaction creates the table when it is missing, or replaces it.
        var creating = !_progress.Started && (_settings.Mode == "replace" || !_tableExists);
        IReadOnlyList<RecordField> created = [];
        IReadOnlyList<SqlColumn> columns = _columns;
        if (creating)
        {
            created = schema.Fields.Select((f, i) => f.Type != FieldType.Any ? f : f with { Type = Infer(rows, i) }).ToArray();
            columns = created.Select(f => new SqlColumn(f.Name, _database.Dialect.ColumnType(f.Type), f.Type,
                _settings.Key.Contains(f.Name, StringComparer.OrdinalIgnoreCase))).ToArray();
        }
        var targets = new List<SqlColumn>(schema.Count);
        var fields = new List<int>(schema.Count);
        for (var i = 0; i < schema.Count; i++)
        {
            var name = schema.Fields[i].Name;
            var column = columns.FirstOrDefault(c => string.Equals(c.Name, name, StringComparison.Ordinal))
                         ?? columns.FirstOrDefault(c => string.Equals(c.Name, name, StringComparison.OrdinalIgnoreCase))
                         ?? throw new StepException(ErrorKind.Configuration,
                             $"The table '{_settings.Table}' has no column '{name}' for the record field of that name (its columns: {string.Join(", ", columns.Select(c => c.Name))}).");
            targets.Add(column);
            fields.Add(i);
        }
        foreach (var key in _settings.Mode == "upsert" ? _settings.Key : [])
        {
            if (!targets.Any(t => string.Equals(t.Name, key, StringComparison.OrdinalIgnoreCase)))
                throw new StepException(ErrorKind.Configuration, $"The records have no field for the key column '{key}' of the option 'key'.");
        }
        var method = _settings.Mode == "upsert" ? SqlWriteMethod.Upsert
            : _settings.Copy && _database.Provider == SqlProvider.Postgres ? SqlWriteMethod.Copy
            : SqlWriteMethod.Insert;
        var key2 = _settings.Key.Select(k => targets.First(t => string.Equals(t.Name, k, StringComparison.OrdinalIgnoreCase)).Name).ToArray();
        var writer = new SqlTableWriter(_database, _settings.Table, targets, _settings.Mode == "upsert" ? key2 : [], method);
        var errorName = schema.IndexOf("error") < 0 ? "error" : "sql_error";
        var rejectedSchema = new RecordSchema(schema.Fields.Append(new RecordField(errorName, FieldType.String)));
        var plan = new Plan(_database.Provider, fields.ToArray(), targets.ToArray(), writer, created, creating ? columns : [], rejectedSchema);
        _plans[schema] = plan;
        return plan;
    }

    /// <summary>The type of an untyped field, from its first value.</summary>
    private static FieldType Infer(IReadOnlyList<object?[]> rows, int field)
    {
        foreach (var row in rows)
        {
            var type = SqlTypes.OfValue(row[field]);
            if (row[field] is not null) return type == FieldType.Any ? FieldType.String : type;
        }
        return FieldType.String;
    }

    /// <summary>How the fields of one record schema map onto the table's columns.</summary>
    private sealed class Plan(SqlProvider provider, int[] fields, SqlColumn[] columns, SqlTableWriter writer, IReadOnlyList<RecordField> created,
        IReadOnlyList<SqlColumn> createdColumns, RecordSchema rejectedSchema)
    {
        /// <summary>The table's columns once this plan created it, else empty.</summary>
        public IReadOnlyList<SqlColumn> CreatedColumns { get; } = createdColumns;

        public SqlTableWriter Writer { get; } = writer;

        /// <summary>The fields of the table this plan creates (replace, or a missing table), else empty.</summary>
        public IReadOnlyList<RecordField> Created { get; } = created;

        public RecordSchema RejectedSchema { get; } = rejectedSchema;

        public Item Convert(object?[] row)
        {
            var values = new object?[columns.Length];
            for (var i = 0; i < columns.Length; i++)
            {
                if (!SqlTypes.TryWrite(row[fields[i]], columns[i], provider, out values[i], out var error))
                    return new Item(this, row, null) { Error = error };
            }
            return new Item(this, row, values);
        }
    }

    /// <summary>One input row: its values for the table, or why it cannot be loaded.</summary>
    private sealed class Item(Plan plan, object?[] row, object?[]? values)
    {
        public Plan Plan { get; } = plan;

        public object?[] Row { get; } = row;

        public object?[]? Values { get; } = values;

        public string? Error { get; set; }

        public bool Reported { get; set; }
    }
}

/// <summary>The database refused a batch because of some of its rows (a constraint, a value a column refuses).</summary>
internal sealed class SqlRowsRefusedException(Exception inner) : Exception(inner.Message, inner);
