using System.Data.Common;
using Microsoft.Data.Sqlite;
using Pipeline.Core.Execution;

namespace Pipeline.Core.Steps.Data.Sql;

/// <summary>Options and helpers the SQL steps share.</summary>
internal static class SqlOptions
{
    public static readonly StepOptionInfo Connection = new("connection", StepOptionType.String,
        "The database: a SQLite file or connection string (sqlite:orders.db), or a PostgreSQL connection string or URI " +
        "(postgresql://etl:{secret:PGPASSWORD}@db:5432/sales). Take the password from a {secret:NAME}.") { Required = true };

    public static readonly StepOptionInfo Provider = new("provider", StepOptionType.String,
        "sqlite or postgresql, when the connection does not say (by its sqlite: or postgresql: prefix, or Host= / Data Source= keywords).")
    {
        AllowedValues = ["sqlite", "postgresql", "postgres"],
    };

    public static readonly StepOptionInfo CommandTimeout = new("command_timeout", StepOptionType.Duration,
        "How long one statement may run before it fails (0 for no limit).") { Default = "0" };

    public static int Positive(StepContext context, string name, int defaultValue)
    {
        var value = context.Options.GetInt32(name, defaultValue);
        return value >= 1 ? value : throw new StepException(ErrorKind.Configuration, $"The option '{name}' must be 1 or more, not {value}.");
    }

    /// <summary>The command timeout in whole seconds (0: none), as ADO.NET takes it.</summary>
    public static int Timeout(StepContext context)
    {
        var timeout = context.Options.GetDuration("command_timeout", TimeSpan.Zero);
        if (timeout < TimeSpan.Zero) throw new StepException(ErrorKind.Configuration, "The option 'command_timeout' must not be negative.");
        return timeout == TimeSpan.Zero ? 0 : (int)Math.Max(1, Math.Ceiling(timeout.TotalSeconds));
    }

    /// <summary>
    /// Stops a running SQLite statement when the step is cancelled (Microsoft.Data.Sqlite checks the token only
    /// between rows, and one step of a big sort or join can take long). PostgreSQL's driver cancels on the server itself.
    /// </summary>
    public static IDisposable? InterruptOnCancel(DbConnection connection, CancellationToken cancellationToken) =>
        connection is SqliteConnection sqlite && cancellationToken.CanBeCanceled
            ? cancellationToken.Register(static state => SQLitePCL.raw.sqlite3_interrupt(((SqliteConnection)state!).Handle), sqlite)
            : null;
}
