using System.Data.Common;
using System.Text.RegularExpressions;
using Microsoft.Data.Sqlite;
using Npgsql;
using Pipeline.Core.Execution;

namespace Pipeline.Core.Steps.Data.Sql;

/// <summary>Database failures as step failures of the right kind, with messages that say what and where and never
/// hold the connection string.</summary>
internal static partial class SqlErrors
{
    /// <summary>A connection that could not be opened.</summary>
    public static StepException OnConnect(Exception ex, SqlDatabase database)
    {
        switch (ex)
        {
            case PostgresException pg when pg.SqlState is "28P01" or "28000":
                return new StepException(ErrorKind.Authentication, $"The {database.Display} refused the login: {pg.MessageText}.", ex);
            case PostgresException { SqlState: "3D000" } pg:
                return new StepException(ErrorKind.NotFound, $"Cannot open the {database.Display}: {pg.MessageText}.", ex);
            case PostgresException pg:
                return new StepException(Kind(pg), $"Cannot open the {database.Display}: {pg.MessageText} (SQLSTATE {pg.SqlState}).", ex);
            case NpgsqlException { InnerException: { } inner } when inner is System.Net.Sockets.SocketException or IOException or TimeoutException:
                return new StepException(ErrorKind.Transient, $"Cannot reach the {database.Display}: {inner.Message}", ex);
            case NpgsqlException npgsql when npgsql.Message.Contains("password", StringComparison.OrdinalIgnoreCase):
                return new StepException(ErrorKind.Authentication, $"The {database.Display} asks for a password and the connection gives none (Password=..., from a {{secret:NAME}}).", ex);
            case SqliteException sqlite when sqlite.SqliteErrorCode == 14: // SQLITE_CANTOPEN
                return new StepException(ErrorKind.NotFound, $"Cannot open the {database.Display}: {sqlite.Message}", ex);
            case SqliteException sqlite:
                return new StepException(Kind(sqlite), $"Cannot open the {database.Display}: {sqlite.Message}", ex);
            default:
                return new StepException(ErrorKind.Transient, $"Cannot open the {database.Display}: {ex.Message}", ex);
        }
    }

    /// <summary>A statement the user wrote (a query) failed: the message says where in the option's text.</summary>
    public static StepException OnStatement(DbException ex, SqlStatement statement, SqlDatabase database)
    {
        switch (ex)
        {
            case PostgresException pg:
                var where = pg.Position > 0 ? $" at {statement.PositionOfSent(pg.Position - 1)}" : "";
                return new StepException(Kind(pg), $"The option '{statement.Option}' failed{where} in the {database.Display}: {pg.MessageText} (SQLSTATE {pg.SqlState}).", ex);
            case SqliteException sqlite:
                // SQLite names the token it stumbled on ('near "FORM": syntax error', 'no such column: x'); the first
                // occurrence of that token outside the parameters is where the error is.
                var token = NearToken(sqlite.Message);
                var at = token is null ? -1 : IndexOfToken(statement.Text, token);
                var position = at >= 0 ? $" at {statement.PositionOfSent(at)}" : "";
                return new StepException(Kind(sqlite), $"The option '{statement.Option}' failed{position} in the {database.Display}: {Plain(sqlite)}", ex);
            default:
                return new StepException(ErrorKind.Unknown, $"The option '{statement.Option}' failed in the {database.Display}: {ex.Message}", ex);
        }
    }

    /// <summary>A statement the step built failed.</summary>
    public static StepException OnWrite(DbException ex, SqlDatabase database, string what) =>
        new(Kind(ex), $"Could not {what} in the {database.Display}: {Describe(ex)}", ex);

    /// <summary>A failure's own words, without SQLite's "SQLite Error 1: '...'." wrapping.</summary>
    public static string Describe(Exception ex) => ex switch
    {
        // Npgsql redacts the detail (it may quote row values) unless the connection asks for it.
        PostgresException pg => pg.Detail is { Length: > 0 } detail && !detail.StartsWith("Detail redacted", StringComparison.Ordinal)
            ? $"{pg.MessageText} ({detail})"
            : pg.MessageText,
        SqliteException sqlite => Plain(sqlite),
        _ => ex.Message,
    };

    /// <summary>Whether a failure may pass when the same work is tried again: a dropped connection, a busy or locked
    /// database, a deadlock, a serialization failure, a server shutting down.</summary>
    public static bool IsTransient(Exception ex) => ex switch
    {
        PostgresException pg => pg.SqlState is "40001" or "40P01" or "55P03" or "57P01" or "57P02" or "57P03" or "53300" or "08006" or "08003" or "08001",
        NpgsqlException npgsql => npgsql.IsTransient,
        SqliteException sqlite => sqlite.SqliteErrorCode is 5 or 6, // SQLITE_BUSY, SQLITE_LOCKED
        StepException { Kind: ErrorKind.Transient } => true,
        IOException or System.Net.Sockets.SocketException or TimeoutException => true,
        _ => false,
    };

    /// <summary>Whether a failure is about the rows (a constraint, a value the column refuses), so that sending the
    /// rows in smaller groups finds which ones.</summary>
    public static bool IsAboutRows(Exception ex) => ex switch
    {
        // 22: data exception, 23: integrity constraint violation, 21000: an upsert meets one key twice.
        PostgresException pg => pg.SqlState.StartsWith("22", StringComparison.Ordinal) || pg.SqlState.StartsWith("23", StringComparison.Ordinal) || pg.SqlState == "21000",
        // SQLITE_CONSTRAINT, SQLITE_MISMATCH, SQLITE_TOOBIG, SQLITE_RANGE
        SqliteException sqlite => sqlite.SqliteErrorCode is 19 or 20 or 18 or 25,
        _ => false,
    };

    public static ErrorKind Kind(Exception ex) => ex switch
    {
        _ when IsTransient(ex) => ErrorKind.Transient,
        PostgresException pg => pg.SqlState switch
        {
            "28P01" or "28000" => ErrorKind.Authentication,
            "42501" => ErrorKind.Permission,
            "42P01" or "42703" or "3D000" or "3F000" or "42883" => ErrorKind.NotFound,
            "42P07" => ErrorKind.Conflict,
            "57014" => ErrorKind.Cancelled,
            var s when s.StartsWith("42", StringComparison.Ordinal) => ErrorKind.Configuration,
            var s when s.StartsWith("22", StringComparison.Ordinal) || s.StartsWith("23", StringComparison.Ordinal) => ErrorKind.Validation,
            _ => ErrorKind.Unknown,
        },
        SqliteException sqlite => sqlite.SqliteErrorCode switch
        {
            1 when sqlite.Message.Contains("no such", StringComparison.Ordinal) => ErrorKind.NotFound,
            1 => ErrorKind.Configuration,
            3 or 8 => ErrorKind.Permission, // SQLITE_PERM, SQLITE_READONLY
            14 => ErrorKind.NotFound,
            19 or 20 or 18 or 25 => ErrorKind.Validation,
            10 or 13 => ErrorKind.Io, // SQLITE_IOERR, SQLITE_FULL
            11 or 26 => ErrorKind.Integrity, // SQLITE_CORRUPT, SQLITE_NOTADB
            9 => ErrorKind.Cancelled, // SQLITE_INTERRUPT
            _ => ErrorKind.Unknown,
        },
        _ => ErrorKind.Unknown,
    };

    private static string Plain(SqliteException ex)
    {
        var match = SqliteWrapping().Match(ex.Message);
        return match.Success ? match.Groups[1].Value.TrimEnd('.') + "." : ex.Message;
    }

    private static string? NearToken(string message)
    {
        var match = NearPattern().Match(message);
        if (match.Success) return match.Groups[1].Value;
        match = NoSuchPattern().Match(message);
        return match.Success ? match.Groups[1].Value.Split('.')[^1] : null;
    }

    private static int IndexOfToken(string text, string token)
    {
        for (var at = text.IndexOf(token, StringComparison.OrdinalIgnoreCase); at >= 0; at = text.IndexOf(token, at + 1, StringComparison.OrdinalIgnoreCase))
        {
            var before = at == 0 ? ' ' : text[at - 1];
            var after = at + token.Length >= text.Length ? ' ' : text[at + token.Length];
            var word = char.IsLetterOrDigit(token[0]) || token[0] == '_';
            if (!word || (!(char.IsLetterOrDigit(before) || before == '_') && !(char.IsLetterOrDigit(after) || after == '_'))) return at;
        }
        return -1;
    }

    [GeneratedRegex(@"^SQLite Error \d+: '(.*)'\.?$", RegexOptions.Singleline)]
    private static partial Regex SqliteWrapping();

    [GeneratedRegex(@"near ""(.+?)"": syntax error")]
    private static partial Regex NearPattern();

    [GeneratedRegex(@"no such (?:column|table|function): ([^\s']+)")]
    private static partial Regex NoSuchPattern();
}
