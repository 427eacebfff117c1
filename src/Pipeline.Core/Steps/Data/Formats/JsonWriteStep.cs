using System.Text.Json;
using Pipeline.Core.Execution;
using Pipeline.Core.Observability;
using Pipeline.Core.Records;
using Pipeline.Core.Steps.Data.Common;
using Pipeline.Core.Steps.Files;

namespace Pipeline.Core.Steps.Data.Formats;

/// <summary>
/// <c>json.write</c>: writes the records of its inputs as a JSON array of objects or as JSON Lines, on any file system,
/// gzipped when asked or by the .gz name, under a temporary name until complete. Dates and timestamps are ISO 8601
/// strings; a non-finite double is written as null (JSON has no NaN).
/// </summary>
public sealed class JsonWriteStep : IStepHandler
{
    private const int FlushAt = 1 << 16;

    /// <inheritdoc />
    public StepTypeInfo Info { get; } = new(
        "json.write",
        "Writes records as a JSON array of objects or JSON Lines (local or remote, gzipped or not), under a temporary name until complete.",
        [
            new StepOptionInfo("path", StepOptionType.String, "The file to write: a path or a URI.") { Required = true },
            new StepOptionInfo("format", StepOptionType.String, "array or lines; auto writes lines for .jsonl/.ndjson names and an array otherwise.") { Default = "auto", AllowedValues = ["auto", "array", "lines"] },
            new StepOptionInfo("nest", StepOptionType.Boolean, "Turn columns named parent.child back into nested objects.") { Default = "false" },
            new StepOptionInfo("separator", StepOptionType.String, "What separates the names of nested columns, with nest: true.") { Default = "." },
            new StepOptionInfo("indent", StepOptionType.Boolean, "Indent an array for people to read.") { Default = "false" },
            DataOptions.Compression("writes"),
            DataOptions.Overwrite,
        ])
    {
        ConsumesRecords = true,
    };

    /// <inheritdoc />
    public Task ExecuteAsync(StepContext context, CancellationToken cancellationToken) => FileErrors.RunAsync(async () =>
    {
        var options = context.Options;
        var path = options.GetRequiredString("path");
        var plain = path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? path[..^3] : path;
        var lines = options.GetChoice("format", "auto", "auto", "array", "lines") switch
        {
            "lines" => true,
            "array" => false,
            _ => plain.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase) || plain.EndsWith(".ndjson", StringComparison.OrdinalIgnoreCase),
        };
        var nest = options.GetBoolean("nest", false);
        var separator = options.GetString("separator") ?? ".";
        if (context.Inputs.Count == 0)
            throw new StepException(ErrorKind.Configuration, "json.write has no input: name the step whose records it writes in 'input'.");

        await using var sink = await DataFileSink.OpenAsync(context, "path", path, options.GetBoolean("overwrite", true), DataFileSink.Compression(options, path), cancellationToken).ConfigureAwait(false);
        var buffered = new BufferedStream(sink.Stream, 1 << 16);
        var writer = new Utf8JsonWriter(buffered, new JsonWriterOptions { Indented = !lines && options.GetBoolean("indent", false), SkipValidation = lines });
        long rows = 0;
        if (!lines) writer.WriteStartArray();
        RecordSchema? schema = null;
        string[][] paths = [];
        foreach (var input in context.Inputs.Values)
        {
            await foreach (var batch in input.WithCancellation(cancellationToken).ConfigureAwait(false))
            {
                if (!ReferenceEquals(schema, batch.Schema))
                {
                    schema = batch.Schema;
                    paths = schema.Fields.Select(f => nest ? f.Name.Split(separator) : [f.Name]).ToArray();
                }
                foreach (var row in batch.Rows)
                {
                    WriteObject(writer, paths, row);
                    if (lines)
                    {
                        await writer.FlushAsync(cancellationToken).ConfigureAwait(false);
                        buffered.WriteByte((byte)'\n');
                        writer.Reset();
                    }
                    else if (writer.BytesPending >= FlushAt)
                    {
                        await writer.FlushAsync(cancellationToken).ConfigureAwait(false);
                    }
                }
                rows += batch.Count;
            }
        }
        if (!lines) writer.WriteEndArray();
        await writer.FlushAsync(cancellationToken).ConfigureAwait(false);
        await buffered.FlushAsync(cancellationToken).ConfigureAwait(false);
        await sink.CommitAsync(cancellationToken).ConfigureAwait(false);

        context.Metrics.AddRows(rows);
        context.Metrics.AddBytes(sink.Bytes);
        context.Metrics.AddFiles(1);
        context.SetOutput("rows", rows);
        context.SetOutput("bytes", sink.Bytes);
        context.SetOutput("path", sink.Display);
        context.Log(LogLevel.Information, $"Wrote {rows} record{(rows == 1 ? "" : "s")} to '{sink.Display}' ({sink.Bytes} bytes).");
    });

    /// <summary>Writes one row; with nesting, consecutive columns sharing a parent go into one object (a parent
    /// that comes back later after other columns opens a second object of the same name, so keep them together).</summary>
    private static void WriteObject(Utf8JsonWriter writer, string[][] paths, object?[] row)
    {
        writer.WriteStartObject();
        var open = new List<string>();
        for (var i = 0; i < row.Length; i++)
        {
            var path = paths[i];
            var common = 0;
            while (common < open.Count && common < path.Length - 1 && open[common] == path[common]) common++;
            while (open.Count > common)
            {
                writer.WriteEndObject();
                open.RemoveAt(open.Count - 1);
            }
            for (var d = common; d < path.Length - 1; d++)
            {
                writer.WriteStartObject(path[d]);
                open.Add(path[d]);
            }
            writer.WritePropertyName(path[^1]);
            WriteValue(writer, row[i]);
        }
        for (var d = 0; d < open.Count; d++) writer.WriteEndObject();
        writer.WriteEndObject();
    }

    private static void WriteValue(Utf8JsonWriter writer, object? value)
    {
        Span<char> text = stackalloc char[40];
        switch (value)
        {
            case null: writer.WriteNullValue(); break;
            case string s: writer.WriteStringValue(s); break;
            case long l: writer.WriteNumberValue(l); break;
            case int i: writer.WriteNumberValue(i); break;
            case decimal m: writer.WriteNumberValue(m); break;
            case double d when double.IsFinite(d): writer.WriteNumberValue(d); break;
            case double: writer.WriteNullValue(); break;
            case bool b: writer.WriteBooleanValue(b); break;
            case DateOnly date:
                IsoText.TryFormatDate(date, text, out var n);
                writer.WriteStringValue(text[..n]);
                break;
            case DateTimeOffset t:
                IsoText.TryFormatTimestamp(t, text, out n);
                writer.WriteStringValue(text[..n]);
                break;
            default: writer.WriteStringValue(Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture)); break;
        }
    }
}
