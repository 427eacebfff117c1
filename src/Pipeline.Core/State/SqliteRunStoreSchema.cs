using Microsoft.Data.Sqlite;

namespace Pipeline.Core.State;

/// <summary>
/// The tables of the SQLite run store and the migrations that build them. Migration <c>i</c> (from 0) takes a
/// database from version <c>i</c> to <c>i + 1</c>; <c>schema_version</c> keeps one row per applied version.
/// Append new migrations; never edit one that has shipped.
/// </summary>
internal static class SqliteRunStoreSchema
{
    private static readonly string[] Migrations =
    [
        """
        CREATE TABLE runs (
            run_id          TEXT    NOT NULL PRIMARY KEY,
            pipeline_id     TEXT    NOT NULL,
            status          TEXT    NOT NULL,
            started_at      TEXT    NOT NULL,
            ended_at        TEXT,
            variables_json  TEXT    NOT NULL,
            definition_path TEXT,
            definition_text TEXT,
            resumed_from    TEXT,
            error           TEXT,
            host            TEXT    NOT NULL,
            process_id      INTEGER NOT NULL
        );
        CREATE INDEX runs_by_pipeline ON runs (pipeline_id, started_at);
        CREATE INDEX runs_by_start ON runs (started_at);

        CREATE TABLE step_attempts (
            run_id        TEXT    NOT NULL REFERENCES runs (run_id) ON DELETE CASCADE,
            step_id       TEXT    NOT NULL,
            attempt       INTEGER NOT NULL,
            is_rollback   INTEGER NOT NULL,
            status        TEXT    NOT NULL,
            started_at    TEXT    NOT NULL,
            ended_at      TEXT,
            error_kind    TEXT,
            error_message TEXT,
            rows          INTEGER NOT NULL,
            bytes         INTEGER NOT NULL,
            metrics_json  TEXT,
            PRIMARY KEY (run_id, step_id, attempt, is_rollback)
        );

        CREATE TABLE checkpoints (
            run_id     TEXT NOT NULL REFERENCES runs (run_id) ON DELETE CASCADE,
            step_id    TEXT NOT NULL,
            key        TEXT NOT NULL,
            value      TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            PRIMARY KEY (run_id, step_id, key)
        );

        CREATE TABLE watermarks (
            pipeline_id TEXT NOT NULL,
            name        TEXT NOT NULL,
            value       TEXT NOT NULL,
            updated_at  TEXT NOT NULL,
            PRIMARY KEY (pipeline_id, name)
        );

        -- One row per held run slot. lock_token tells a holder's row from a later holder's row in the same slot.
        CREATE TABLE run_locks (
            pipeline_id  TEXT    NOT NULL,
            slot         INTEGER NOT NULL,
            run_id       TEXT    NOT NULL,
            host         TEXT    NOT NULL,
            process_id   INTEGER NOT NULL,
            acquired_at  TEXT    NOT NULL,
            heartbeat_at TEXT    NOT NULL,
            lock_token   TEXT    NOT NULL,
            PRIMARY KEY (pipeline_id, slot)
        );
        """,
    ];

    /// <summary>The version this code reads and writes.</summary>
    public static int CurrentVersion => Migrations.Length;

    /// <summary>
    /// Brings the database to <see cref="CurrentVersion"/> in one immediate transaction, so that two processes
    /// opening a new store at once apply each migration once. A newer database is refused.
    /// </summary>
    public static void Migrate(SqliteConnection connection, string databasePath, DateTimeOffset now)
    {
        using var transaction = connection.BeginTransaction(deferred: false);
        Execute(connection, """
            CREATE TABLE IF NOT EXISTS schema_version (
                version    INTEGER NOT NULL PRIMARY KEY,
                applied_at TEXT    NOT NULL
            );
            """);
        var version = ReadVersion(connection);
        if (version > CurrentVersion)
        {
            throw new InvalidOperationException(
                $"The run store '{databasePath}' has schema version {version}, newer than the version this Pipeline " +
                $"knows ({CurrentVersion}). Use a newer Pipeline, or point PIPELINE_STATE_DIR at another directory.");
        }
        for (var next = version; next < CurrentVersion; next++)
        {
            Execute(connection, Migrations[next]);
            using var record = connection.CreateCommand();
            record.CommandText = "INSERT INTO schema_version (version, applied_at) VALUES ($version, $at)";
            record.Parameters.AddWithValue("$version", next + 1);
            record.Parameters.AddWithValue("$at", SqliteValues.ToText(now));
            record.ExecuteNonQuery();
        }
        transaction.Commit();
    }

    private static long ReadVersion(SqliteConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT coalesce(max(version), 0) FROM schema_version";
        return (long)command.ExecuteScalar()!;
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
