using Pipeline.Core.Execution;
using Pipeline.Core.Observability;
using Pipeline.Core.Records;
using Pipeline.Core.Steps.Files;
using Pipeline.RemoteFs;

namespace Pipeline.Core.Steps.Remote;

/// <summary>
/// <c>remote.list</c>: lists a directory (or prefix) on any file system as records — path, name, relative_path, size,
/// modified, is_directory, etag — streamed in batches while the backend pages, so a bucket of millions of keys needs no
/// more memory than one batch.
/// </summary>
public sealed class RemoteListStep : IStepHandler
{
    /// <summary>The schema of the records this step writes.</summary>
    public static RecordSchema Schema { get; } = new(
    [
        new RecordField("path", FieldType.String),
        new RecordField("name", FieldType.String),
        new RecordField("relative_path", FieldType.String),
        new RecordField("size", FieldType.Integer),
        new RecordField("modified", FieldType.Timestamp),
        new RecordField("is_directory", FieldType.Boolean),
        new RecordField("etag", FieldType.String),
    ]);

    /// <inheritdoc />
    public StepTypeInfo Info { get; } = new(
        "remote.list",
        "Lists a remote directory or prefix as records: path (the URI), name, relative_path, size, modified, is_directory, etag.",
        [
            new StepOptionInfo("path", StepOptionType.String, "The directory or prefix to list: s3://bucket/prefix, az://account/container/dir, sftp://host/dir, or a local path.") { Required = true },
            new StepOptionInfo("pattern", StepOptionType.String, "A glob the entries' relative paths must match (*, ?, **, [abc]).") { Default = "*" },
            new StepOptionInfo("recursive", StepOptionType.Boolean, "List everything below the directory, not only its direct entries.") { Default = "false" },
            new StepOptionInfo("include_directories", StepOptionType.Boolean, "Emit directories (prefixes) as well as files.") { Default = "true" },
        ])
    {
        ProducesRecords = true,
    };

    /// <inheritdoc />
    public Task ExecuteAsync(StepContext context, CancellationToken cancellationToken) => FileErrors.RunAsync(async () =>
    {
        var options = context.Options;
        var pattern = options.GetString("pattern", "*")!;
        var recursive = options.GetBoolean("recursive", false);
        var includeDirectories = options.GetBoolean("include_directories", true);
        try
        {
            Glob.Compile(pattern);
        }
        catch (ArgumentException ex)
        {
            throw new StepException(ErrorKind.Configuration, $"The option 'pattern' is not a valid glob: {ex.Message}", ex);
        }

        await using var directory = await FileLocation.OpenAsync(context, "path", options.GetRequiredString("path"), cancellationToken).ConfigureAwait(false);
        var root = await directory.FileSystem.StatAsync(directory.Path, cancellationToken).ConfigureAwait(false)
            ?? throw FileErrors.NotFound("directory", directory.ToString());
        if (!root.IsDirectory)
            throw new StepException(ErrorKind.Configuration, $"'{directory}' is a file; remote.list lists a directory or prefix (use pattern to pick files).");

        var builder = context.Output is null ? null : new RecordBatchBuilder(context.Output, Schema);
        long count = 0, bytes = 0;
        var listing = directory.FileSystem.ListAsync(root.Path,
            new ListOptions { Filter = pattern == "*" && recursive ? null : pattern, Recursive = recursive, IncludeDirectories = includeDirectories }, cancellationToken);
        await foreach (var entry in listing.ConfigureAwait(false))
        {
            count++;
            bytes += entry.IsDirectory ? 0 : entry.Length;
            if (builder is not null)
                await builder.AddAsync(
                [
                    directory.Display(entry.Path),
                    entry.Name,
                    directory.Relative(root.Path, entry.Path),
                    entry.IsDirectory ? 0L : entry.Length,
                    entry.LastWriteTime,
                    entry.IsDirectory,
                    entry.ETag?.Trim('"'),
                ], cancellationToken).ConfigureAwait(false);
        }
        if (builder is not null)
            await builder.FlushAsync(cancellationToken).ConfigureAwait(false);

        context.Metrics.AddRows(count);
        context.SetOutput("count", count);
        context.SetOutput("bytes", bytes);
        context.Log(LogLevel.Information, $"Listed {Counted.Of(count, "entry", "entries")} ({RemoteStepOptions.Size(bytes)}) in '{directory}'.");
    });
}
