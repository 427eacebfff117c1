using Pipeline.Core.Observability;

namespace Pipeline.Core.Steps.Files;

/// <summary>
/// <c>file.copy</c>: copies a file, a directory's content or a glob's matches, locally or between any two file
/// systems. Across file systems the data streams through this process into a temporary name that is renamed only when
/// complete; with <c>verify</c> the copy's SHA-256 is compared with the source's.
/// </summary>
public sealed class FileCopyStep : IStepHandler
{
    /// <inheritdoc />
    public StepTypeInfo Info { get; } = new(
        "file.copy",
        "Copies a file, a directory's content (recursive) or every file a glob matches to a destination file or directory, on any file system.",
        [
            new StepOptionInfo("source", StepOptionType.String, "The file, directory or glob to copy: a path (relative to the definition) or a URI such as sftp://host/in/*.csv.") { Required = true },
            new StepOptionInfo("destination", StepOptionType.String, "The destination file, or the directory (existing, or ending with '/') that receives the files.") { Required = true },
            new StepOptionInfo("overwrite", StepOptionType.Boolean, "Replace destination files that exist; otherwise an existing file fails the step before anything is copied.") { Default = "false" },
            new StepOptionInfo("recursive", StepOptionType.Boolean, "Copy a directory's content with its subdirectories, and let a glob match in subdirectories, keeping relative paths.") { Default = "false" },
            new StepOptionInfo("preserve_timestamps", StepOptionType.Boolean, "Give each copy the modification time of its source, where the destination can take it.") { Default = "true" },
            new StepOptionInfo("verify", StepOptionType.Boolean, "Compare the SHA-256 of every copy with its source's after copying.") { Default = "true" },
            new StepOptionInfo("create_directories", StepOptionType.Boolean, "Create missing destination directories.") { Default = "true" },
        ]);

    /// <inheritdoc />
    public Task ExecuteAsync(StepContext context, CancellationToken cancellationToken) => FileErrors.RunAsync(async () =>
    {
        var options = context.Options;
        var sourceText = options.GetRequiredString("source");
        var destinationText = options.GetRequiredString("destination");
        var overwrite = options.GetBoolean("overwrite", false);
        var recursive = options.GetBoolean("recursive", false);
        var transfer = new TransferOptions(overwrite, options.GetBoolean("verify", true), options.GetBoolean("preserve_timestamps", true));
        var createDirectories = options.GetBoolean("create_directories", true);

        await using var source = await FileLocation.OpenAsync(context, "source", sourceText, cancellationToken).ConfigureAwait(false);
        await using var destination = await FileLocation.OpenAsync(context, "destination", destinationText, cancellationToken).ConfigureAwait(false);
        var plan = await TransferPlan.CreateAsync(source, destination, recursive, overwrite, createDirectories, "copy", cancellationToken).ConfigureAwait(false);

        foreach (var directory in plan.Directories)
            await destination.FileSystem.CreateDirectoryAsync(directory, cancellationToken).ConfigureAwait(false);
        long bytes = 0;
        foreach (var file in plan.Files)
        {
            var copied = await FileTransfer.CopyAsync(context, source, file.Source, destination, file.DestinationPath, transfer, cancellationToken).ConfigureAwait(false);
            bytes += copied;
            context.Metrics.AddFiles(1);
            context.Metrics.AddBytes(copied);
            context.Log(LogLevel.Verbose, $"Copied '{source.Display(file.Source.Path)}' to '{destination.Display(file.DestinationPath)}' ({copied} bytes).");
        }

        context.SetOutput("files", (long)plan.Files.Count);
        context.SetOutput("bytes", bytes);
        context.Log(LogLevel.Information, $"Copied {Counted.Of(plan.Files.Count, "file")} ({bytes} bytes) to '{destination.Display(plan.DestinationRoot)}'.");
    });
}
