using System.Globalization;
using Pipeline.Core.Records;
using Pipeline.Core.Steps.Data.Common;

namespace Pipeline.Core.Steps.Data.Formats;

/// <summary>
/// The columns of records whose fields each name themselves (JSON objects, spreadsheet rows): a column per name in order of first appearance,
/// a type per column from <c>schema:</c> (strings parsed, numbers converted; a value that does not fit is a bad row) or
/// widened over the values seen (integer → decimal → double, anything mixed → string). A new name or a wider type
/// changes <see cref="Schema"/>, and the reader starts a new batch.
/// </summary>
internal sealed class JsonColumns
{
    private readonly List<string> _names = [];
    private readonly List<FieldType> _types = [];
    private readonly List<bool> _explicit = [];
    private readonly Dictionary<string, int> _index = new(StringComparer.OrdinalIgnoreCase);
    private readonly IReadOnlyDictionary<string, FieldType> _schema;
    private readonly TextValues _values;
    private readonly bool _infer;

    public JsonColumns(IReadOnlyDictionary<string, FieldType> schema, bool infer, TextValues values)
    {
        _schema = schema;
        _infer = infer;
        _values = values;
        Schema = Build();
    }

    /// <summary>The schema of rows made now.</summary>
    public RecordSchema Schema { get; private set; }

    /// <summary>Adds the record's names and widens types by its values, without making a row (sampling).</summary>
    public void Observe(JsonRecord record)
    {
        foreach (var (name, value) in record.Fields)
        {
            var i = _index.TryGetValue(name, out var existing) ? existing : Add(name);
            if (!_explicit[i]) _types[i] = TextValues.Widen(_types[i], _infer ? KindOf(value) : FieldType.String);
        }
        Schema = Build();
    }

    /// <summary>Makes a row; null with <paramref name="error"/> naming the column when an explicit type does not fit.</summary>
    public object?[]? Row(JsonRecord record, out string? error)
    {
        error = null;
        var changed = false;
        foreach (var (name, value) in record.Fields)
        {
            var i = _index.TryGetValue(name, out var existing) ? existing : Add(name, ref changed);
            if (_explicit[i] || value is null) continue;
            var widened = TextValues.Widen(_types[i], _infer ? KindOf(value) : FieldType.String);
            if (widened != _types[i])
            {
                _types[i] = widened;
                changed = true;
            }
        }
        if (changed) Schema = Build();
        var row = new object?[_names.Count];
        foreach (var (name, value) in record.Fields)
        {
            var i = _index[name];
            if (!TryCoerce(value, _types[i] == FieldType.Any ? FieldType.String : _types[i], out row[i]))
            {
                error = $"column '{_names[i]}': {Show(value)} is not {DataOptions.TypeName(_types[i])}";
                return null;
            }
        }
        return row;
    }

    private int Add(string name)
    {
        var changed = false;
        return Add(name, ref changed);
    }

    private int Add(string name, ref bool changed)
    {
        var explicitType = _schema.TryGetValue(name, out var type);
        _names.Add(name);
        _types.Add(explicitType ? type : FieldType.Any);
        _explicit.Add(explicitType);
        _index[name] = _names.Count - 1;
        changed = true;
        return _names.Count - 1;
    }

    private static FieldType KindOf(object? value) => value switch
    {
        null => FieldType.Any,
        long => FieldType.Integer,
        decimal => FieldType.Decimal,
        double => FieldType.Double,
        bool => FieldType.Boolean,
        DateOnly => FieldType.Date,
        DateTimeOffset => FieldType.Timestamp,
        _ => FieldType.String,
    };

    private bool TryCoerce(object? value, FieldType type, out object? result)
    {
        result = value;
        switch (value)
        {
            case null:
                return true;
            case string s:
                if (type == FieldType.String) return true;
                return s.Length == 0 ? (result = null) is null : _values.TryParse(s, type, out result);
            case long l:
                switch (type)
                {
                    case FieldType.Integer: return true;
                    case FieldType.Decimal: result = (decimal)l; return true;
                    case FieldType.Double: result = (double)l; return true;
                    case FieldType.String: result = l.ToString(CultureInfo.InvariantCulture); return true;
                }
                break;
            case decimal m:
                switch (type)
                {
                    case FieldType.Decimal: return true;
                    case FieldType.Double: result = (double)m; return true;
                    case FieldType.Integer when decimal.Truncate(m) == m && m >= long.MinValue && m <= long.MaxValue: result = (long)m; return true;
                    case FieldType.String: result = m.ToString(CultureInfo.InvariantCulture); return true;
                }
                break;
            case double d:
                switch (type)
                {
                    case FieldType.Double: return true;
                    case FieldType.Decimal when Math.Abs(d) < 7.9e28: result = (decimal)d; return true;
                    case FieldType.String: result = d.ToString("R", CultureInfo.InvariantCulture); return true;
                }
                break;
            case bool b:
                if (type == FieldType.Boolean) return true;
                if (type == FieldType.String) { result = b ? "true" : "false"; return true; }
                break;
            case DateOnly date:
                if (type == FieldType.Date) return true;
                if (type == FieldType.Timestamp) { result = new DateTimeOffset(date.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero); return true; }
                if (type == FieldType.String) { result = date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture); return true; }
                break;
            case DateTimeOffset t:
                if (type == FieldType.Timestamp) return true;
                if (type == FieldType.String) { result = t.ToString("O", CultureInfo.InvariantCulture); return true; }
                break;
        }
        result = null;
        return false;
    }

    private static string Show(object? value) => value is string s ? $"'{(s.Length > 40 ? s[..40] + "..." : s)}'" : Convert.ToString(value, CultureInfo.InvariantCulture) ?? "null";

    private RecordSchema Build() => new(_names.Select((n, i) => new RecordField(n, _types[i] == FieldType.Any ? FieldType.String : _types[i])));
}
