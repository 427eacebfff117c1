using System.Data.Common;
using Pipeline.Core.Observability;

namespace Pipeline.Core.Steps.Data.Sql;

/// <summary>
/// <c>sql.read</c>: runs a query against SQLite or PostgreSQL and streams its rows out as records, typed from the
/// result's columns. Template references in the query are bound as parameters, never spliced into its text.
/// </summary>
public sealed class SqlReadStep : IStepHandler
{
    /// <inheritdoc />
    public StepTypeInfo Info { get; } = new(
        "sql.read",
        "Runs a query against SQLite or PostgreSQL and streams the rows out as records; {name} references in the query are bound as parameters.",
        [
            SqlOptions.Connection,
            SqlOptions.Provider,
            new StepOptionInfo("query", StepOptionType.String, "The SELECT to run. {name} references become bound parameters (write them without quotes: WHERE day = {date}).") { Required = true, BindsTemplates = true },
            new StepOptionInfo("batch_size", StepOptionType.Integer, "Rows per record batch sent downstream.") { Default = "1024" },
            SqlOptions.CommandTimeout,
        ])
    {
        ProducesRecords = true,
    };

    /// <inheritdoc />
    public async Task ExecuteAsync(StepContext context, CancellationToken cancellationToken)
    {
        var database = SqlDatabase.FromOptions(context, readOnly: true);
        var statement = SqlStatement.FromOption(context, "query", database.Provider);
        var batchSize = SqlOptions.Positive(context, "batch_size", 1024);

        await using var connection = await database.OpenAsync(cancellationToken).ConfigureAwait(false);
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
            throw SqlErrors.OnStatement(ex, statement, database);
        }
        context.Metrics.AddRows(rows);
        context.SetOutput("rows", rows);
        context.Log(LogLevel.Information, $"Read {rows} row{(rows == 1 ? "" : "s")} from the {database.Display}.");
    }
}
