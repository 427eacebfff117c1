using System.Globalization;
using Pipeline.Core.Execution;

namespace Pipeline.Core.Steps.Data.Transforms;

/// <summary>
/// The <c>memory_budget</c> option of the steps that hold rows (sort, distinct, join, lookup, aggregate, validate's
/// unique checks): how many bytes of rows they may keep before they spill to disk or refuse. Row sizes are estimated
/// from the values (object headers, references, text), which is close to what the runtime really holds.
/// </summary>
internal static class MemoryBudget
{
    /// <summary>The option's name.</summary>
    public const string Option = "memory_budget";

    /// <summary>The default budget: 64 MiB.</summary>
    public const long DefaultBytes = 64L * 1024 * 1024;

    /// <summary>The default as written in the docs.</summary>
    public const string DefaultText = "64MB";

    /// <summary>The option's description.</summary>
    public static StepOptionInfo Info(string what) =>
        new(Option, StepOptionType.String, $"How much memory {what} may use, e.g. 512KB, 64MB, 1GB (bytes when no unit).") { Default = DefaultText };

    /// <summary>The budget in bytes.</summary>
    public static long Get(StepOptions options)
    {
        var text = options.GetString(Option);
        if (text is null) return DefaultBytes;
        return TryParse(text, out var bytes) && bytes > 0
            ? bytes
            : throw new StepException(ErrorKind.Configuration, $"The option '{Option}' must be a size such as 512KB, 64MB or 1GB, not '{text}'.");
    }

    /// <summary>Reads <c>1048576</c>, <c>512KB</c>, <c>64 MB</c>, <c>1.5GB</c> (powers of 1024; KiB, MiB, GiB too).</summary>
    public static bool TryParse(string text, out long bytes)
    {
        bytes = 0;
        var s = text.Trim();
        var end = 0;
        while (end < s.Length && (char.IsAsciiDigit(s[end]) || s[end] == '.')) end++;
        if (!double.TryParse(s.AsSpan(0, end), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number)) return false;
        var unit = s[end..].Trim().ToUpperInvariant();
        double factor = unit switch
        {
            "" or "B" => 1,
            "K" or "KB" or "KIB" => 1024,
            "M" or "MB" or "MIB" => 1024 * 1024,
            "G" or "GB" or "GIB" => 1024 * 1024 * 1024,
            _ => 0,
        };
        if (factor == 0 || number * factor > long.MaxValue) return false;
        bytes = (long)(number * factor);
        return true;
    }

    /// <summary>A size for messages: 64 MB, 512 KB, 100 bytes.</summary>
    public static string Format(long bytes) => bytes switch
    {
        >= 1024L * 1024 * 1024 when bytes % (1024L * 1024 * 1024) == 0 => $"{bytes / (1024L * 1024 * 1024)} GB",
        >= 1024L * 1024 => $"{Math.Round(bytes / (1024d * 1024), 1).ToString(CultureInfo.InvariantCulture)} MB",
        >= 1024 => $"{Math.Round(bytes / 1024d, 1).ToString(CultureInfo.InvariantCulture)} KB",
        _ => $"{bytes} bytes",
    };

    /// <summary>The estimated bytes a row holds: the array, and each value's box or text.</summary>
    public static long EstimateRow(object?[] row)
    {
        long size = 32 + 8L * row.Length;
        foreach (var value in row) size += EstimateValue(value);
        return size;
    }

    /// <summary>The estimated bytes of one value (0 for null).</summary>
    public static long EstimateValue(object? value) => value switch
    {
        null => 0,
        string s => 24 + 2L * s.Length,
        decimal or DateTimeOffset => 32,
        _ => 24,
    };
}
