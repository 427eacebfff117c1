using System.Globalization;
using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace Pipeline.Core.State;

/// <summary>
/// How values are written in the SQLite run store. Times are UTC text of fixed width, so that they sort as text,
/// read well in the sqlite3 shell and keep every tick; statuses are their names.
/// </summary>
internal static class SqliteValues
{
    private const string TimeFormat = "yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'";

    public static string ToText(DateTimeOffset time) =>
        time.UtcDateTime.ToString(TimeFormat, CultureInfo.InvariantCulture);

    public static object ToText(DateTimeOffset? time) => time is { } value ? ToText(value) : DBNull.Value;

    public static DateTimeOffset ReadTime(SqliteDataReader reader, int ordinal)
    {
        var text = reader.GetString(ordinal);
        if (!DateTimeOffset.TryParseExact(text, TimeFormat, CultureInfo.InvariantCulture,
                DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var time))
        {
            throw Corrupt(reader, ordinal, text, $"a UTC time like {ToText(DateTimeOffset.UnixEpoch)}");
        }
        return time;
    }

    public static DateTimeOffset? ReadOptionalTime(SqliteDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : ReadTime(reader, ordinal);

    public static string ToText(RunStatus status) => status.ToString();

    public static RunStatus ReadStatus(SqliteDataReader reader, int ordinal)
    {
        var text = reader.GetString(ordinal);
        foreach (var status in Enum.GetValues<RunStatus>())
        {
            if (string.Equals(status.ToString(), text, StringComparison.Ordinal)) return status;
        }
        throw Corrupt(reader, ordinal, text, "one of " + string.Join(", ", Enum.GetNames<RunStatus>()));
    }

    public static string? ReadOptionalString(SqliteDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);

    public static string ToJson(IReadOnlyDictionary<string, string> variables) => JsonSerializer.Serialize(variables);

    public static IReadOnlyDictionary<string, string> ReadVariables(SqliteDataReader reader, int ordinal)
    {
        var text = reader.GetString(ordinal);
        try
        {
            return JsonSerializer.Deserialize<Dictionary<string, string>>(text)
                   ?? throw Corrupt(reader, ordinal, text, "a JSON object of strings");
        }
        catch (JsonException)
        {
            throw Corrupt(reader, ordinal, text, "a JSON object of strings");
        }
    }

    public static object OrNull(string? value) => value is null ? DBNull.Value : value;

    private static InvalidDataException Corrupt(SqliteDataReader reader, int ordinal, string text, string expected)
    {
        var shown = text.Length > 60 ? text[..60] + "..." : text;
        return new InvalidDataException(
            $"The run store holds '{shown}' in column '{reader.GetName(ordinal)}' where it expects {expected}.");
    }
}
