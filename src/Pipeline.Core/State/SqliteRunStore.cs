using System.Collections.Concurrent;
using System.Text;
using Microsoft.Data.Sqlite;

namespace Pipeline.Core.State;

/// <summary>
/// The embedded run store: one SQLite file (by default at <see cref="StateLocation.GetDatabasePath()"/>) shared by
/// every process of the user. The database runs in WAL mode; every write is its own immediate transaction, so that
/// run slots are taken atomically across processes. Times are stored and returned in UTC.
/// </summary>
public sealed class SqliteRunStore : IRunStore
{
    /// <summary>How often a held run lock heart-beats unless told otherwise.</summary>
    public static readonly TimeSpan DefaultHeartbeatInterval = TimeSpan.FromSeconds(5);

    /// <summary>How long a lock may go without a heartbeat before another run takes it over, unless told otherwise.</summary>
    public static readonly TimeSpan DefaultHeartbeatTimeout = TimeSpan.FromSeconds(30);

    // Every transaction here is a few statements long: a writer that waits this long for another has met a stuck process.
    private const int BusyTimeoutMilliseconds = 10_000;

    private readonly string _connectionString;
    private readonly ConcurrentDictionary<SqliteRunLock, byte> _heldLocks = new();
    private readonly SemaphoreSlim _attemptGate = new(1, 1);
    private AttemptWriter? _attemptWriter;
    private int _disposed;

    /// <summary>Opens (creating if needed) the run store database at a path and brings its schema up to date.</summary>
    /// <param name="databasePath">The database file; its directory is created if missing.</param>
    /// <param name="timeProvider">The clock for heartbeats and takeovers; the system clock by default.</param>
    /// <param name="heartbeatInterval">How often a held lock heart-beats; <see cref="DefaultHeartbeatInterval"/> by default.</param>
    /// <param name="heartbeatTimeout">How long without a heartbeat before a lock is taken over; longer than the
    /// interval; <see cref="DefaultHeartbeatTimeout"/> by default.</param>
    public SqliteRunStore(string databasePath, TimeProvider? timeProvider = null, TimeSpan? heartbeatInterval = null, TimeSpan? heartbeatTimeout = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(databasePath);
        HeartbeatInterval = heartbeatInterval ?? DefaultHeartbeatInterval;
        HeartbeatTimeout = heartbeatTimeout ?? DefaultHeartbeatTimeout;
        if (HeartbeatInterval <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(heartbeatInterval), HeartbeatInterval, "The heartbeat interval must be positive.");
        }
        if (HeartbeatTimeout <= HeartbeatInterval)
        {
            throw new ArgumentOutOfRangeException(nameof(heartbeatTimeout), HeartbeatTimeout,
                $"The heartbeat timeout must be longer than the heartbeat interval ({HeartbeatInterval}).");
        }
        TimeProvider = timeProvider ?? TimeProvider.System;
        DatabasePath = Path.GetFullPath(databasePath);
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = DatabasePath,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = true,
        }.ToString();
        Initialize();
    }

    /// <summary>The database file.</summary>
    public string DatabasePath { get; }

    /// <summary>How often a held lock heart-beats.</summary>
    public TimeSpan HeartbeatInterval { get; }

    /// <summary>How long a lock may go without a heartbeat before another run takes it over.</summary>
    public TimeSpan HeartbeatTimeout { get; }

    internal TimeProvider TimeProvider { get; }

    /// <inheritdoc />
    public async Task<RunLock> AcquireLockAsync(string pipelineId, string runId, int concurrency, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(pipelineId);
        ArgumentException.ThrowIfNullOrEmpty(runId);
        ArgumentOutOfRangeException.ThrowIfLessThan(concurrency, 1);
        var host = Environment.MachineName;
        var processId = Environment.ProcessId;
        var token = Guid.NewGuid().ToString("N");
        int slot;
        var takenOver = new List<string>();

        using (var connection = await OpenAsync(cancellationToken).ConfigureAwait(false))
        using (var transaction = connection.BeginTransaction(deferred: false))
        {
            var now = TimeProvider.GetUtcNow();
            var live = new List<(int Slot, RunLockHolder Holder)>();
            var dead = new List<(int Slot, RunLockHolder Holder, string Reason)>();
            foreach (var (heldSlot, holder) in ReadHolders(connection, pipelineId))
            {
                if (holder.RunId == runId)
                {
                    throw new InvalidOperationException($"Run '{runId}' already holds a slot of pipeline '{pipelineId}'.");
                }
                var reason = WhyDead(holder, now);
                if (reason is null) live.Add((heldSlot, holder));
                else dead.Add((heldSlot, holder, reason));
            }
            if (live.Count >= concurrency)
            {
                throw new RunLockedException(pipelineId, live.Select(h => h.Holder).ToList());
            }

            foreach (var (deadSlot, holder, reason) in dead)
            {
                Execute(connection, "DELETE FROM run_locks WHERE pipeline_id = $pipeline AND slot = $slot",
                    ("$pipeline", pipelineId), ("$slot", deadSlot));
                Execute(connection, """
                    UPDATE runs SET status = $abandoned, ended_at = $ended, error = $error
                    WHERE run_id = $run AND status IN ($running, $pending)
                    """,
                    ("$abandoned", SqliteValues.ToText(RunStatus.Abandoned)),
                    ("$ended", SqliteValues.ToText(holder.HeartbeatAt)),
                    ("$error", $"Abandoned: {reason}; run {runId} took over its slot at {now:u}."),
                    ("$run", holder.RunId),
                    ("$running", SqliteValues.ToText(RunStatus.Running)),
                    ("$pending", SqliteValues.ToText(RunStatus.Pending)));
                takenOver.Add(holder.RunId);
            }

            var usedSlots = live.Select(h => h.Slot).ToHashSet();
            slot = 0;
            while (usedSlots.Contains(slot)) slot++;
            Execute(connection, """
                INSERT INTO run_locks (pipeline_id, slot, run_id, host, process_id, acquired_at, heartbeat_at, lock_token)
                VALUES ($pipeline, $slot, $run, $host, $pid, $now, $now, $token)
                """,
                ("$pipeline", pipelineId), ("$slot", slot), ("$run", runId), ("$host", host), ("$pid", processId),
                ("$now", SqliteValues.ToText(now)), ("$token", token));
            transaction.Commit();
        }

        var runLock = new SqliteRunLock(this, pipelineId, runId, slot, token) { TakenOverFrom = takenOver };
        _heldLocks.TryAdd(runLock, 0);
        if (Volatile.Read(ref _disposed) != 0)
        {
            await runLock.DisposeAsync().ConfigureAwait(false);
            throw new ObjectDisposedException(nameof(SqliteRunStore));
        }
        runLock.StartHeartbeat();
        return runLock;
    }

    /// <summary>Records a new run with status <see cref="RunStatus.Running"/>, whatever the record's status, end and error say.</summary>
    public async Task StartRunAsync(RunRecord run, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentException.ThrowIfNullOrEmpty(run.RunId, nameof(run) + "." + nameof(RunRecord.RunId));
        ArgumentException.ThrowIfNullOrEmpty(run.PipelineId, nameof(run) + "." + nameof(RunRecord.PipelineId));
        try
        {
            await WriteAsync(connection => Execute(connection, """
                INSERT INTO runs (run_id, pipeline_id, status, started_at, ended_at, variables_json, definition_path,
                                  definition_text, resumed_from, error, host, process_id)
                VALUES ($run, $pipeline, $status, $started, NULL, $variables, $path, $text, $resumed, NULL, $host, $pid)
                """,
                ("$run", run.RunId), ("$pipeline", run.PipelineId), ("$status", SqliteValues.ToText(RunStatus.Running)),
                ("$started", SqliteValues.ToText(run.StartedAt)), ("$variables", SqliteValues.ToJson(run.Variables)),
                ("$path", run.DefinitionPath), ("$text", run.DefinitionText), ("$resumed", run.ResumedFrom),
                ("$host", run.Host), ("$pid", run.ProcessId)), cancellationToken).ConfigureAwait(false);
        }
        catch (SqliteException ex) when (ex.SqliteExtendedErrorCode == SqliteConstraintPrimaryKey)
        {
            throw new InvalidOperationException($"Run '{run.RunId}' is already recorded in the run store '{DatabasePath}'.", ex);
        }
    }

    /// <inheritdoc />
    public async Task FinishRunAsync(string runId, RunStatus status, DateTimeOffset endedAt, string? error, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(runId);
        var changed = await WriteAsync(connection => Execute(connection,
            "UPDATE runs SET status = $status, ended_at = $ended, error = $error WHERE run_id = $run",
            ("$status", SqliteValues.ToText(status)), ("$ended", SqliteValues.ToText(endedAt)), ("$error", error),
            ("$run", runId)), cancellationToken).ConfigureAwait(false);
        if (changed == 0) throw UnknownRun(runId, "finish it");
    }

    /// <inheritdoc />
    public Task RecordAttemptAsync(StepAttemptRecord attempt, CancellationToken cancellationToken = default) =>
        RecordAttemptsAsync([attempt], cancellationToken);

    /// <inheritdoc />
    public async Task RecordAttemptsAsync(IReadOnlyList<StepAttemptRecord> attempts, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(attempts);
        foreach (var each in attempts)
        {
            ArgumentNullException.ThrowIfNull(each, nameof(attempts));
            ArgumentException.ThrowIfNullOrEmpty(each.RunId, "attempt." + nameof(StepAttemptRecord.RunId));
            ArgumentException.ThrowIfNullOrEmpty(each.StepId, "attempt." + nameof(StepAttemptRecord.StepId));
        }
        if (attempts.Count == 0) return;
        var current = attempts[0];
        try
        {
            await _attemptGate.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
                // A run records every step's attempts through one connection and one prepared upsert kept for the
                // store's life: opening a pooled connection, setting its pragmas and preparing the statement cost
                // more than the insert, and a sequential run writes about one attempt per transaction.
                _attemptWriter ??= AttemptWriter.Open(Open());
                try
                {
                    _attemptWriter.Write(attempts, a => current = a);
                }
                catch
                {
                    _attemptWriter.Dispose();
                    _attemptWriter = null;
                    throw;
                }
            }
            finally
            {
                _attemptGate.Release();
            }
        }
        catch (SqliteException ex) when (ex.SqliteExtendedErrorCode == SqliteConstraintForeignKey)
        {
            throw UnknownRun(current.RunId, $"record an attempt of step '{current.StepId}'", ex);
        }
    }

    private const string InsertAttemptSql = """
        INSERT INTO step_attempts (run_id, step_id, attempt, is_rollback, status, started_at, ended_at,
                                   error_kind, error_message, rows, bytes, metrics_json)
        VALUES ($run, $step, $attempt, $rollback, $status, $started, $ended, $kind, $message, $rows, $bytes, $metrics)
        ON CONFLICT (run_id, step_id, attempt, is_rollback) DO UPDATE SET
            status = excluded.status, started_at = excluded.started_at, ended_at = excluded.ended_at,
            error_kind = excluded.error_kind, error_message = excluded.error_message, rows = excluded.rows,
            bytes = excluded.bytes, metrics_json = excluded.metrics_json
        """;

    private static readonly string[] AttemptParameters =
        ["$run", "$step", "$attempt", "$rollback", "$status", "$started", "$ended", "$kind", "$message", "$rows", "$bytes", "$metrics"];

    /// <summary>One connection and one prepared upsert that record attempts, a batch per immediate transaction.</summary>
    private sealed class AttemptWriter : IDisposable
    {
        private readonly SqliteConnection _connection;
        private readonly SqliteCommand _insert;

        private AttemptWriter(SqliteConnection connection, SqliteCommand insert) => (_connection, _insert) = (connection, insert);

        public static AttemptWriter Open(SqliteConnection connection)
        {
            try
            {
                var insert = Command(connection, InsertAttemptSql, AttemptParameters.Select(name => (name, (object?)null)).ToArray());
                insert.Prepare();
                return new AttemptWriter(connection, insert);
            }
            catch
            {
                connection.Dispose();
                throw;
            }
        }

        /// <summary>Writes the batch in one transaction, telling <paramref name="writing"/> each attempt first.</summary>
        public void Write(IReadOnlyList<StepAttemptRecord> attempts, Action<StepAttemptRecord> writing)
        {
            using var transaction = _connection.BeginTransaction(deferred: false);
            _insert.Transaction = transaction;
            foreach (var attempt in attempts)
            {
                writing(attempt);
                SetAttempt(_insert.Parameters, attempt);
                _insert.ExecuteNonQuery();
            }
            transaction.Commit();
            _insert.Transaction = null;
        }

        public void Dispose()
        {
            _insert.Dispose();
            _connection.Dispose();
        }
    }

    private static void SetAttempt(SqliteParameterCollection parameters, StepAttemptRecord attempt)
    {
        object?[] values =
        [
            attempt.RunId, attempt.StepId, attempt.Attempt, attempt.IsRollback ? 1 : 0, SqliteValues.ToText(attempt.Status),
            SqliteValues.ToText(attempt.StartedAt), SqliteValues.ToText(attempt.EndedAt), attempt.ErrorKind, attempt.ErrorMessage,
            attempt.Rows, attempt.Bytes, attempt.MetricsJson,
        ];
        for (var i = 0; i < values.Length; i++) parameters[i].Value = values[i] ?? DBNull.Value;
    }

    /// <inheritdoc />
    public async Task<RunRecord?> GetRunAsync(string runId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(runId);
        var runs = await ReadRunsAsync(RunColumns + " WHERE run_id = $run", [("$run", runId)], cancellationToken).ConfigureAwait(false);
        return runs.Count == 0 ? null : runs[0];
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<RunRecord>> GetRunsAsync(RunQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        if (query.Limit < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(query), query.Limit, "The query's limit must be at least 1.");
        }
        var sql = new StringBuilder(RunColumns);
        var parameters = new List<(string, object?)>();
        var conditions = new List<string>();
        if (query.PipelineId is not null)
        {
            conditions.Add("pipeline_id = $pipeline");
            parameters.Add(("$pipeline", query.PipelineId));
        }
        if (query.Status is { } status)
        {
            conditions.Add("status = $status");
            parameters.Add(("$status", SqliteValues.ToText(status)));
        }
        if (query.Since is { } since)
        {
            conditions.Add("started_at >= $since");
            parameters.Add(("$since", SqliteValues.ToText(since)));
        }
        if (conditions.Count > 0) sql.Append(" WHERE ").AppendJoin(" AND ", conditions);
        sql.Append(" ORDER BY started_at DESC, rowid DESC LIMIT $limit");
        parameters.Add(("$limit", query.Limit));
        return ReadRunsAsync(sql.ToString(), parameters, cancellationToken);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<StepAttemptRecord>> GetAttemptsAsync(string runId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(runId);
        using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        using var command = Command(connection, """
            SELECT run_id, step_id, attempt, is_rollback, status, started_at, ended_at, error_kind, error_message,
                   rows, bytes, metrics_json
            FROM step_attempts WHERE run_id = $run ORDER BY started_at, rowid
            """, ("$run", runId));
        using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var attempts = new List<StepAttemptRecord>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            attempts.Add(new StepAttemptRecord
            {
                RunId = reader.GetString(0),
                StepId = reader.GetString(1),
                Attempt = reader.GetInt32(2),
                IsRollback = reader.GetInt64(3) != 0,
                Status = SqliteValues.ReadStatus(reader, 4),
                StartedAt = SqliteValues.ReadTime(reader, 5),
                EndedAt = SqliteValues.ReadOptionalTime(reader, 6),
                ErrorKind = SqliteValues.ReadOptionalString(reader, 7),
                ErrorMessage = SqliteValues.ReadOptionalString(reader, 8),
                Rows = reader.GetInt64(9),
                Bytes = reader.GetInt64(10),
                MetricsJson = SqliteValues.ReadOptionalString(reader, 11),
            });
        }
        return attempts;
    }

    /// <inheritdoc />
    public async Task SaveCheckpointAsync(string runId, string stepId, string key, string value, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(runId);
        ArgumentException.ThrowIfNullOrEmpty(stepId);
        ArgumentException.ThrowIfNullOrEmpty(key);
        ArgumentNullException.ThrowIfNull(value);
        try
        {
            await WriteAsync(connection => Execute(connection, """
                INSERT INTO checkpoints (run_id, step_id, key, value, updated_at) VALUES ($run, $step, $key, $value, $now)
                ON CONFLICT (run_id, step_id, key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at
                """,
                ("$run", runId), ("$step", stepId), ("$key", key), ("$value", value),
                ("$now", SqliteValues.ToText(TimeProvider.GetUtcNow()))), cancellationToken).ConfigureAwait(false);
        }
        catch (SqliteException ex) when (ex.SqliteExtendedErrorCode == SqliteConstraintForeignKey)
        {
            throw UnknownRun(runId, $"save checkpoint '{key}' of step '{stepId}'", ex);
        }
    }

    /// <inheritdoc />
    public async Task<string?> GetCheckpointAsync(string runId, string stepId, string key, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(runId);
        ArgumentException.ThrowIfNullOrEmpty(stepId);
        ArgumentException.ThrowIfNullOrEmpty(key);
        using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        using var command = Command(connection,
            "SELECT value FROM checkpoints WHERE run_id = $run AND step_id = $step AND key = $key",
            ("$run", runId), ("$step", stepId), ("$key", key));
        return (string?)await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public Task SetWatermarkAsync(string pipelineId, string name, string value, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(pipelineId);
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(value);
        return WriteAsync(connection => Execute(connection, """
            INSERT INTO watermarks (pipeline_id, name, value, updated_at) VALUES ($pipeline, $name, $value, $now)
            ON CONFLICT (pipeline_id, name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at
            """,
            ("$pipeline", pipelineId), ("$name", name), ("$value", value),
            ("$now", SqliteValues.ToText(TimeProvider.GetUtcNow()))), cancellationToken);
    }

    /// <inheritdoc />
    public async Task<string?> GetWatermarkAsync(string pipelineId, string name, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(pipelineId);
        ArgumentException.ThrowIfNullOrEmpty(name);
        using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        using var command = Command(connection,
            "SELECT value FROM watermarks WHERE pipeline_id = $pipeline AND name = $name",
            ("$pipeline", pipelineId), ("$name", name));
        return (string?)await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Releases every lock still held through this store, then closes the database.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        await _attemptGate.WaitAsync().ConfigureAwait(false);
        try
        {
            _attemptWriter?.Dispose();
            _attemptWriter = null;
        }
        finally
        {
            _attemptGate.Release();
        }
        List<Exception>? failures = null;
        foreach (var runLock in _heldLocks.Keys)
        {
            try
            {
                await runLock.DisposeAsync().ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                (failures ??= []).Add(ex);
            }
        }
        ClearPool();
        if (failures is not null)
        {
            throw new AggregateException($"Could not release every run lock held in the run store '{DatabasePath}'.", failures);
        }
    }

    /// <summary>Moves a held lock's heartbeat to now; false when its row is gone (another run took the slot over).</summary>
    internal bool Heartbeat(SqliteRunLock runLock)
    {
        using var connection = Open();
        using var transaction = connection.BeginTransaction(deferred: false);
        var changed = Execute(connection, """
            UPDATE run_locks SET heartbeat_at = $now
            WHERE pipeline_id = $pipeline AND slot = $slot AND lock_token = $token
            """,
            ("$now", SqliteValues.ToText(TimeProvider.GetUtcNow())), ("$pipeline", runLock.PipelineId),
            ("$slot", runLock.Slot), ("$token", runLock.Token));
        transaction.Commit();
        return changed == 1;
    }

    /// <summary>
    /// Deletes a lock's row (only its own: a takeover may have given the slot to another run). Works while the store
    /// is being disposed, which releases the locks still held.
    /// </summary>
    internal void Release(SqliteRunLock runLock)
    {
        _heldLocks.TryRemove(runLock, out _);
        using var connection = Open();
        using var transaction = connection.BeginTransaction(deferred: false);
        Execute(connection, "DELETE FROM run_locks WHERE pipeline_id = $pipeline AND slot = $slot AND lock_token = $token",
            ("$pipeline", runLock.PipelineId), ("$slot", runLock.Slot), ("$token", runLock.Token));
        transaction.Commit();
    }

    private const int SqliteConstraintPrimaryKey = 1555;
    private const int SqliteConstraintForeignKey = 787;

    private const string RunColumns = """
        SELECT run_id, pipeline_id, status, started_at, ended_at, variables_json, definition_path, definition_text,
               resumed_from, error, host, process_id
        FROM runs
        """;

    private string? WhyDead(RunLockHolder holder, DateTimeOffset now)
    {
        if (now - holder.HeartbeatAt > HeartbeatTimeout)
        {
            return $"its process {holder.ProcessId} on {holder.Host} last heart-beat at {holder.HeartbeatAt:u}, " +
                   $"more than {HeartbeatTimeout.TotalSeconds:0.###} s before";
        }
        if (string.Equals(holder.Host, Environment.MachineName, StringComparison.OrdinalIgnoreCase) &&
            !ProcessLiveness.Exists(holder.ProcessId))
        {
            return $"its process {holder.ProcessId} on {holder.Host} no longer exists (last heartbeat {holder.HeartbeatAt:u})";
        }
        return null;
    }

    private static List<(int Slot, RunLockHolder Holder)> ReadHolders(SqliteConnection connection, string pipelineId)
    {
        using var command = Command(connection, """
            SELECT slot, run_id, host, process_id, acquired_at, heartbeat_at
            FROM run_locks WHERE pipeline_id = $pipeline ORDER BY slot
            """, ("$pipeline", pipelineId));
        using var reader = command.ExecuteReader();
        var holders = new List<(int, RunLockHolder)>();
        while (reader.Read())
        {
            holders.Add((reader.GetInt32(0), new RunLockHolder(
                reader.GetString(1), reader.GetString(2), reader.GetInt32(3),
                SqliteValues.ReadTime(reader, 4), SqliteValues.ReadTime(reader, 5))));
        }
        return holders;
    }

    private async Task<IReadOnlyList<RunRecord>> ReadRunsAsync(string sql, IReadOnlyList<(string, object?)> parameters, CancellationToken cancellationToken)
    {
        using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        using var command = Command(connection, sql, [.. parameters]);
        using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var runs = new List<RunRecord>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            runs.Add(new RunRecord
            {
                RunId = reader.GetString(0),
                PipelineId = reader.GetString(1),
                Status = SqliteValues.ReadStatus(reader, 2),
                StartedAt = SqliteValues.ReadTime(reader, 3),
                EndedAt = SqliteValues.ReadOptionalTime(reader, 4),
                Variables = SqliteValues.ReadVariables(reader, 5),
                DefinitionPath = SqliteValues.ReadOptionalString(reader, 6),
                DefinitionText = SqliteValues.ReadOptionalString(reader, 7),
                ResumedFrom = SqliteValues.ReadOptionalString(reader, 8),
                Error = SqliteValues.ReadOptionalString(reader, 9),
                Host = reader.GetString(10),
                ProcessId = reader.GetInt32(11),
            });
        }
        return runs;
    }

    private async Task<int> WriteAsync(Func<SqliteConnection, int> write, CancellationToken cancellationToken)
    {
        using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        using var transaction = connection.BeginTransaction(deferred: false);
        var changed = write(connection);
        transaction.Commit();
        return changed;
    }

    private async Task<SqliteConnection> OpenAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        var connection = new SqliteConnection(_connectionString);
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            Configure(connection);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private SqliteConnection Open()
    {
        var connection = new SqliteConnection(_connectionString);
        try
        {
            connection.Open();
            Configure(connection);
            return connection;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    private static void Configure(SqliteConnection connection) =>
        // In WAL mode, synchronous=NORMAL cannot corrupt the file; a power cut may lose the last few commits, and a
        // step whose record is lost simply runs again on resume. It makes each recorded attempt several times cheaper.
        Execute(connection, $"PRAGMA busy_timeout = {BusyTimeoutMilliseconds}; PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;");

    private void Initialize()
    {
        var directory = Path.GetDirectoryName(DatabasePath);
        try
        {
            if (!string.IsNullOrEmpty(directory)) Directory.CreateDirectory(directory);
            using var connection = Open();
            // WAL lets readers (a `runs` listing) work while a run writes; the mode is kept in the file.
            Execute(connection, "PRAGMA journal_mode = WAL;");
            SqliteRunStoreSchema.Migrate(connection, DatabasePath, TimeProvider.GetUtcNow());
        }
        catch (Exception ex) when (ex is SqliteException or IOException or UnauthorizedAccessException)
        {
            ClearPool();
            throw new InvalidOperationException($"Cannot open the run store '{DatabasePath}': {ex.Message}", ex);
        }
        catch
        {
            ClearPool();
            throw;
        }
    }

    // Pooled connections keep the file open; a closed store must not (the directory may be deleted next).
    private void ClearPool()
    {
        using var connection = new SqliteConnection(_connectionString);
        SqliteConnection.ClearPool(connection);
    }

    private static SqliteCommand Command(SqliteConnection connection, string sql, params (string Name, object? Value)[] parameters)
    {
        // CreateCommand enlists the command in the connection's open transaction, if any.
        var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }
        return command;
    }

    private static int Execute(SqliteConnection connection, string sql, params (string Name, object? Value)[] parameters)
    {
        using var command = Command(connection, sql, parameters);
        return command.ExecuteNonQuery();
    }

    private InvalidOperationException UnknownRun(string runId, string action, Exception? inner = null) =>
        new($"Run '{runId}' is not recorded in the run store '{DatabasePath}'; start the run before you {action}.", inner);
}
