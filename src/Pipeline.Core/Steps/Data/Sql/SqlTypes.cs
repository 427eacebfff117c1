using System.Globalization;
using Pipeline.Core.Records;

namespace Pipeline.Core.Steps.Data.Sql;

/// <summary>Record field types from SQL type names, and record values to and from database values.</summary>
internal static class SqlTypes
{
    /// <summary>
    /// The field type of a declared column type, SQLite's (<c>INTEGER</c>, <c>VARCHAR(20)</c>, <c>DATETIME</c>, ...)
    /// or PostgreSQL's (<c>bigint</c>, <c>numeric(12,2)</c>, <c>timestamp with time zone</c>, ...); Any when the name
    /// says nothing the records can hold (no type, blobs, uuid, json, arrays, intervals).
    /// </summary>
    public static FieldType FromDeclared(string? declared)
    {
        if (string.IsNullOrWhiteSpace(declared)) return FieldType.Any;
        var t = declared.Trim().ToLowerInvariant();
        if (t.EndsWith("[]", StringComparison.Ordinal) || t.StartsWith("interval", StringComparison.Ordinal)) return FieldType.Any;
        if (t.Contains("timestamp") || t.Contains("datetime")) return FieldType.Timestamp;
        if (t == "date") return FieldType.Date;
        if (t.Contains("bool")) return FieldType.Boolean;
        if (t.Contains("int") || t is "serial" or "bigserial" or "smallserial") return FieldType.Integer;
        if (t.StartsWith("numeric", StringComparison.Ordinal) || t.StartsWith("decimal", StringComparison.Ordinal) || t == "money") return FieldType.Decimal;
        if (t.Contains("doub") || t.Contains("floa") || t == "real") return FieldType.Double;
        if (t.Contains("char") || t.Contains("text") || t.Contains("clob") || t == "name" || t == "citext") return FieldType.String;
        return FieldType.Any;
    }

    /// <summary>The field type a value read from a database (or a record) has, or Any.</summary>
    public static FieldType OfValue(object? value) => value switch
    {
        null or DBNull => FieldType.Any,
        string => FieldType.String,
        long or int or short or sbyte or byte or ushort or uint => FieldType.Integer,
        decimal => FieldType.Decimal,
        double or float => FieldType.Double,
        bool => FieldType.Boolean,
        DateOnly => FieldType.Date,
        DateTime or DateTimeOffset => FieldType.Timestamp,
        _ => FieldType.Any,
    };

    /// <summary>
    /// A value read from a database as a record value of <paramref name="type"/>. False when it does not fit that
    /// type (then the column is read as Any from there on and keeps the value as it came).
    /// </summary>
    public static bool TryRead(object raw, FieldType type, out object? value)
    {
        value = null;
        if (raw is DBNull) return true;
        switch (type)
        {
            case FieldType.Any:
                value = Plain(raw);
                return true;
            case FieldType.String:
                value = raw as string ?? (raw is IFormattable f ? Text(f) : raw.ToString());
                return value is not null;
            case FieldType.Integer:
                switch (raw)
                {
                    case long l: value = l; return true;
                    case int i: value = (long)i; return true;
                    case short s: value = (long)s; return true;
                    case byte b: value = (long)b; return true;
                    case decimal d when d == decimal.Truncate(d) && d is >= long.MinValue and <= long.MaxValue: value = (long)d; return true;
                    case double d when d == Math.Truncate(d) && Math.Abs(d) < 9.2e18: value = (long)d; return true;
                    case string s when long.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var p): value = p; return true;
                    case bool b: value = b ? 1L : 0L; return true;
                }
                return false;
            case FieldType.Decimal:
                switch (raw)
                {
                    case decimal d: value = d; return true;
                    case long l: value = (decimal)l; return true;
                    case int i: value = (decimal)i; return true;
                    case double d when double.IsFinite(d) && Math.Abs(d) < 7.9e28: value = (decimal)d; return true;
                    case string s when decimal.TryParse(s, NumberStyles.Number | NumberStyles.AllowExponent, CultureInfo.InvariantCulture, out var p): value = p; return true;
                }
                return false;
            case FieldType.Double:
                switch (raw)
                {
                    case double d: value = d; return true;
                    case float single: value = (double)single; return true;
                    case long l: value = (double)l; return true;
                    case int i: value = (double)i; return true;
                    case decimal m: value = (double)m; return true;
                    case string s when double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var p): value = p; return true;
                }
                return false;
            case FieldType.Boolean:
                switch (raw)
                {
                    case bool b: value = b; return true;
                    case long l when l is 0 or 1: value = l == 1; return true;
                    case int i when i is 0 or 1: value = i == 1; return true;
                    case string s when Boolean(s) is { } p: value = p; return true;
                }
                return false;
            case FieldType.Date:
                switch (raw)
                {
                    case DateOnly d: value = d; return true;
                    case DateTime dt when dt.TimeOfDay == TimeSpan.Zero: value = DateOnly.FromDateTime(dt); return true;
                    case string s when DateOnly.TryParseExact(s, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var p): value = p; return true;
                }
                return false;
            case FieldType.Timestamp:
                switch (raw)
                {
                    case DateTimeOffset o: value = o; return true;
                    // timestamptz comes as UTC; a timestamp without time zone is read as UTC.
                    case DateTime dt: value = new DateTimeOffset(DateTime.SpecifyKind(dt, DateTimeKind.Utc)); return true;
                    case string s when Timestamp(s) is { } p: value = p; return true;
                }
                return false;
        }
        return false;
    }

    /// <summary>
    /// A record value as the parameter value for a column of <paramref name="column"/>'s type, or an error text
    /// that says why it cannot be (the row is then rejected).
    /// </summary>
    public static bool TryWrite(object? value, SqlColumn column, SqlProvider provider, out object? result, out string? error)
    {
        error = null;
        result = DBNull.Value;
        if (value is null or DBNull) return true;
        var postgres = provider == SqlProvider.Postgres;
        var declared = column.DeclaredType.ToLowerInvariant();
        switch (column.Type)
        {
            case FieldType.Integer when TryRead(value is string s ? s.Trim() : value, FieldType.Integer, out var n):
                var l = (long)n!;
                if (postgres && declared is "integer" or "int" or "int4" or "serial")
                {
                    if (l is < int.MinValue or > int.MaxValue) break;
                    result = (int)l;
                }
                else if (postgres && declared is "smallint" or "int2" or "smallserial")
                {
                    if (l is < short.MinValue or > short.MaxValue) break;
                    result = (short)l;
                }
                else
                {
                    result = l;
                }
                return true;
            case FieldType.Decimal when TryRead(value is string s ? s.Trim() : value, FieldType.Decimal, out var d):
                result = d;
                return true;
            case FieldType.Double when TryRead(value is string s ? s.Trim() : value, FieldType.Double, out var f):
                result = postgres && declared is "real" or "float4" ? (float)(double)f! : f;
                return true;
            case FieldType.Boolean when TryRead(value is string s ? s.Trim() : value, FieldType.Boolean, out var b):
                result = b;
                return true;
            case FieldType.Date when value is DateTimeOffset o:
                result = DateOnly.FromDateTime(o.Date);
                return true;
            case FieldType.Date when TryRead(value is string s ? s.Trim() : value, FieldType.Date, out var day):
                result = day;
                return true;
            case FieldType.Timestamp when value is DateOnly dateOnly:
                result = Timestamp(new DateTimeOffset(dateOnly.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero), postgres, declared);
                return true;
            case FieldType.Timestamp when TryRead(value is string s ? s.Trim() : value, FieldType.Timestamp, out var t):
                result = Timestamp((DateTimeOffset)t!, postgres, declared);
                return true;
            case FieldType.String:
                result = value as string ?? (value is IFormattable formattable ? Text(formattable) : value.ToString());
                return true;
            case FieldType.Any:
                // PostgreSQL: the statement casts the text to the column's type (uuid, json, ...); SQLite keeps the value.
                result = postgres ? (value as string ?? (value is IFormattable fa ? Text(fa) : value.ToString())) : Plain(value);
                return true;
        }
        error = $"the column '{column.Name}' ({column.DeclaredType}) cannot take the value '{Shorten(value)}'";
        return false;
    }

    private static object Timestamp(DateTimeOffset value, bool postgres, string declared) =>
        !postgres ? value
        : declared.Contains("without") || declared == "timestamp" ? DateTime.SpecifyKind(value.UtcDateTime, DateTimeKind.Unspecified)
        : value.UtcDateTime;

    /// <summary>Text of a value for a text column: invariant numbers, ISO dates and times.</summary>
    public static string Text(IFormattable value) => value switch
    {
        DateOnly d => d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        DateTimeOffset o => o.ToString("o", CultureInfo.InvariantCulture),
        DateTime dt => dt.ToString("o", CultureInfo.InvariantCulture),
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        _ => value.ToString(null, CultureInfo.InvariantCulture),
    };

    private static object? Plain(object raw) => raw switch
    {
        DBNull => null,
        int i => (long)i,
        short s => (long)s,
        float f => (double)f,
        DateTime dt => new DateTimeOffset(DateTime.SpecifyKind(dt, DateTimeKind.Utc)),
        _ => raw,
    };

    private static bool? Boolean(string s) => s.Trim().ToLowerInvariant() switch
    {
        "true" or "t" or "1" or "yes" => true,
        "false" or "f" or "0" or "no" => false,
        _ => null,
    };

    private static DateTimeOffset? Timestamp(string s) =>
        DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AllowWhiteSpaces, out var p) ? p : null;

    private static string Shorten(object value)
    {
        var text = value as string ?? (value is IFormattable f ? Text(f) : value.ToString() ?? "");
        return text.Length <= 80 ? text : text[..77] + "...";
    }
}
