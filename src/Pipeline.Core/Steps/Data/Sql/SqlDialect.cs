using System.Data.Common;
using System.Text;
using Pipeline.Core.Records;

namespace Pipeline.Core.Steps.Data.Sql;

/// <summary>What differs between SQLite and PostgreSQL in the statements the SQL steps build.</summary>
internal abstract class SqlDialect
{
    public static readonly SqlDialect Sqlite = new SqliteDialect();
    public static readonly SqlDialect Postgres = new PostgresDialect();

    /// <summary>The largest number of bound parameters in one statement.</summary>
    public abstract int MaxParameters { get; }

    /// <summary>An identifier in double quotes (both engines follow the SQL standard here).</summary>
    public string Quote(string identifier) => "\"" + identifier.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    /// <summary>A table name, possibly schema-qualified (<c>schema.table</c>), quoted part by part.</summary>
    public string QuoteTable(SqlTableName table) =>
        table.Schema is null ? Quote(table.Name) : Quote(table.Schema) + "." + Quote(table.Name);

    /// <summary>The column type a field gets in a table the step creates.</summary>
    public abstract string ColumnType(FieldType type);

    /// <summary>Deletes every row, keeping the table.</summary>
    public abstract string Truncate(SqlTableName table);

    /// <summary>The table's columns with their declared types, in order; empty when the table does not exist.</summary>
    public abstract Task<IReadOnlyList<SqlColumn>> ColumnsAsync(DbConnection connection, DbTransaction? transaction, SqlTableName table, CancellationToken cancellationToken);

    /// <summary>CREATE TABLE for a schema, with a primary key on <paramref name="key"/> when given.</summary>
    public string CreateTable(SqlTableName table, IReadOnlyList<RecordField> fields, IReadOnlyList<string> key)
    {
        var sql = new StringBuilder("CREATE TABLE ").Append(QuoteTable(table)).Append(" (");
        for (var i = 0; i < fields.Count; i++)
        {
            if (i > 0) sql.Append(", ");
            sql.Append(Quote(fields[i].Name));
            var type = ColumnType(fields[i].Type);
            if (type.Length > 0) sql.Append(' ').Append(type);
        }
        if (key.Count > 0) sql.Append(", PRIMARY KEY (").Append(string.Join(", ", key.Select(Quote))).Append(')');
        return sql.Append(')').ToString();
    }

    private sealed class SqliteDialect : SqlDialect
    {
        // SQLITE_MAX_VARIABLE_NUMBER is 32766 since SQLite 3.32.
        public override int MaxParameters => 32766;

        public override string ColumnType(FieldType type) => type switch
        {
            FieldType.String => "TEXT",
            FieldType.Integer => "INTEGER",
            FieldType.Decimal => "DECIMAL",
            FieldType.Double => "REAL",
            FieldType.Boolean => "BOOLEAN",
            FieldType.Date => "DATE",
            FieldType.Timestamp => "TIMESTAMP",
            _ => "", // no declared type: each value keeps its own storage class
        };

        public override string Truncate(SqlTableName table) => "DELETE FROM " + QuoteTable(table);

        public override async Task<IReadOnlyList<SqlColumn>> ColumnsAsync(DbConnection connection, DbTransaction? transaction, SqlTableName table, CancellationToken cancellationToken)
        {
            await using var command = connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = table.Schema is null
                ? "SELECT name, type, pk FROM pragma_table_info($table)"
                : "SELECT name, type, pk FROM pragma_table_info($table, $schema)";
            Add(command, "$table", table.Name);
            if (table.Schema is not null) Add(command, "$schema", table.Schema);
            var columns = new List<SqlColumn>();
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                columns.Add(new SqlColumn(reader.GetString(0), reader.GetString(1), SqlTypes.FromDeclared(reader.GetString(1)), reader.GetInt64(2) > 0));
            return columns;
        }
    }

    private sealed class PostgresDialect : SqlDialect
    {
        public override int MaxParameters => 65535;

        public override string ColumnType(FieldType type) => type switch
        {
            FieldType.String => "text",
            FieldType.Integer => "bigint",
            FieldType.Decimal => "numeric",
            FieldType.Double => "double precision",
            FieldType.Boolean => "boolean",
            FieldType.Date => "date",
            FieldType.Timestamp => "timestamptz",
            _ => "text",
        };

        public override string Truncate(SqlTableName table) => "TRUNCATE TABLE " + QuoteTable(table);

        public override async Task<IReadOnlyList<SqlColumn>> ColumnsAsync(DbConnection connection, DbTransaction? transaction, SqlTableName table, CancellationToken cancellationToken)
        {
            await using var command = connection.CreateCommand();
            command.Transaction = transaction;
            // to_regclass resolves the name as the server would (search_path when no schema is given).
            command.CommandText = """
                SELECT a.attname, format_type(a.atttypid, a.atttypmod),
                       EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = a.attrelid AND i.indisprimary AND a.attnum = ANY (i.indkey))
                FROM pg_attribute a
                WHERE a.attrelid = to_regclass(@table) AND a.attnum > 0 AND NOT a.attisdropped
                ORDER BY a.attnum
                """;
            Add(command, "table", QuoteTable(table));
            var columns = new List<SqlColumn>();
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                columns.Add(new SqlColumn(reader.GetString(0), reader.GetString(1), SqlTypes.FromDeclared(reader.GetString(1)), reader.GetBoolean(2)));
            return columns;
        }
    }

    public static void Add(DbCommand command, string name, object? value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.Value = value ?? DBNull.Value;
        command.Parameters.Add(parameter);
    }
}

/// <summary>One column of an existing table.</summary>
internal sealed record SqlColumn(string Name, string DeclaredType, FieldType Type, bool InPrimaryKey);

/// <summary>A table name as the user wrote it: <c>table</c> or <c>schema.table</c> (quotes allowed around either).</summary>
internal sealed record SqlTableName(string? Schema, string Name)
{
    public static SqlTableName Parse(string text, string option)
    {
        var parts = new List<string>();
        var current = new StringBuilder();
        var quoted = false;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '"')
            {
                if (quoted && i + 1 < text.Length && text[i + 1] == '"')
                {
                    current.Append('"');
                    i++;
                }
                else
                {
                    quoted = !quoted;
                }
            }
            else if (c == '.' && !quoted)
            {
                parts.Add(current.ToString());
                current.Clear();
            }
            else
            {
                current.Append(c);
            }
        }
        parts.Add(current.ToString());
        if (quoted || parts.Count > 2 || parts.Any(p => p.Trim().Length == 0))
            throw new Execution.StepException(Execution.ErrorKind.Configuration,
                $"The option '{option}' must be a table name, or schema.table, not '{text}'.");
        return parts.Count == 1 ? new SqlTableName(null, parts[0].Trim()) : new SqlTableName(parts[0].Trim(), parts[1].Trim());
    }

    public override string ToString() => Schema is null ? Name : Schema + "." + Name;
}
