using Pipeline.Core.Execution;
using Pipeline.Core.Observability;
using Pipeline.Core.Records;
using Pipeline.RemoteFs;

namespace Pipeline.Core.Steps.Files;

/// <summary>
/// <c>file.list</c>: lists a directory on any file system as records (name, path, directory, length,
/// last_write_time, is_directory, extension), streamed in batches so a huge directory needs no more memory than one
/// batch.
/// </summary>
public sealed class FileListStep : IStepHandler
{
    /// <summary>The schema of the records this step writes.</summary>
    public static RecordSchema Schema { get; } = new(
    [
        new RecordField("name", FieldType.String),
        new RecordField("path", FieldType.String),
        new RecordField("directory", FieldType.String),
        new RecordField("length", FieldType.Integer),
        new RecordField("last_write_time", FieldType.Timestamp),
        new RecordField("is_directory", FieldType.Boolean),
        new RecordField("extension", FieldType.String),
    ]);

    /// <inheritdoc />
    public StepTypeInfo Info { get; } = new(
        "file.list",
        "Lists the files and directories in a directory on any file system as records: name, path, directory, length, last_write_time, is_directory, extension.",
        [
            new StepOptionInfo("path", StepOptionType.String, "The directory to list: a path (relative to the definition) or a URI.") { Required = true },
            new StepOptionInfo("pattern", StepOptionType.String, "A glob the entries must match (*, ?, **, [abc], {a,b}); without '/' it is matched against the name.") { Default = "*" },
            new StepOptionInfo("recursive", StepOptionType.Boolean, "List subdirectories too.") { Default = "false" },
        ])
    {
        ProducesRecords = true,
    };

    /// <inheritdoc />
    public Task ExecuteAsync(StepContext context, CancellationToken cancellationToken) => FileErrors.RunAsync(async () =>
    {
        var options = context.Options;
        var pathText = options.GetRequiredString("path");
        var pattern = options.GetString("pattern", "*")!;
        var recursive = options.GetBoolean("recursive", false);
        try
        {
            Glob.Compile(pattern);
        }
        catch (ArgumentException ex)
        {
            throw new StepException(ErrorKind.Configuration, $"The option 'pattern' is not a valid glob: {ex.Message}", ex);
        }

        await using var directory = await FileLocation.OpenAsync(context, "path", pathText, cancellationToken).ConfigureAwait(false);
        var item = await directory.FileSystem.StatAsync(directory.Path, cancellationToken).ConfigureAwait(false);
        if (item is null)
            throw FileErrors.NotFound("directory", directory.ToString());
        if (!item.IsDirectory)
            throw new StepException(ErrorKind.Configuration, $"'{directory}' is a file; file.list lists a directory (use pattern to pick files).");

        var builder = context.Output is null ? null : new RecordBatchBuilder(context.Output, Schema);
        long count = 0;
        var listing = directory.FileSystem.ListAsync(directory.Path, new ListOptions { Filter = pattern, Recursive = recursive, IncludeDirectories = true }, cancellationToken);
        await foreach (var entry in listing.ConfigureAwait(false))
        {
            count++;
            if (builder is not null)
                await builder.AddAsync(ToRow(directory, entry), cancellationToken).ConfigureAwait(false);
        }
        if (builder is not null)
            await builder.FlushAsync(cancellationToken).ConfigureAwait(false);

        context.Metrics.AddRows(count);
        context.SetOutput("count", count);
        context.Log(LogLevel.Information, $"Listed {Counted.Of(count, "entry", "entries")} in '{directory}'.");
    });

    private static object?[] ToRow(FileLocation directory, RemoteItem entry) =>
    [
        entry.Name,
        directory.Display(entry.Path),
        directory.Display(directory.Parent(entry.Path)),
        entry.IsDirectory ? 0L : entry.Length,
        entry.LastWriteTime,
        entry.IsDirectory,
        entry.IsDirectory ? "" : Path.GetExtension(entry.Name),
    ];
}
