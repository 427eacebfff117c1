using Pipeline.Core.Records;

namespace Pipeline.Core.Steps.Data.Common;

/// <summary>
/// The columns of a text source and their types: given by <c>schema:</c> (a value that does not parse is a bad row),
/// inferred from a sample of rows, or text. An inferred type is a guess, so a later value that does not fit widens the
/// column (integer → decimal → double → string, date → timestamp → string) for the rows that follow, and the source
/// starts a new batch with the wider schema.
/// </summary>
internal sealed class TypedColumns
{
    private readonly FieldType[] _types;
    private readonly bool[] _explicit;
    private readonly string?[] _lastText;
    private readonly RecentTexts?[] _recent;
    private readonly bool _infer;
    private bool _sampling;

    /// <summary>Columns named <paramref name="names"/>; <paramref name="schema"/> fixes some types; the others are
    /// inferred when <paramref name="infer"/>, else text.</summary>
    public TypedColumns(IReadOnlyList<string> names, IReadOnlyDictionary<string, FieldType> schema, bool infer, TextValues values)
    {
        Names = names;
        Values = values;
        _infer = infer;
        _types = new FieldType[names.Count];
        _explicit = new bool[names.Count];
        _lastText = new string?[names.Count];
        _recent = new RecentTexts?[names.Count];
        for (var i = 0; i < names.Count; i++)
        {
            _recent[i] = new RecentTexts();
            _explicit[i] = schema.TryGetValue(names[i], out var type);
            _types[i] = _explicit[i] ? type : infer ? FieldType.Any : FieldType.String;
        }
        _sampling = infer;
        Schema = BuildSchema();
    }

    /// <summary>The column names.</summary>
    public IReadOnlyList<string> Names { get; }

    /// <summary>The value parser.</summary>
    public TextValues Values { get; }

    /// <summary>The schema of the rows converted now.</summary>
    public RecordSchema Schema { get; private set; }

    /// <summary>Whether values are still being sampled for inference.</summary>
    public bool Sampling => _sampling;

    /// <summary>The current type of a column.</summary>
    public FieldType TypeOf(int column) => _types[column];

    /// <summary>Whether the column's type came from <c>schema:</c>.</summary>
    public bool IsExplicit(int column) => _explicit[column];

    /// <summary>Counts a sampled value towards its column's inferred type.</summary>
    public void Observe(int column, ReadOnlySpan<char> text)
    {
        if (!_sampling || _explicit[column] || text.IsEmpty || _types[column] == FieldType.String) return;
        _types[column] = TextValues.Widen(_types[column], Values.Classify(text));
    }

    /// <summary>Ends sampling: columns that held only nulls become text.</summary>
    public void EndSampling()
    {
        if (!_sampling) return;
        _sampling = false;
        for (var i = 0; i < _types.Length; i++)
        {
            if (_types[i] == FieldType.Any) _types[i] = FieldType.String;
        }
        Schema = BuildSchema();
    }

    /// <summary>
    /// Converts a non-empty field. False only when the column's type is explicit and the text does not parse (a bad
    /// row); an inferred column that does not fit widens instead and <see cref="Schema"/> changes.
    /// </summary>
    public bool TryConvert(int column, ReadOnlySpan<char> text, out object? value)
    {
        var type = _types[column];
        if (type is FieldType.String or FieldType.Any)
        {
            value = Text(column, text);
            return true;
        }
        if (Values.TryParse(text, type, out value)) return true;
        if (_explicit[column]) return false;
        _types[column] = TextValues.Widen(type, Values.Classify(text));
        Schema = BuildSchema();
        return TryConvert(column, text, out value);
    }

    /// <summary>
    /// A string for the column, reusing a string made before when the text repeats: the previous row's, or, in a
    /// column of few distinct values (codes, countries), one of the recent ones. Fewer strings are fewer allocations
    /// and less for the garbage collector to copy while rows are in flight.
    /// </summary>
    public string Text(int column, ReadOnlySpan<char> text)
    {
        var last = _lastText[column];
        if (last is not null && text.SequenceEqual(last)) return last;
        var recent = _recent[column];
        if (recent is null) return _lastText[column] = text.ToString();
        var made = recent.Get(text, out var worthKeeping);
        if (!worthKeeping) _recent[column] = null;
        return _lastText[column] = made;
    }

    /// <summary>
    /// Strings seen recently in one column, by hash into a small table. A column whose values rarely repeat (names,
    /// ids) stops using it after a sample, so that it costs a hash only while it pays.
    /// </summary>
    private sealed class RecentTexts
    {
        private const int Slots = 64, MaxLength = 32, Sample = 4096;

        private readonly string?[] _slots = new string?[Slots];
        private int _lookups, _hits;

        public string Get(ReadOnlySpan<char> text, out bool worthKeeping)
        {
            _lookups++;
            string result;
            if (text.Length > MaxLength)
            {
                result = text.ToString();
            }
            else
            {
                var slot = (int)((uint)string.GetHashCode(text, StringComparison.Ordinal) % Slots);
                var known = _slots[slot];
                if (known is not null && text.SequenceEqual(known))
                {
                    _hits++;
                    result = known;
                }
                else
                {
                    result = _slots[slot] = text.ToString();
                }
            }
            worthKeeping = _lookups < Sample || _hits * 2 >= _lookups;
            return result;
        }
    }

    private RecordSchema BuildSchema() =>
        new(Names.Select((name, i) => new RecordField(name, _types[i] == FieldType.Any ? FieldType.String : _types[i])));
}
