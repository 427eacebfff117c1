using System.Data.Common;
using System.Threading.Channels;
using Microsoft.Data.Sqlite;
using Pipeline.Core.Execution;
using Pipeline.Core.Observability;
using Pipeline.Core.Records;

namespace Pipeline.Core.Steps.Data.Sql;

/// <summary>
/// <c>sql</c>: runs a SQLite query over the step's inputs, each registered as a table named after its input
/// (<c>SELECT … FROM orders JOIN customers …</c>). The inputs are staged into a temporary SQLite file with a bounded
/// page cache, so memory stays bounded whatever their size; the result streams out as records. Template references in
/// the query are bound as parameters.
/// </summary>
public sealed class SqlQueryStep : IStepHandler
{
    /// <inheritdoc />
    public StepTypeInfo Info { get; } = new(
        "sql",
        "Runs a SQLite query over the step's inputs, each a table named after its input (SELECT ... FROM orders JOIN customers ...); inputs are staged on disk, the result streams out.",
        [
            new StepOptionInfo("query", StepOptionType.String, "The SELECT to run over the inputs. {name} references become bound parameters.") { Required = true, BindsTemplates = true },
            new StepOptionInfo("tables", StepOptionType.Map, "Table names for inputs, as table: input (orders: extract_orders); an input not listed is a table of its own name, with '.' written '_' (check_rejected)."),
            new StepOptionInfo("batch_size", StepOptionType.Integer, "Rows per record batch sent downstream.") { Default = "1024" },
            new StepOptionInfo("memory_mb", StepOptionType.Integer, "The staging database's page cache, in MiB: what the step holds in memory beside the batches in flight.") { Default = "64" },
            new StepOptionInfo("temp_directory", StepOptionType.String, "Where the staging file goes (the system's temporary directory by default); it is deleted when the step ends."),
            SqlOptions.CommandTimeout,
        ])
    {
        ConsumesRecords = true,
        ProducesRecords = true,
    };

    /// <inheritdoc />
    public async Task ExecuteAsync(StepContext context, CancellationToken cancellationToken)
    {
        var statement = SqlStatement.FromOption(context, "query", SqlProvider.Sqlite);
        var batchSize = SqlOptions.Positive(context, "batch_size", 1024);
        var memory = SqlOptions.Positive(context, "memory_mb", 64);
        var names = TableNames(context);
        var directory = context.Options.GetString("temp_directory") is { Length: > 0 } dir ? context.ResolveLocalPath(dir) : Path.GetTempPath();
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, $"pipeline-sql-{Guid.NewGuid():N}.db");
        var database = SqlDatabase.Staging(path, SqlOptions.Timeout(context));
        try
        {
            await using var connection = (SqliteConnection)await database.OpenAsync(cancellationToken).ConfigureAwait(false);
            await ExecuteAsync(connection, $"PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; PRAGMA temp_store = FILE; PRAGMA cache_size = -{memory * 1024L}", cancellationToken).ConfigureAwait(false);
            var staged = await StageAsync(context, connection, names, cancellationToken).ConfigureAwait(false);
            context.Log(LogLevel.Verbose, $"Staged {string.Join(", ", staged.Select(s => $"{s.Key} ({s.Value} rows)"))}.");

            using var interrupt = SqlOptions.InterruptOnCancel(connection, cancellationToken);
            await using var command = connection.CreateCommand();
            command.CommandText = statement.Text;
            statement.AddParameters(command);
            long rows;
            try
            {
                await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                rows = await SqlRecordReader.StreamAsync(reader, context.Output, batchSize, cancellationToken).ConfigureAwait(false);
            }
            catch (DbException ex)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var error = SqlErrors.OnStatement(ex, statement, database);
                throw new StepException(error.Kind, error.Message + $" The tables are: {string.Join(", ", staged.Keys)}.", ex);
            }
            context.Metrics.AddRows(rows);
            context.SetOutput("rows", rows);
            context.Log(LogLevel.Information, $"The query over {string.Join(", ", staged.Select(s => $"{s.Key} ({s.Value} rows)"))} returned {rows} row{(rows == 1 ? "" : "s")}.");
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            TryDelete(path);
        }
    }

    /// <summary>Table name by input name.</summary>
    private static Dictionary<string, string> TableNames(StepContext context)
    {
        var byInput = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (table, input) in context.Options.GetStringMap("tables"))
        {
            if (!context.Inputs.ContainsKey(input))
            {
                throw new StepException(ErrorKind.Configuration,
                    $"The option 'tables' maps '{table}' to '{input}', which is not an input of this step (its inputs: {string.Join(", ", context.Inputs.Keys)}).");
            }
            byInput[input] = table;
        }
        foreach (var input in context.Inputs.Keys)
        {
            if (!byInput.ContainsKey(input)) byInput[input] = input.Replace('.', '_');
        }
        var duplicate = byInput.GroupBy(kv => kv.Value, StringComparer.OrdinalIgnoreCase).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
            throw new StepException(ErrorKind.Configuration, $"The inputs {string.Join(" and ", duplicate.Select(d => $"'{d.Key}'"))} would both be the table '{duplicate.Key}': name them with the option 'tables'.");
        return byInput;
    }

    /// <summary>
    /// Reads every input at once (one producer may feed several of them, and waits for the slowest) into one bounded
    /// queue that a single writer drains into the staging file.
    /// </summary>
    private static async Task<Dictionary<string, long>> StageAsync(StepContext context, SqliteConnection connection, Dictionary<string, string> names, CancellationToken cancellationToken)
    {
        var queue = Channel.CreateBounded<(string Table, RecordBatch Batch)>(new BoundedChannelOptions(4) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var readers = context.Inputs.Select(async input =>
        {
            await foreach (var batch in input.Value.WithCancellation(stop.Token).ConfigureAwait(false))
                await queue.Writer.WriteAsync((names[input.Key], batch), stop.Token).ConfigureAwait(false);
        }).ToArray();
        var all = Task.WhenAll(readers);
        _ = all.ContinueWith(t => queue.Writer.TryComplete(t.Exception?.InnerException), TaskScheduler.Default);

        var tables = new Dictionary<string, StagedTable>(StringComparer.OrdinalIgnoreCase);
        var rowsInTransaction = 0L;
        SqliteTransaction? transaction = null;
        try
        {
            await foreach (var (table, batch) in queue.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                transaction ??= connection.BeginTransaction();
                if (!tables.TryGetValue(table, out var staged))
                {
                    staged = new StagedTable(table);
                    tables[table] = staged;
                }
                await staged.AddAsync(connection, transaction, batch, cancellationToken).ConfigureAwait(false);
                rowsInTransaction += batch.Count;
                if (rowsInTransaction >= 100_000)
                {
                    await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
                    await transaction.DisposeAsync().ConfigureAwait(false);
                    transaction = null;
                    rowsInTransaction = 0;
                }
            }
            if (transaction is not null) await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await stop.CancelAsync().ConfigureAwait(false);
            throw;
        }
        finally
        {
            if (transaction is not null) await transaction.DisposeAsync().ConfigureAwait(false);
        }
        await all.ConfigureAwait(false);
        // An input without rows still is a table (of no columns SQLite allows, so one placeholder column).
        foreach (var table in names.Values.Where(t => !tables.ContainsKey(t)))
        {
            await ExecuteAsync(connection, $"CREATE TABLE {SqlDialect.Sqlite.Quote(table)} (\"(no rows)\")", cancellationToken).ConfigureAwait(false);
            tables[table] = new StagedTable(table);
        }
        return tables.ToDictionary(t => t.Key, t => t.Value.Rows, StringComparer.OrdinalIgnoreCase);
    }

    private static async Task ExecuteAsync(SqliteConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    // What Microsoft.Data.Sqlite binds itself; anything else is staged as its text.
    private static object Stageable(object? value) => value switch
    {
        null => DBNull.Value,
        string or long or int or short or byte or double or float or decimal or bool or DateOnly or DateTimeOffset or DateTime or TimeOnly or TimeSpan or Guid or byte[] => value,
        IFormattable f => SqlTypes.Text(f),
        _ => value.ToString() ?? "",
    };

    /// <summary>One input's table: created from its first batch's fields, widened when a later batch has more.</summary>
    private sealed class StagedTable(string name)
    {
        private readonly List<string> _columns = [];
        private readonly Dictionary<RecordSchema, SqliteCommand> _inserts = new(ReferenceEqualityComparer.Instance);

        public long Rows { get; private set; }

        public async Task AddAsync(SqliteConnection connection, SqliteTransaction transaction, RecordBatch batch, CancellationToken cancellationToken)
        {
            if (!_inserts.TryGetValue(batch.Schema, out var insert))
            {
                var dialect = SqlDialect.Sqlite;
                if (_columns.Count == 0)
                {
                    await Run(dialect.CreateTable(new SqlTableName(null, name), batch.Schema.Fields, [])).ConfigureAwait(false);
                    _columns.AddRange(batch.Schema.Fields.Select(f => f.Name));
                }
                foreach (var field in batch.Schema.Fields.Where(f => !_columns.Contains(f.Name, StringComparer.OrdinalIgnoreCase)))
                {
                    var type = dialect.ColumnType(field.Type);
                    await Run($"ALTER TABLE {dialect.Quote(name)} ADD COLUMN {dialect.Quote(field.Name)}{(type.Length > 0 ? " " + type : "")}").ConfigureAwait(false);
                    _columns.Add(field.Name);
                }
                insert = connection.CreateCommand();
                insert.CommandText = $"INSERT INTO {dialect.Quote(name)} ({string.Join(", ", batch.Schema.Fields.Select(f => dialect.Quote(f.Name)))}) " +
                                     $"VALUES ({string.Join(", ", batch.Schema.Fields.Select((_, i) => "@p" + i))})";
                for (var i = 0; i < batch.Schema.Count; i++) insert.Parameters.Add(new SqliteParameter("@p" + i, null));
                _inserts[batch.Schema] = insert;
            }
            insert.Transaction = transaction;
            foreach (var row in batch.Rows)
            {
                for (var i = 0; i < row.Length; i++) insert.Parameters[i].Value = Stageable(row[i]);
                await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
            Rows += batch.Count;

            async Task Run(string sql)
            {
                await using var command = connection.CreateCommand();
                command.Transaction = transaction;
                command.CommandText = sql;
                await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
        }
    }
}
