namespace Pipeline.Core.Records;

/// <summary>The type of a record field.</summary>
public enum FieldType
{
    /// <summary>Not known or mixed: values keep their .NET type.</summary>
    Any,
    /// <summary>Text.</summary>
    String,
    /// <summary>64-bit integer.</summary>
    Integer,
    /// <summary>Decimal number (exact).</summary>
    Decimal,
    /// <summary>Double-precision floating point.</summary>
    Double,
    /// <summary>True or false.</summary>
    Boolean,
    /// <summary>A calendar date (<see cref="DateOnly"/>).</summary>
    Date,
    /// <summary>A point in time (<see cref="DateTimeOffset"/>).</summary>
    Timestamp,
}

/// <summary>One named, typed field of a record.</summary>
/// <param name="Name">The field name.</param>
/// <param name="Type">The field type.</param>
public sealed record RecordField(string Name, FieldType Type = FieldType.Any);

/// <summary>The ordered fields shared by every row of a <see cref="RecordBatch"/>.</summary>
public sealed class RecordSchema
{
    private readonly Dictionary<string, int> _index;

    /// <summary>Creates a schema. Field names are unique, compared case-insensitively.</summary>
    /// <exception cref="ArgumentException">Two fields share a name.</exception>
    public RecordSchema(IEnumerable<RecordField> fields)
    {
        Fields = fields.ToArray();
        _index = new Dictionary<string, int>(Fields.Count, StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < Fields.Count; i++)
        {
            if (!_index.TryAdd(Fields[i].Name, i))
                throw new ArgumentException($"The field '{Fields[i].Name}' appears twice in the schema.", nameof(fields));
        }
    }

    /// <summary>Creates a schema of untyped fields.</summary>
    public static RecordSchema Of(params string[] names) => new(names.Select(n => new RecordField(n)));

    /// <summary>The fields in order.</summary>
    public IReadOnlyList<RecordField> Fields { get; }

    /// <summary>The number of fields.</summary>
    public int Count => Fields.Count;

    /// <summary>The position of a field, or -1.</summary>
    public int IndexOf(string name) => _index.TryGetValue(name, out var i) ? i : -1;

    /// <summary>Whether two schemas have the same names and types in the same order.</summary>
    public bool SameAs(RecordSchema other) =>
        ReferenceEquals(this, other) || (Count == other.Count && Fields.SequenceEqual(other.Fields));

    /// <inheritdoc />
    public override string ToString() => string.Join(", ", Fields.Select(f => $"{f.Name}:{f.Type}"));
}

/// <summary>
/// A batch of rows sharing one schema: the unit that flows between steps. Batches are immutable once written,
/// so several consumers can read the same batch without copying it.
/// </summary>
public sealed class RecordBatch
{
    /// <summary>Creates a batch; each row has one value per schema field.</summary>
    public RecordBatch(RecordSchema schema, IReadOnlyList<object?[]> rows)
    {
        Schema = schema;
        Rows = rows;
    }

    /// <summary>The schema of every row.</summary>
    public RecordSchema Schema { get; }

    /// <summary>The rows; row[i] is the value of field i.</summary>
    public IReadOnlyList<object?[]> Rows { get; }

    /// <summary>The number of rows.</summary>
    public int Count => Rows.Count;
}
