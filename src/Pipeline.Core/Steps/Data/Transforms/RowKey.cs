using System.Globalization;
using Pipeline.Core.Expressions;

namespace Pipeline.Core.Steps.Data.Transforms;

/// <summary>
/// The key of a row for distinct, join, lookup, aggregate and unique checks: one or more values, normalised so that
/// equal numbers are equal keys whatever their type (1, 1L, 1.0m and 1.0 are one key) and a DateTime is its
/// timestamp. Text is compared exactly (case-sensitive), as <c>=</c> compares it. A struct, so a one-column key
/// costs no allocation beyond the normalised value.
/// </summary>
internal readonly struct RowKey : IEquatable<RowKey>
{
    private readonly object? _single;
    private readonly object?[]? _many;
    private readonly int _hash;

    private RowKey(object? single, object?[]? many, int hash)
    {
        _single = single;
        _many = many;
        _hash = hash;
    }

    /// <summary>The key of <paramref name="row"/> at the positions <paramref name="indexes"/>.</summary>
    public static RowKey Of(object?[] row, int[] indexes)
    {
        if (indexes.Length == 1)
        {
            var value = Normalize(row[indexes[0]]);
            return new RowKey(value, null, value?.GetHashCode() ?? 0);
        }
        var values = new object?[indexes.Length];
        var hash = new HashCode();
        for (var i = 0; i < indexes.Length; i++)
        {
            values[i] = Normalize(row[indexes[i]]);
            hash.Add(values[i]);
        }
        return new RowKey(null, values, hash.ToHashCode());
    }

    /// <summary>The key of one value.</summary>
    public static RowKey OfValue(object? value)
    {
        value = Normalize(value);
        return new RowKey(value, null, value?.GetHashCode() ?? 0);
    }

    /// <summary>A key from values already in the key's own form (read back from a spill file).</summary>
    public static RowKey FromValues(object?[] values, int start, int count)
    {
        if (count == 1) return new RowKey(values[start], null, values[start]?.GetHashCode() ?? 0);
        var copy = values.AsSpan(start, count).ToArray();
        var hash = new HashCode();
        foreach (var v in copy) hash.Add(v);
        return new RowKey(null, copy, hash.ToHashCode());
    }

    /// <summary>The number of values.</summary>
    public int Count => _many?.Length ?? 1;

    /// <summary>One of the values, normalised.</summary>
    public object? this[int index] => _many is null ? _single : _many[index];

    /// <summary>Whether any value is NULL (a join never matches such a key).</summary>
    public bool HasNull
    {
        get
        {
            if (_many is null) return _single is null;
            foreach (var v in _many)
            {
                if (v is null) return true;
            }
            return false;
        }
    }

    /// <summary>A spill partition from 0 to <paramref name="partitions"/> − 1, from the high bits of a multiplicative
    /// (Fibonacci) hash, so that keys sharing their low bits (even numbers) still spread over every partition.</summary>
    public int Partition(int partitions) => (int)(((ulong)unchecked((uint)_hash * 2654435769u) * (uint)partitions) >> 32);

    /// <summary>The estimated bytes the key holds.</summary>
    public long EstimateSize()
    {
        if (_many is null) return MemoryBudget.EstimateValue(_single);
        long size = 32 + 8L * _many.Length;
        foreach (var v in _many) size += MemoryBudget.EstimateValue(v);
        return size;
    }

    /// <inheritdoc />
    public bool Equals(RowKey other)
    {
        if (_hash != other._hash) return false;
        if (_many is null) return other._many is null && Equals(_single, other._single);
        if (other._many is null || other._many.Length != _many.Length) return false;
        for (var i = 0; i < _many.Length; i++)
        {
            if (!Equals(_many[i], other._many[i])) return false;
        }
        return true;
    }

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is RowKey other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => _hash;

    /// <summary>A value as a key compares it: whole numbers as long, other exact numbers as decimal, timestamps as DateTimeOffset.</summary>
    public static object? Normalize(object? value)
    {
        switch (value)
        {
            case null or string or long or bool or DateOnly or DateTimeOffset:
                return value;
            case int i:
                return (long)i;
            case decimal m:
                return decimal.Truncate(m) == m && m >= long.MinValue && m <= long.MaxValue ? (object)(long)m : m;
            case double d:
                if (double.IsFinite(d) && Math.Truncate(d) == d && Math.Abs(d) < 9.2e18) return (long)d;
                // 0.5 read as a double and 0.5 read as a decimal are one key when the double is exact.
                if (double.IsFinite(d) && Math.Abs(d) < 7.9e27 && (double)(decimal)d == d) return (decimal)d;
                return d;
            case float f:
                return Normalize((double)f);
            case short or byte or sbyte or ushort or uint:
                return Convert.ToInt64(value, CultureInfo.InvariantCulture);
            case ulong u:
                return u <= long.MaxValue ? (object)(long)u : (decimal)u;
            case DateTime dt:
                return Values.FromDateTime(dt);
            default:
                return value;
        }
    }
}
