using System.Globalization;
using Pipeline.Core.Execution;
using Pipeline.Core.Records;

namespace Pipeline.Core.Steps.Data.Common;

/// <summary>
/// The options every record source shares: <c>schema:</c> (column → type, overriding inference), <c>infer:</c>,
/// <c>culture:</c> and <c>on_error:</c>/<c>reject_path:</c>, described once so that every step documents them alike.
/// </summary>
internal static class DataOptions
{
    /// <summary>The type names <c>schema:</c> accepts.</summary>
    public static readonly IReadOnlyList<string> TypeNames = ["string", "integer", "decimal", "double", "boolean", "date", "timestamp"];

    /// <summary><c>schema:</c></summary>
    public static StepOptionInfo Schema { get; } = new("schema", StepOptionType.Map,
        "Column types by name (string, integer, decimal, double, boolean, date, timestamp); given columns are not inferred and a value that does not parse is a bad row.");

    /// <summary><c>infer:</c></summary>
    public static StepOptionInfo Infer { get; } = new("infer", StepOptionType.Boolean,
        "Infer the types of columns not named in schema from the values; false keeps them as text.") { Default = "true" };

    /// <summary><c>culture:</c></summary>
    public static StepOptionInfo Culture { get; } = new("culture", StepOptionType.String,
        "The culture numbers and dates are written in (de-DE, fr-FR, ...); by default culture-invariant (1234.5, 2026-11-21).");

    /// <summary><c>on_error:</c></summary>
    public static StepOptionInfo OnError { get; } = new("on_error", StepOptionType.String,
        "What a bad row does: fail the step, skip it (counted and logged), or reject it to reject_path or the named output rejected.") { Default = "fail", AllowedValues = ["fail", "skip", "reject"] };

    /// <summary><c>reject_path:</c></summary>
    public static StepOptionInfo RejectPath { get; } = new("reject_path", StepOptionType.String,
        "With on_error: reject, the CSV file (path or URI) that receives each bad row with its file, line, column and reason; without it, bad rows go to the output rejected.");

    /// <summary>
    /// Rows per batch when <c>batch_size</c> is not given. Small enough that the rows in flight between steps (a batch
    /// being built, the queue, a batch being processed, per step) stay a few megabytes, which is what keeps the
    /// garbage collector's young generation, and so the process's peak memory, small; large enough that handing a
    /// batch over costs nothing measurable (docs/benchmarks.md, "Data steps").
    /// </summary>
    public const int DefaultBatchSize = 1024;

    /// <summary><c>batch_size:</c></summary>
    public static StepOptionInfo BatchSize { get; } = new("batch_size", StepOptionType.Integer,
        "Rows per record batch handed to the next step.") { Default = DefaultBatchSize.ToString(CultureInfo.InvariantCulture) };

    /// <summary><c>overwrite:</c> for sinks.</summary>
    public static StepOptionInfo Overwrite { get; } = new("overwrite", StepOptionType.Boolean,
        "Replace an existing file; otherwise an existing file fails the step.") { Default = "true" };

    /// <summary><c>compression:</c></summary>
    public static StepOptionInfo Compression(string verb) => new("compression", StepOptionType.String,
        $"gzip or none; auto {verb} gzip when the path ends in .gz.") { Default = "auto", AllowedValues = ["auto", "gzip", "none"] };

    /// <summary>The rows-per-batch option, checked.</summary>
    public static int GetBatchSize(StepOptions options)
    {
        var size = options.GetInt32("batch_size", DefaultBatchSize);
        return size is >= 1 and <= 1_000_000 ? size
            : throw new StepException(ErrorKind.Configuration, $"The option 'batch_size' must be between 1 and 1000000, not {size}.");
    }

    /// <summary>The culture option: null (invariant) when not given.</summary>
    public static CultureInfo? GetCulture(StepOptions options)
    {
        var name = options.GetString("culture");
        if (string.IsNullOrWhiteSpace(name)) return null;
        try
        {
            return CultureInfo.GetCultureInfo(name.Trim(), predefinedOnly: true);
        }
        catch (CultureNotFoundException)
        {
            throw new StepException(ErrorKind.Configuration, $"The option 'culture' names no known culture: '{name}'.");
        }
    }

    /// <summary>The <c>schema:</c> map as column → type (names compared case-insensitively).</summary>
    public static IReadOnlyDictionary<string, FieldType> GetSchema(StepOptions options)
    {
        var result = new Dictionary<string, FieldType>(StringComparer.OrdinalIgnoreCase);
        foreach (var (column, typeName) in options.GetStringMap("schema"))
            result[column] = ParseType(typeName) ?? throw new StepException(ErrorKind.Configuration,
                $"The option 'schema' gives the column '{column}' the unknown type '{typeName}'; use one of {string.Join(", ", TypeNames)}.");
        return result;
    }

    /// <summary>A type name (with common aliases: int, long, bool, number, float, datetime, text), or null.</summary>
    public static FieldType? ParseType(string name) => name.Trim().ToLowerInvariant() switch
    {
        "string" or "text" or "str" => FieldType.String,
        "integer" or "int" or "long" or "int64" => FieldType.Integer,
        "decimal" or "number" or "numeric" => FieldType.Decimal,
        "double" or "float" or "real" => FieldType.Double,
        "boolean" or "bool" => FieldType.Boolean,
        "date" => FieldType.Date,
        "timestamp" or "datetime" => FieldType.Timestamp,
        "any" => FieldType.Any,
        _ => null,
    };

    /// <summary>A type's name as the options spell it.</summary>
    public static string TypeName(FieldType type) => type switch
    {
        FieldType.Any => "any",
        _ => type.ToString().ToLowerInvariant(),
    };

    /// <summary>Names every column of <paramref name="schema"/> that <paramref name="columns"/> lacks, as a configuration error.</summary>
    public static void CheckSchemaColumns(IReadOnlyDictionary<string, FieldType> schema, IReadOnlyList<string> columns, string file)
    {
        var missing = schema.Keys.Where(k => !columns.Contains(k, StringComparer.OrdinalIgnoreCase)).ToList();
        if (missing.Count > 0)
            throw new StepException(ErrorKind.Configuration,
                $"The option 'schema' names {(missing.Count == 1 ? "a column" : "columns")} that '{file}' does not have: {string.Join(", ", missing)}. Its columns: {string.Join(", ", columns)}.");
    }
}
