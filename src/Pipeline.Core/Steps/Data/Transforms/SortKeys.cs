using Pipeline.Core.Execution;
using Pipeline.Core.Records;

namespace Pipeline.Core.Steps.Data.Transforms;

/// <summary>
/// The <c>by</c> option of <c>sort</c>: columns, each optionally followed by <c>asc</c> or <c>desc</c> and
/// <c>nulls first</c> or <c>nulls last</c> (<c>amount desc</c>, <c>name asc nulls first</c>). As in PostgreSQL, NULL
/// comes last in ascending order and first in descending order unless told.
/// </summary>
internal sealed class SortKeys : IComparer<object?[]>
{
    private readonly int[] _columns;
    private readonly bool[] _descending;
    private readonly bool[] _nullsFirst;

    private SortKeys(int[] columns, bool[] descending, bool[] nullsFirst)
    {
        _columns = columns;
        _descending = descending;
        _nullsFirst = nullsFirst;
    }

    /// <summary>Parses the keys against the input's columns.</summary>
    public static SortKeys Parse(IReadOnlyList<string> keys, RecordSchema schema, string option)
    {
        if (keys.Count == 0) throw new StepException(ErrorKind.Configuration, $"The option '{option}' must name at least one column to sort by.");
        var columns = new int[keys.Count];
        var descending = new bool[keys.Count];
        var nullsFirst = new bool[keys.Count];
        for (var k = 0; k < keys.Count; k++)
        {
            var words = keys[k].Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries).ToList();
            bool? nulls = null;
            if (words.Count >= 3 && words[^2].Equals("nulls", StringComparison.OrdinalIgnoreCase))
            {
                nulls = words[^1].ToLowerInvariant() switch
                {
                    "first" => true,
                    "last" => false,
                    _ => throw new StepException(ErrorKind.Configuration, $"The option '{option}' has '{keys[k]}': write 'nulls first' or 'nulls last'."),
                };
                words.RemoveRange(words.Count - 2, 2);
            }
            if (words.Count >= 2 && words[^1].ToLowerInvariant() is "asc" or "desc")
            {
                descending[k] = words[^1].Equals("desc", StringComparison.OrdinalIgnoreCase);
                words.RemoveAt(words.Count - 1);
            }
            if (words.Count == 0) throw new StepException(ErrorKind.Configuration, $"The option '{option}' has '{keys[k]}', which names no column.");
            columns[k] = Columns.Find(schema, string.Join(' ', words), option);
            nullsFirst[k] = nulls ?? descending[k];
        }
        return new SortKeys(columns, descending, nullsFirst);
    }

    /// <inheritdoc />
    public int Compare(object?[]? x, object?[]? y)
    {
        for (var k = 0; k < _columns.Length; k++)
        {
            var a = x![_columns[k]];
            var b = y![_columns[k]];
            int c;
            if (a is null || b is null)
            {
                if (a is null && b is null) continue;
                c = (a is null) == _nullsFirst[k] ? -1 : 1;
                return c;
            }
            c = ValueOrder.Compare(a, b);
            if (c != 0) return _descending[k] ? -c : c;
        }
        return 0;
    }
}
