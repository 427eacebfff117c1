using System.Globalization;
using Pipeline.Core.Execution;

namespace Pipeline.Core.Steps.Data.Transforms;

/// <summary>
/// A directory of temporary files for the rows a step cannot keep in memory (sorted runs, hash partitions),
/// deleted when the step ends, whether it succeeded or not. Files live under <c>temp_directory</c> (the system's
/// temporary directory by default).
/// </summary>
internal sealed class SpillDirectory : IDisposable
{
    /// <summary>The option naming where spill files go.</summary>
    public const string Option = "temp_directory";

    private int _next;

    private SpillDirectory(string path)
    {
        Path = path;
    }

    /// <summary>The option's description.</summary>
    public static StepOptionInfo Info { get; } =
        new(Option, StepOptionType.String, "Where rows that do not fit the memory budget are written while the step runs (deleted afterwards).") { Default = "the system's temporary directory" };

    /// <summary>The directory.</summary>
    public string Path { get; }

    /// <summary>Files created so far.</summary>
    public int FileCount => _next;

    /// <summary>Creates a directory for one step attempt.</summary>
    public static SpillDirectory Create(StepContext context)
    {
        var root = context.Options.GetString(Option) is { Length: > 0 } configured ? context.ResolveLocalPath(configured) : System.IO.Path.GetTempPath();
        try
        {
            Directory.CreateDirectory(root);
            var path = System.IO.Path.Combine(root, $"pipeline-{Safe(context.StepId)}-{Guid.NewGuid():N}");
            Directory.CreateDirectory(path);
            return new SpillDirectory(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new StepException(ErrorKind.Io, $"Cannot create a directory for spill files under '{root}' ({Option}): {ex.Message}", ex);
        }
    }

    /// <summary>A new file to write rows to.</summary>
    public SpillWriter CreateFile() => new(System.IO.Path.Combine(Path, $"{Interlocked.Increment(ref _next):D6}.rows"));

    /// <inheritdoc />
    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Left for the system's temp cleaner; nothing of the step's result depends on it.
        }
    }

    private static string Safe(string id) => string.Concat(id.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' ? c : '_'));
}

/// <summary>Writes rows to a spill file in a compact binary form that keeps each value's type.</summary>
internal sealed class SpillWriter : IDisposable
{
    private readonly BinaryWriter _writer;

    public SpillWriter(string path)
    {
        Path = path;
        _writer = new BinaryWriter(new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16));
    }

    /// <summary>The file.</summary>
    public string Path { get; }

    /// <summary>Rows written.</summary>
    public long Count { get; private set; }

    /// <summary>Appends a row.</summary>
    public void Write(object?[] row)
    {
        _writer.Write7BitEncodedInt(row.Length);
        foreach (var value in row) WriteValue(value);
        Count++;
    }

    /// <summary>Appends a row of the values taken from <paramref name="row"/> at <paramref name="indexes"/>.</summary>
    public void Write(object?[] row, ReadOnlySpan<int> indexes)
    {
        _writer.Write7BitEncodedInt(indexes.Length);
        foreach (var i in indexes) WriteValue(row[i]);
        Count++;
    }

    /// <summary>Finishes the file and opens it for reading.</summary>
    public SpillReader Finish()
    {
        _writer.Dispose();
        return new SpillReader(Path);
    }

    /// <inheritdoc />
    public void Dispose() => _writer.Dispose();

    private void WriteValue(object? value)
    {
        switch (value)
        {
            case null: _writer.Write((byte)0); break;
            case string s: _writer.Write((byte)1); _writer.Write(s); break;
            case long l: _writer.Write((byte)2); _writer.Write(l); break;
            case int i: _writer.Write((byte)3); _writer.Write(i); break;
            case decimal m: _writer.Write((byte)4); _writer.Write(m); break;
            case double d: _writer.Write((byte)5); _writer.Write(d); break;
            case bool b: _writer.Write((byte)6); _writer.Write(b); break;
            case DateOnly date: _writer.Write((byte)7); _writer.Write(date.DayNumber); break;
            case DateTimeOffset t: _writer.Write((byte)8); _writer.Write(t.Ticks); _writer.Write((short)t.Offset.TotalMinutes); break;
            case DateTime dt: _writer.Write((byte)9); _writer.Write(dt.ToBinary()); break;
            case float f: _writer.Write((byte)10); _writer.Write(f); break;
            case short or byte or sbyte or ushort or uint: _writer.Write((byte)2); _writer.Write(Convert.ToInt64(value, CultureInfo.InvariantCulture)); break;
            case IFormattable formattable: _writer.Write((byte)1); _writer.Write(formattable.ToString(null, CultureInfo.InvariantCulture)); break;
            default: _writer.Write((byte)1); _writer.Write(value.ToString() ?? ""); break;
        }
    }
}

/// <summary>Reads back the rows of a spill file, in the order they were written.</summary>
internal sealed class SpillReader : IDisposable
{
    private readonly BinaryReader _reader;
    private readonly long _length;

    public SpillReader(string path)
    {
        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        _length = stream.Length;
        _reader = new BinaryReader(stream);
    }

    /// <summary>The next row, or null at the end.</summary>
    public object?[]? Read()
    {
        if (_reader.BaseStream.Position >= _length) return null;
        var row = new object?[_reader.Read7BitEncodedInt()];
        for (var i = 0; i < row.Length; i++) row[i] = ReadValue();
        return row;
    }

    /// <inheritdoc />
    public void Dispose() => _reader.Dispose();

    private object? ReadValue() => _reader.ReadByte() switch
    {
        0 => null,
        1 => _reader.ReadString(),
        2 => _reader.ReadInt64(),
        3 => _reader.ReadInt32(),
        4 => _reader.ReadDecimal(),
        5 => _reader.ReadDouble(),
        6 => _reader.ReadBoolean(),
        7 => DateOnly.FromDayNumber(_reader.ReadInt32()),
        8 => new DateTimeOffset(_reader.ReadInt64(), TimeSpan.FromMinutes(_reader.ReadInt16())),
        9 => DateTime.FromBinary(_reader.ReadInt64()),
        10 => _reader.ReadSingle(),
        var tag => throw new InvalidDataException($"A spill file holds an unknown value tag {tag}."),
    };
}
