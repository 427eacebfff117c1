using System.Data.Common;
using Microsoft.Data.Sqlite;
using Npgsql;
using Pipeline.Core.Execution;

namespace Pipeline.Core.Steps.Data.Sql;

/// <summary>The database engines the SQL steps speak to.</summary>
internal enum SqlProvider
{
    Sqlite,
    Postgres,
}

/// <summary>
/// A database named by a step's <c>connection</c> (and <c>provider</c>) options: the provider and the full
/// connection string (which may hold a password from a secret), and a description of it that holds none.
/// </summary>
internal sealed class SqlDatabase
{
    private SqlDatabase(SqlProvider provider, string connectionString, string display)
    {
        Provider = provider;
        ConnectionString = connectionString;
        Display = display;
        Dialect = provider == SqlProvider.Sqlite ? SqlDialect.Sqlite : SqlDialect.Postgres;
    }

    public SqlProvider Provider { get; }

    /// <summary>The connection string, password included: never put it in a message.</summary>
    public string ConnectionString { get; }

    /// <summary>Which database, for messages: no password, no other connection keyword.</summary>
    public string Display { get; }

    public SqlDialect Dialect { get; }

    /// <summary>
    /// Reads the <c>connection</c> and <c>provider</c> options. The provider comes from <c>provider</c>, else from a
    /// prefix (<c>sqlite:</c>, <c>postgresql:</c>, <c>postgres:</c>, a <c>postgresql://</c> URI), else from the
    /// keywords (Host → PostgreSQL, Data Source → SQLite) or a file name ending in .db, .sqlite or .sqlite3.
    /// </summary>
    /// <param name="context">The step (its options and working directory).</param>
    /// <param name="readOnly">Open a SQLite file read-only (and refuse one that does not exist).</param>
    public static SqlDatabase FromOptions(StepContext context, bool readOnly)
    {
        var text = context.Options.GetRequiredString("connection").Trim();
        var providerOption = context.Options.GetString("provider") is { Length: > 0 } p
            ? context.Options.GetChoice("provider", "sqlite", "sqlite", "postgresql", "postgres")
            : null;
        SqlProvider? provider = providerOption switch
        {
            "sqlite" => SqlProvider.Sqlite,
            "postgresql" or "postgres" => SqlProvider.Postgres,
            _ => null,
        };

        var commandTimeout = SqlOptions.Timeout(context);
        if (text.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase) || text.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase))
            return Postgres(FromUri(text), provider, SqlProvider.Postgres, commandTimeout);
        if (StripPrefix(ref text, "sqlite:")) return Sqlite(context, text, readOnly, provider, SqlProvider.Sqlite, commandTimeout);
        if (StripPrefix(ref text, "postgresql:") || StripPrefix(ref text, "postgres:")) return Postgres(text, provider, SqlProvider.Postgres, commandTimeout);

        provider ??= Guess(text);
        return provider switch
        {
            SqlProvider.Sqlite => Sqlite(context, text, readOnly, null, null, commandTimeout),
            SqlProvider.Postgres => Postgres(text, null, null, commandTimeout),
            _ => throw new StepException(ErrorKind.Configuration,
                "The option 'connection' does not say which database it is: set 'provider' (sqlite or postgresql), or start it with " +
                "'sqlite:' or 'postgresql://'."),
        };
    }

    /// <summary>A SQLite file of the step's own (the <c>sql</c> step's staged inputs).</summary>
    public static SqlDatabase Staging(string path, int commandTimeout)
    {
        var builder = new SqliteConnectionStringBuilder { DataSource = path, Pooling = false, DefaultTimeout = commandTimeout };
        return new SqlDatabase(SqlProvider.Sqlite, builder.ToString(), "staged inputs (SQLite)");
    }

    /// <summary>Opens a connection; a refused login or a missing database is a clear error that holds no password.</summary>
    public async Task<DbConnection> OpenAsync(CancellationToken cancellationToken)
    {
        DbConnection connection = Provider == SqlProvider.Sqlite
            ? new SqliteConnection(ConnectionString)
            : new NpgsqlConnection(ConnectionString);
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            if (connection is SqliteConnection sqlite)
            {
                // Text compares and LIKE as SQLite's defaults; foreign keys checked as a server database would.
                await using var pragma = sqlite.CreateCommand();
                pragma.CommandText = "PRAGMA foreign_keys = ON";
                await pragma.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
            return connection;
        }
        catch (Exception ex) when (ex is DbException or InvalidOperationException or System.Net.Sockets.SocketException or TimeoutException
                                       && !cancellationToken.IsCancellationRequested)
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw SqlErrors.OnConnect(ex, this);
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private static bool StripPrefix(ref string text, string prefix)
    {
        if (!text.StartsWith(prefix, StringComparison.OrdinalIgnoreCase)) return false;
        text = text[prefix.Length..].Trim();
        return true;
    }

    private static SqlProvider? Guess(string text)
    {
        if (!text.Contains('='))
        {
            var extension = Path.GetExtension(text).ToLowerInvariant();
            return extension is ".db" or ".sqlite" or ".sqlite3" ? SqlProvider.Sqlite : null;
        }
        var keys = Keywords(text);
        if (keys.ContainsKey("host") || keys.ContainsKey("server")) return SqlProvider.Postgres;
        if (keys.ContainsKey("data source") || keys.ContainsKey("datasource") || keys.ContainsKey("filename")) return SqlProvider.Sqlite;
        return null;
    }

    private static SqlDatabase Sqlite(StepContext context, string text, bool readOnly, SqlProvider? provider, SqlProvider? prefix, int commandTimeout)
    {
        CheckAgrees(provider, prefix);
        SqliteConnectionStringBuilder builder;
        try
        {
            builder = text.Contains('=') ? new SqliteConnectionStringBuilder(text) : new SqliteConnectionStringBuilder { DataSource = text };
        }
        catch (ArgumentException ex)
        {
            throw new StepException(ErrorKind.Configuration, $"The option 'connection' is not a SQLite connection string: {ex.Message}");
        }
        if (string.IsNullOrWhiteSpace(builder.DataSource))
            throw new StepException(ErrorKind.Configuration, "The option 'connection' names no SQLite database file (Data Source).");
        if (builder.DataSource != ":memory:" && builder.Mode != SqliteOpenMode.Memory)
            builder.DataSource = context.ResolveLocalPath(builder.DataSource);
        if (readOnly && builder.Mode == SqliteOpenMode.ReadWriteCreate)
        {
            if (builder.DataSource != ":memory:" && !File.Exists(builder.DataSource))
                throw new StepException(ErrorKind.NotFound, $"The SQLite database '{builder.DataSource}' does not exist.");
            builder.Mode = SqliteOpenMode.ReadOnly;
        }
        // A pooled SQLite connection keeps the file open after the step; the steps open few connections.
        builder.Pooling = false;
        // Also how long a statement waits for another connection's write lock before it fails as busy.
        builder.DefaultTimeout = commandTimeout;
        return new SqlDatabase(SqlProvider.Sqlite, builder.ToString(), $"SQLite database '{builder.DataSource}'");
    }

    private static SqlDatabase Postgres(string text, SqlProvider? provider, SqlProvider? prefix, int commandTimeout)
    {
        CheckAgrees(provider, prefix ?? SqlProvider.Postgres);
        var password = Keywords(text).GetValueOrDefault("password") ?? Keywords(text).GetValueOrDefault("pwd");
        NpgsqlConnectionStringBuilder builder;
        try
        {
            builder = new NpgsqlConnectionStringBuilder(text);
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException or InvalidCastException or OverflowException)
        {
            var message = string.IsNullOrEmpty(password) ? ex.Message : ex.Message.Replace(password, "***", StringComparison.Ordinal);
            throw new StepException(ErrorKind.Configuration, $"The option 'connection' is not a PostgreSQL connection string: {message}");
        }
        if (string.IsNullOrEmpty(builder.Host))
            throw new StepException(ErrorKind.Configuration, "The option 'connection' names no PostgreSQL host (Host=...).");
        if (string.IsNullOrEmpty(builder.ApplicationName)) builder.ApplicationName = "pipeline";
        builder.CommandTimeout = commandTimeout;
        var display = $"PostgreSQL database '{builder.Database ?? builder.Username}' on {builder.Host}:{builder.Port}" +
                      (builder.Username is { Length: > 0 } user ? $" as '{user}'" : "");
        return new SqlDatabase(SqlProvider.Postgres, builder.ConnectionString, display);
    }

    private static void CheckAgrees(SqlProvider? provider, SqlProvider? prefix)
    {
        if (provider is { } p && prefix is { } q && p != q)
            throw new StepException(ErrorKind.Configuration,
                $"The option 'provider' says {Name(p)} but the option 'connection' names a {Name(q)} database.");
    }

    private static string Name(SqlProvider provider) => provider == SqlProvider.Sqlite ? "SQLite" : "PostgreSQL";

    /// <summary>postgresql://user:password@host:port/database?key=value → Npgsql keywords.</summary>
    private static string FromUri(string text)
    {
        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || string.IsNullOrEmpty(uri.Host))
            throw new StepException(ErrorKind.Configuration, "The option 'connection' is not a valid postgresql:// address (postgresql://user:password@host:port/database).");
        var builder = new NpgsqlConnectionStringBuilder { Host = uri.Host.Trim('[', ']') };
        if (uri.Port > 0) builder.Port = uri.Port;
        if (uri.UserInfo.Length > 0)
        {
            var colon = uri.UserInfo.IndexOf(':', StringComparison.Ordinal);
            builder.Username = Uri.UnescapeDataString(colon < 0 ? uri.UserInfo : uri.UserInfo[..colon]);
            if (colon >= 0) builder.Password = Uri.UnescapeDataString(uri.UserInfo[(colon + 1)..]);
        }
        var database = Uri.UnescapeDataString(uri.AbsolutePath.TrimStart('/'));
        if (database.Length > 0) builder.Database = database;
        foreach (var pair in uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = pair.IndexOf('=', StringComparison.Ordinal);
            var key = Uri.UnescapeDataString(eq < 0 ? pair : pair[..eq]);
            var value = eq < 0 ? "" : Uri.UnescapeDataString(pair[(eq + 1)..]);
            try
            {
                builder[key.Replace('_', ' ')] = value;
            }
            catch (ArgumentException)
            {
                throw new StepException(ErrorKind.Configuration, $"The option 'connection' has the parameter '{key}', which PostgreSQL connections do not know.");
            }
        }
        return builder.ConnectionString;
    }

    private static Dictionary<string, string> Keywords(string text)
    {
        var result = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        try
        {
            var builder = new DbConnectionStringBuilder { ConnectionString = text };
            foreach (string key in builder.Keys) result[key] = Convert.ToString(builder[key], System.Globalization.CultureInfo.InvariantCulture) ?? "";
        }
        catch (ArgumentException)
        {
            throw new StepException(ErrorKind.Configuration, "The option 'connection' is not a connection string of keyword=value pairs separated by ';'.");
        }
        return result;
    }
}
