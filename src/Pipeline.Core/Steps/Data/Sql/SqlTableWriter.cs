using System.Data.Common;
using System.Text;
using Microsoft.Data.Sqlite;
using Npgsql;
using NpgsqlTypes;
using Pipeline.Core.Records;

namespace Pipeline.Core.Steps.Data.Sql;

/// <summary>How the rows of one transaction reach the table.</summary>
internal enum SqlWriteMethod
{
    /// <summary>INSERT statements (several rows each on PostgreSQL, one prepared statement per row on SQLite).</summary>
    Insert,
    /// <summary>INSERT ... ON CONFLICT (key) DO UPDATE.</summary>
    Upsert,
    /// <summary>PostgreSQL's binary COPY FROM STDIN.</summary>
    Copy,
}

/// <summary>
/// Writes rows, already converted to the target columns' types, to one table inside a transaction the caller owns.
/// One instance serves one set of target columns.
/// </summary>
internal sealed class SqlTableWriter
{
    // Rows per INSERT on PostgreSQL: large enough that round trips do not dominate, small enough that the server
    // parses and plans a statement quickly (and the parameter limit, 65535, is never reached).
    private const int RowsPerStatement = 500;

    private readonly SqlDatabase _database;
    private readonly string _table;
    private readonly IReadOnlyList<SqlColumn> _columns;
    private readonly IReadOnlyList<string> _key;
    private readonly SqlWriteMethod _method;
    private readonly Dictionary<int, string> _statements = [];
    private readonly NpgsqlDbType?[] _copyTypes;

    public SqlTableWriter(SqlDatabase database, SqlTableName table, IReadOnlyList<SqlColumn> columns, IReadOnlyList<string> key, SqlWriteMethod method)
    {
        _database = database;
        _table = database.Dialect.QuoteTable(table);
        _columns = columns;
        _key = key;
        _copyTypes = columns.Select(c => CopyType(c)).ToArray();
        // COPY needs a binary type for every column; a column of another type (uuid, json) goes through INSERT's casts.
        _method = method == SqlWriteMethod.Copy && (database.Provider != SqlProvider.Postgres || _copyTypes.Any(t => t is null))
            ? SqlWriteMethod.Insert
            : method;
    }

    public SqlWriteMethod Method => _method;

    public async Task WriteAsync(DbConnection connection, DbTransaction transaction, IReadOnlyList<object?[]> rows, CancellationToken cancellationToken)
    {
        if (rows.Count == 0) return;
        switch (connection)
        {
            case NpgsqlConnection npgsql when _method == SqlWriteMethod.Copy:
                await CopyAsync(npgsql, rows, cancellationToken).ConfigureAwait(false);
                break;
            case NpgsqlConnection:
                for (var start = 0; start < rows.Count; start += RowsPerStatement)
                {
                    var count = Math.Min(RowsPerStatement, rows.Count - start);
                    await using var command = connection.CreateCommand();
                    command.Transaction = transaction;
                    command.CommandText = Statement(count);
                    for (var r = start; r < start + count; r++)
                    {
                        foreach (var value in rows[r]) command.Parameters.Add(new NpgsqlParameter { Value = value ?? DBNull.Value });
                    }
                    await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                }
                break;
            default:
                await using (var command = (SqliteCommand)connection.CreateCommand())
                {
                    command.Transaction = (SqliteTransaction)transaction;
                    command.CommandText = Statement(1);
                    var parameters = new SqliteParameter[_columns.Count];
                    for (var i = 0; i < parameters.Length; i++) parameters[i] = command.Parameters.Add(new SqliteParameter("@p" + (i + 1), null));
                    command.Prepare();
                    foreach (var row in rows)
                    {
                        for (var i = 0; i < parameters.Length; i++) parameters[i].Value = row[i] ?? DBNull.Value;
                        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                    }
                }
                break;
        }
    }

    private async Task CopyAsync(NpgsqlConnection connection, IReadOnlyList<object?[]> rows, CancellationToken cancellationToken)
    {
        var columns = string.Join(", ", _columns.Select(c => _database.Dialect.Quote(c.Name)));
        await using var importer = await connection.BeginBinaryImportAsync($"COPY {_table} ({columns}) FROM STDIN (FORMAT BINARY)", cancellationToken).ConfigureAwait(false);
        foreach (var row in rows)
        {
            await importer.StartRowAsync(cancellationToken).ConfigureAwait(false);
            for (var i = 0; i < row.Length; i++)
            {
                if (row[i] is null) await importer.WriteNullAsync(cancellationToken).ConfigureAwait(false);
                else await importer.WriteAsync(row[i], _copyTypes[i]!.Value, cancellationToken).ConfigureAwait(false);
            }
        }
        await importer.CompleteAsync(cancellationToken).ConfigureAwait(false);
    }

    private string Statement(int rows)
    {
        if (_statements.TryGetValue(rows, out var cached)) return cached;
        var dialect = _database.Dialect;
        var postgres = _database.Provider == SqlProvider.Postgres;
        var sql = new StringBuilder("INSERT INTO ").Append(_table).Append(" (")
            .AppendJoin(", ", _columns.Select(c => dialect.Quote(c.Name))).Append(") VALUES ");
        var n = 0;
        for (var r = 0; r < rows; r++)
        {
            sql.Append(r == 0 ? "(" : ", (");
            for (var c = 0; c < _columns.Count; c++)
            {
                if (c > 0) sql.Append(", ");
                n++;
                if (postgres)
                {
                    sql.Append('$').Append(n);
                    // Text for a column of a type the records do not have (uuid, json, ...): the server converts it.
                    if (_columns[c].Type == FieldType.Any) sql.Append("::").Append(_columns[c].DeclaredType);
                }
                else
                {
                    sql.Append("@p").Append(c + 1);
                }
            }
            sql.Append(')');
        }
        if (_method == SqlWriteMethod.Upsert)
        {
            sql.Append(" ON CONFLICT (").AppendJoin(", ", _key.Select(dialect.Quote)).Append(") DO ");
            var others = _columns.Where(c => !_key.Contains(c.Name, StringComparer.OrdinalIgnoreCase)).ToArray();
            if (others.Length == 0) sql.Append("NOTHING");
            else sql.Append("UPDATE SET ").AppendJoin(", ", others.Select(c => $"{dialect.Quote(c.Name)} = excluded.{dialect.Quote(c.Name)}"));
        }
        var text = sql.ToString();
        _statements[rows] = text;
        return text;
    }

    private static NpgsqlDbType? CopyType(SqlColumn column)
    {
        var declared = column.DeclaredType.ToLowerInvariant();
        return column.Type switch
        {
            FieldType.Integer => declared switch
            {
                "integer" or "int" or "int4" or "serial" => NpgsqlDbType.Integer,
                "smallint" or "int2" or "smallserial" => NpgsqlDbType.Smallint,
                "bigint" or "int8" or "bigserial" => NpgsqlDbType.Bigint,
                _ => null,
            },
            FieldType.Decimal => declared == "money" ? null : NpgsqlDbType.Numeric,
            FieldType.Double => declared is "real" or "float4" ? NpgsqlDbType.Real : NpgsqlDbType.Double,
            FieldType.Boolean => NpgsqlDbType.Boolean,
            FieldType.Date => NpgsqlDbType.Date,
            FieldType.Timestamp => declared.Contains("without") || declared == "timestamp" ? NpgsqlDbType.Timestamp : NpgsqlDbType.TimestampTz,
            FieldType.String => declared.StartsWith("character varying", StringComparison.Ordinal) || declared.StartsWith("varchar", StringComparison.Ordinal) ? NpgsqlDbType.Varchar
                : declared.StartsWith("character", StringComparison.Ordinal) || declared.StartsWith("char", StringComparison.Ordinal) ? NpgsqlDbType.Char
                : declared == "text" ? NpgsqlDbType.Text
                : null,
            _ => null,
        };
    }
}
