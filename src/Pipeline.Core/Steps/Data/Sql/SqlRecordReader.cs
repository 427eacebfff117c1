using System.Data.Common;
using Pipeline.Core.Records;

namespace Pipeline.Core.Steps.Data.Sql;

/// <summary>
/// Streams a query's result into record batches. Each column's type comes from its declared type (a table column)
/// or, for a computed column that has none, from its first value; a value that does not fit turns its column into
/// Any from there on, so nothing is ever coerced into a wrong value.
/// </summary>
internal static class SqlRecordReader
{
    /// <summary>Reads every row into <paramref name="output"/> (or only counts them when it is null); returns the count.</summary>
    public static async Task<long> StreamAsync(DbDataReader reader, IRecordWriter? output, int batchSize, CancellationToken cancellationToken)
    {
        if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false)) return 0;
        var fields = Fields(reader);
        var types = fields.Select(f => f.Type).ToArray();
        var builder = output is null ? null : new RecordBatchBuilder(output, new RecordSchema(fields), batchSize);
        long rows = 0;
        do
        {
            rows++;
            if (builder is null) continue;
            var row = new object?[types.Length];
            for (var i = 0; i < types.Length; i++)
            {
                var raw = reader.GetValue(i);
                if (!SqlTypes.TryRead(raw, types[i], out row[i]))
                {
                    types[i] = FieldType.Any;
                    fields[i] = fields[i] with { Type = FieldType.Any };
                    await builder.SetSchemaAsync(new RecordSchema(fields), cancellationToken).ConfigureAwait(false);
                    SqlTypes.TryRead(raw, FieldType.Any, out row[i]);
                }
            }
            await builder.AddAsync(row, cancellationToken).ConfigureAwait(false);
        }
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false));
        if (builder is not null) await builder.FlushAsync(cancellationToken).ConfigureAwait(false);
        return rows;
    }

    private static RecordField[] Fields(DbDataReader reader)
    {
        var fields = new RecordField[reader.FieldCount];
        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < fields.Length; i++)
        {
            var name = reader.GetName(i);
            if (string.IsNullOrEmpty(name)) name = "column" + (i + 1);
            var unique = name;
            for (var n = 2; !names.Add(unique); n++) unique = $"{name}_{n}";
            var type = SqlTypes.FromDeclared(reader.GetDataTypeName(i));
            if (type == FieldType.Any && !reader.IsDBNull(i)) type = SqlTypes.OfValue(reader.GetValue(i));
            fields[i] = new RecordField(unique, type);
        }
        return fields;
    }
}
