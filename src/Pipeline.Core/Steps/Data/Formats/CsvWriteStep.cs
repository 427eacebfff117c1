using Pipeline.Core.Execution;
using Pipeline.Core.Observability;
using Pipeline.Core.Steps.Data.Common;
using Pipeline.Core.Steps.Files;

namespace Pipeline.Core.Steps.Data.Formats;

/// <summary>
/// <c>csv.write</c>: writes the records of its inputs (one after another) as one CSV file, on any file system, gzipped
/// when asked or when the name ends in .gz. The file is written under a temporary name and appears under its own name
/// only when complete.
/// </summary>
public sealed class CsvWriteStep : IStepHandler
{
    /// <inheritdoc />
    public StepTypeInfo Info { get; } = new(
        "csv.write",
        "Writes records to a CSV file (local or remote, gzipped or not), under a temporary name until complete.",
        [
            new StepOptionInfo("path", StepOptionType.String, "The file to write: a path or a URI.") { Required = true },
            CsvOptions.Header,
            CsvOptions.Delimiter,
            new StepOptionInfo("quote", StepOptionType.String, "The quote character.") { Default = "\"" },
            CsvOptions.Escape,
            new StepOptionInfo("quote_all", StepOptionType.Boolean, "Quote every field, not only those holding the delimiter, a quote or a line break.") { Default = "false" },
            new StepOptionInfo("newline", StepOptionType.String, "The line end.") { Default = "lf", AllowedValues = ["lf", "crlf"] },
            new StepOptionInfo("encoding", StepOptionType.String, "The text encoding (utf-8-bom writes a byte order mark).") { Default = "utf-8", AllowedValues = TextEncodings.Names },
            DataOptions.Compression("writes"),
            new StepOptionInfo("null_value", StepOptionType.String, "What a null is written as (an empty string is then written as \"\").") { Default = "" },
            new StepOptionInfo("culture", StepOptionType.String, "The culture numbers and dates are written in; by default culture-invariant."),
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
        var quote = CsvOptions.GetChar(options, "quote", '"');
        var settings = new CsvWriterSettings
        {
            Delimiter = CsvOptions.GetChar(options, "delimiter", ','),
            Quote = quote,
            Escape = CsvOptions.GetChar(options, "escape", quote),
            Header = options.GetBoolean("header", true),
            QuoteAll = options.GetBoolean("quote_all", false),
            NewLine = options.GetChoice("newline", "lf", "lf", "crlf") == "crlf" ? "\r\n" : "\n",
            NullValue = options.GetString("null_value") ?? "",
            Encoding = TextEncodings.ForWriting(options),
            Culture = DataOptions.GetCulture(options),
        };
        CsvOptions.CheckDistinct(settings.Delimiter, settings.Quote, settings.Escape);
        if (context.Inputs.Count == 0)
            throw new StepException(ErrorKind.Configuration, "csv.write has no input: name the step whose records it writes in 'input'.");

        await using var sink = await DataFileSink.OpenAsync(context, "path", path, options.GetBoolean("overwrite", true),
            DataFileSink.Compression(options, path), cancellationToken).ConfigureAwait(false);
        var writer = new CsvWriter(sink.Stream, settings);
        foreach (var input in context.Inputs.Values)
        {
            await foreach (var batch in input.WithCancellation(cancellationToken).ConfigureAwait(false))
                await writer.WriteAsync(batch, cancellationToken).ConfigureAwait(false);
        }
        await writer.FlushAsync(cancellationToken).ConfigureAwait(false);
        await sink.CommitAsync(cancellationToken).ConfigureAwait(false);

        context.Metrics.AddRows(writer.Rows);
        context.Metrics.AddBytes(sink.Bytes);
        context.Metrics.AddFiles(1);
        context.SetOutput("rows", writer.Rows);
        context.SetOutput("bytes", sink.Bytes);
        context.SetOutput("path", sink.Display);
        context.Log(LogLevel.Information, $"Wrote {writer.Rows} row{(writer.Rows == 1 ? "" : "s")} to '{sink.Display}' ({sink.Bytes} bytes).");
    });
}
