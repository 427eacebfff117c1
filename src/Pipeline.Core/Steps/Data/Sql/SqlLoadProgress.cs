using System.Data.Common;
using System.Globalization;

namespace Pipeline.Core.Steps.Data.Sql;

/// <summary>
/// How far one load got, kept in a table of the target database and updated in the same transaction as each batch
/// it counts: a batch and its progress commit together or not at all, so a crash between "rows written" and
/// "progress saved" cannot happen, and a resumed load skips exactly the input rows already committed (or rejected).
/// A load is named by an id kept in the step's checkpoints, which a resumed run reads back.
/// </summary>
internal sealed class SqlLoadProgress
{
    private readonly SqlDatabase _database;
    private readonly SqlTableName _table;
    private readonly string _quoted;

    public SqlLoadProgress(SqlDatabase database, SqlTableName table, string loadId, string pipelineId, string stepId, string target)
    {
        _database = database;
        _table = table;
        _quoted = database.Dialect.QuoteTable(table);
        LoadId = loadId;
        PipelineId = pipelineId;
        StepId = stepId;
        Target = target;
    }

    public string LoadId { get; }

    public string PipelineId { get; }

    public string StepId { get; }

    public string Target { get; }

    /// <summary>Whether the load committed anything yet (its first transaction also empties or replaces the table).</summary>
    public bool Started { get; private set; }

    /// <summary>Input rows done: committed or rejected.</summary>
    public long RowsDone { get; private set; }

    public long RowsWritten { get; private set; }

    public long RowsRejected { get; private set; }

    /// <summary>Creates the progress table when missing and reads this load's row.</summary>
    public async Task LoadAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        var postgres = _database.Provider == SqlProvider.Postgres;
        await using (var create = connection.CreateCommand())
        {
            create.CommandText = $"""
                CREATE TABLE IF NOT EXISTS {_quoted} (
                    load_id text PRIMARY KEY,
                    pipeline_id text NOT NULL,
                    step_id text NOT NULL,
                    target text NOT NULL,
                    rows_done {(postgres ? "bigint" : "INTEGER")} NOT NULL,
                    rows_written {(postgres ? "bigint" : "INTEGER")} NOT NULL,
                    rows_rejected {(postgres ? "bigint" : "INTEGER")} NOT NULL,
                    completed {(postgres ? "boolean" : "INTEGER")} NOT NULL,
                    updated_at text NOT NULL)
                """;
            try
            {
                await create.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Npgsql.PostgresException ex) when (ex.SqlState is "23505" or "42P07")
            {
                // Another load created it at the same moment.
            }
            catch (DbException ex)
            {
                cancellationToken.ThrowIfCancellationRequested();
                throw SqlErrors.OnWrite(ex, _database, $"create the progress table '{_table}'");
            }
        }
        await using var read = connection.CreateCommand();
        read.CommandText = $"SELECT rows_done, rows_written, rows_rejected FROM {_quoted} WHERE load_id = @load";
        SqlDialect.Add(read, "@load", LoadId);
        await using var reader = await read.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        if (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            Started = true;
            RowsDone = reader.GetInt64(0);
            RowsWritten = reader.GetInt64(1);
            RowsRejected = reader.GetInt64(2);
        }
    }

    /// <summary>Records, inside <paramref name="transaction"/>, that <paramref name="done"/> more input rows are done.</summary>
    public async Task AddAsync(DbConnection connection, DbTransaction transaction, long done, long written, long rejected, bool completed,
        DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = $"""
            INSERT INTO {_quoted} (load_id, pipeline_id, step_id, target, rows_done, rows_written, rows_rejected, completed, updated_at)
            VALUES (@load, @pipeline, @step, @target, @done, @written, @rejected, @completed, @now)
            ON CONFLICT (load_id) DO UPDATE SET rows_done = excluded.rows_done, rows_written = excluded.rows_written,
                rows_rejected = excluded.rows_rejected, completed = excluded.completed, updated_at = excluded.updated_at
            """;
        SqlDialect.Add(command, "@load", LoadId);
        SqlDialect.Add(command, "@pipeline", PipelineId);
        SqlDialect.Add(command, "@step", StepId);
        SqlDialect.Add(command, "@target", Target);
        SqlDialect.Add(command, "@done", RowsDone + done);
        SqlDialect.Add(command, "@written", RowsWritten + written);
        SqlDialect.Add(command, "@rejected", RowsRejected + rejected);
        SqlDialect.Add(command, "@completed", _database.Provider == SqlProvider.Postgres ? completed : completed ? 1L : 0L);
        SqlDialect.Add(command, "@now", now.ToString("o", CultureInfo.InvariantCulture));
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Takes the counts added by a transaction that committed.</summary>
    public void Committed(long done, long written, long rejected)
    {
        Started = true;
        RowsDone += done;
        RowsWritten += written;
        RowsRejected += rejected;
    }

    /// <summary>Forgets the completed loads of this step into this table before this one: only the newest is kept.</summary>
    public async Task PruneAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = $"DELETE FROM {_quoted} WHERE pipeline_id = @pipeline AND step_id = @step AND target = @target AND load_id <> @load AND completed = @completed";
        SqlDialect.Add(command, "@pipeline", PipelineId);
        SqlDialect.Add(command, "@step", StepId);
        SqlDialect.Add(command, "@target", Target);
        SqlDialect.Add(command, "@load", LoadId);
        SqlDialect.Add(command, "@completed", _database.Provider == SqlProvider.Postgres ? true : 1L);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}
