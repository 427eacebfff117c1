using Pipeline.Core.Execution;
using Pipeline.Core.Observability;
using Pipeline.Core.Records;
using Pipeline.Core.Steps.Data.Common;
using Pipeline.Core.Steps.Files;

namespace Pipeline.Core.Steps.Data.Formats;

/// <summary>
/// <c>json.read</c>: reads a JSON array of objects or JSON Lines (one object per line), one file or a glob's matches,
/// local or remote, gzipped or not, streaming (one record in memory beyond the batch). Nested objects become
/// <c>a.b.c</c> columns when flattened; arrays stay as their JSON text.
/// </summary>
public sealed class JsonReadStep : IStepHandler
{
    /// <inheritdoc />
    public StepTypeInfo Info { get; } = new(
        "json.read",
        "Reads JSON (an array of objects, or JSON Lines) as records, streaming; nested objects flattened to a.b.c columns.",
        [
            new StepOptionInfo("path", StepOptionType.String, "The file to read, or a glob: a path or a URI.") { Required = true },
            new StepOptionInfo("format", StepOptionType.String, "array (one top-level array of objects), lines (one object per line), or auto (by the first character).") { Default = "auto", AllowedValues = ["auto", "array", "lines"] },
            new StepOptionInfo("flatten", StepOptionType.Boolean, "Turn nested objects into columns named parent.child; otherwise they stay as JSON text.") { Default = "true" },
            new StepOptionInfo("separator", StepOptionType.String, "What joins the names of flattened columns.") { Default = "." },
            DataOptions.Compression("reads"),
            DataOptions.Schema,
            DataOptions.Infer,
            new StepOptionInfo("infer_rows", StepOptionType.Integer, "How many records decide the columns and their types before the first batch.") { Default = "1000" },
            DataOptions.Culture,
            DataOptions.OnError,
            DataOptions.RejectPath,
            DataOptions.BatchSize,
        ])
    {
        ProducesRecords = true,
        OutputPorts = [BadRows.Port],
    };

    /// <inheritdoc />
    public Task ExecuteAsync(StepContext context, CancellationToken cancellationToken) => FileErrors.RunAsync(async () =>
    {
        var options = context.Options;
        var format = options.GetChoice("format", "auto", "auto", "array", "lines");
        bool? lines = format switch { "array" => false, "lines" => true, _ => null };
        var flatten = options.GetBoolean("flatten", true);
        var separator = options.GetString("separator") ?? ".";
        var inferRows = Math.Max(1, options.GetInt32("infer_rows", 1000));
        var batchSize = DataOptions.GetBatchSize(options);
        var columns = new JsonColumns(DataOptions.GetSchema(options), options.GetBoolean("infer", true), new TextValues(DataOptions.GetCulture(options)));
        var output = context.Output ?? NoConsumer.Instance;

        await using var source = await DataFileSource.OpenAsync(context, "path", cancellationToken).ConfigureAwait(false);
        await using var badRows = BadRows.FromOptions(context);
        var sample = new List<(JsonRecord Record, string File)>();
        var sampling = true;
        var rows = new List<object?[]>(batchSize);
        RecordSchema? batchSchema = null;
        long count = 0;

        async Task FlushAsync()
        {
            if (rows.Count == 0) return;
            var batch = new RecordBatch(batchSchema!, rows);
            rows = new List<object?[]>(batchSize);
            await output.WriteAsync(batch, cancellationToken).ConfigureAwait(false);
        }

        async Task EmitAsync(JsonRecord record, string file)
        {
            var unit = record.Unit;
            if (record.Error is not null)
            {
                await badRows.HandleAsync(new DataError(file, unit, record.Number, null, record.Error), record.Text, cancellationToken).ConfigureAwait(false);
                return;
            }
            var row = columns.Row(record, out var error);
            if (row is null)
            {
                await badRows.HandleAsync(new DataError(file, unit, record.Number, null, error!), null, cancellationToken).ConfigureAwait(false);
                return;
            }
            if (!ReferenceEquals(columns.Schema, batchSchema))
            {
                await FlushAsync().ConfigureAwait(false);
                batchSchema = columns.Schema;
            }
            rows.Add(row);
            count++;
            if (rows.Count >= batchSize) await FlushAsync().ConfigureAwait(false);
        }

        async Task DrainAsync()
        {
            sampling = false;
            foreach (var (record, file) in sample) await EmitAsync(record, file).ConfigureAwait(false);
            sample.Clear();
        }

        foreach (var path in source.Paths)
        {
            var display = source.Display(path);
            await using var stream = await source.OpenAsync(path, cancellationToken).ConfigureAwait(false);
            using var reader = new JsonRecordReader(stream, lines, flatten, separator);
            try
            {
                while (true)
                {
                    var record = new JsonRecord();
                    if (!await reader.ReadAsync(record, cancellationToken).ConfigureAwait(false)) break;
                    if (sampling)
                    {
                        if (record.Error is null) columns.Observe(record);
                        sample.Add((record, display));
                        if (sample.Count >= inferRows) await DrainAsync().ConfigureAwait(false);
                        continue;
                    }
                    await EmitAsync(record, display).ConfigureAwait(false);
                }
            }
            catch (Exception ex) when (ex is InvalidDataException or GzipFormatException)
            {
                throw new StepException(ErrorKind.Validation, $"'{display}', {ex.Message}", ex);
            }
            context.Metrics.AddBytes(reader.BytesRead);
            context.Metrics.AddFiles(1);
        }
        await DrainAsync().ConfigureAwait(false);
        await FlushAsync().ConfigureAwait(false);
        await badRows.CompleteAsync(cancellationToken).ConfigureAwait(false);
        context.Metrics.AddRows(count);
        context.SetOutput("rows", count);
        context.SetOutput("files", source.Paths.Count);
        context.Log(LogLevel.Information, $"Read {count} record{(count == 1 ? "" : "s")} from {Counted.Of(source.Paths.Count, "file")} ({columns.Schema}).");
    });
}
