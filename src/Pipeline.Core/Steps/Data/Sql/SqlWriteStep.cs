using System.Data.Common;
using Pipeline.Core.Execution;
using Pipeline.Core.Observability;
using Pipeline.Core.Records;

namespace Pipeline.Core.Steps.Data.Sql;

/// <summary>
/// <c>sql.write</c>: loads records into a SQLite or PostgreSQL table in batches, each in its own transaction together
/// with the load's progress, so that a resumed run continues after the last committed batch and never loads a row
/// twice. A batch that fails for a passing reason is retried with backoff; one that fails because of its rows is
/// split in halves until the rows the database refuses are found: those go to the <c>rejected</c> output with their
/// error while the others load.
/// </summary>
public sealed class SqlWriteStep : IStepHandler
{
    /// <summary>Rows per transaction when <c>batch_size</c> is not given (measured: docs/benchmarks.md, "sql.write batch size").</summary>
    public const int DefaultBatchSize = 5000;

    /// <summary>The progress table's name when <c>progress_table</c> is not given.</summary>
    public const string DefaultProgressTable = "pipeline_load_progress";

    /// <inheritdoc />
    public StepTypeInfo Info { get; } = new(
        "sql.write",
        "Loads records into a SQLite or PostgreSQL table in batches (append, truncate, upsert by key or replace); rows the database refuses go to the 'rejected' output; a resumed run continues after the last committed batch.",
        [
            SqlOptions.Connection,
            SqlOptions.Provider,
            new StepOptionInfo("table", StepOptionType.String, "The table to load: name or schema.name.") { Required = true },
            new StepOptionInfo("mode", StepOptionType.String, "append adds rows; truncate empties the table first; upsert inserts or updates by 'key'; replace drops the table and creates it from the records' fields.")
            {
                Default = "append",
                AllowedValues = ["append", "truncate", "upsert", "replace"],
            },
            new StepOptionInfo("key", StepOptionType.List, "The key columns of upsert (the table needs a primary key or unique index on them; a table the step creates gets one).") ,
            new StepOptionInfo("create", StepOptionType.Boolean, "Create the table from the records' fields when it does not exist.") { Default = "true" },
            new StepOptionInfo("batch_size", StepOptionType.Integer, "Rows per transaction.") { Default = DefaultBatchSize.ToString(System.Globalization.CultureInfo.InvariantCulture) },
            new StepOptionInfo("retries", StepOptionType.Integer, "How many times a batch that failed for a passing reason (a dropped connection, a lock, a deadlock) is tried again.") { Default = "3" },
            new StepOptionInfo("retry_delay", StepOptionType.Duration, "The wait before the first retry of a batch; it doubles with each further retry.") { Default = "1s" },
            new StepOptionInfo("max_rejected", StepOptionType.Integer, "Fail the step when more rows than this are rejected (-1: no limit).") { Default = "-1" },
            new StepOptionInfo("copy", StepOptionType.Boolean, "On PostgreSQL in append and truncate modes, send rows with binary COPY instead of INSERT.") { Default = "true" },
            new StepOptionInfo("progress_table", StepOptionType.String, "The table in the target database that records each load's committed rows, in the same transaction as the rows.") { Default = DefaultProgressTable },
            SqlOptions.CommandTimeout,
        ])
    {
        ConsumesRecords = true,
        OutputPorts = ["rejected"],
    };

    /// <inheritdoc />
    public async Task ExecuteAsync(StepContext context, CancellationToken cancellationToken)
    {
        var settings = SqlLoadSettings.FromOptions(context);
        var database = SqlDatabase.FromOptions(context, readOnly: false);

        // The load's name outlives a crash: a resumed run reads it back from the step's checkpoints and finds, in the
        // target database, how many input rows that load committed.
        var loadId = await context.Checkpoints.GetAsync("load", cancellationToken).ConfigureAwait(false);
        if (loadId is null)
        {
            loadId = $"{context.RunId}/{context.StepId}";
            await context.Checkpoints.SaveAsync("load", loadId, cancellationToken).ConfigureAwait(false);
        }

        await using var load = new SqlLoad(context, database, settings, loadId);
        await load.StartAsync(cancellationToken).ConfigureAwait(false);
        foreach (var (name, input) in context.Inputs)
        {
            await foreach (var batch in input.WithCancellation(cancellationToken).ConfigureAwait(false))
                await load.AddAsync(batch, cancellationToken).ConfigureAwait(false);
        }
        await load.CompleteAsync(cancellationToken).ConfigureAwait(false);
    }
}

/// <summary>The options of <c>sql.write</c>, checked before anything is read or written.</summary>
internal sealed record SqlLoadSettings(
    SqlTableName Table,
    string Mode,
    IReadOnlyList<string> Key,
    bool Create,
    int BatchSize,
    int Retries,
    TimeSpan RetryDelay,
    long MaxRejected,
    bool Copy,
    SqlTableName ProgressTable,
    int CommandTimeout)
{
    public static SqlLoadSettings FromOptions(StepContext context)
    {
        var options = context.Options;
        var table = SqlTableName.Parse(options.GetRequiredString("table"), "table");
        var mode = options.GetChoice("mode", "append", "append", "truncate", "upsert", "replace");
        var key = options.GetStringList("key").Select(k => k.Trim()).Where(k => k.Length > 0).ToArray();
        if (mode == "upsert" && key.Length == 0)
            throw new StepException(ErrorKind.Configuration, "The mode 'upsert' needs the option 'key': the columns that identify a row.");
        var retries = options.GetInt32("retries", 3);
        if (retries < 0) throw new StepException(ErrorKind.Configuration, $"The option 'retries' must be 0 or more, not {retries}.");
        var delay = options.GetDuration("retry_delay", TimeSpan.FromSeconds(1));
        if (delay < TimeSpan.Zero) throw new StepException(ErrorKind.Configuration, "The option 'retry_delay' must not be negative.");
        var progress = SqlTableName.Parse(options.GetString("progress_table") ?? SqlWriteStep.DefaultProgressTable, "progress_table");
        if (progress == table)
            throw new StepException(ErrorKind.Configuration, "The option 'progress_table' names the table being loaded.");
        return new SqlLoadSettings(table, mode, key, options.GetBoolean("create", true), SqlOptions.Positive(context, "batch_size", SqlWriteStep.DefaultBatchSize),
            retries, delay, options.GetInt64("max_rejected", -1), options.GetBoolean("copy", true), progress, SqlOptions.Timeout(context));
    }
}
