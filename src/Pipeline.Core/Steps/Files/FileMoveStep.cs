using Pipeline.Core.Observability;
using Pipeline.RemoteFs;

namespace Pipeline.Core.Steps.Files;

/// <summary>
/// <c>file.move</c>: moves a file, a directory's content or a glob's matches. Within one file system it renames;
/// between two it copies, verifies the copy's SHA-256, and only then deletes the source.
/// </summary>
public sealed class FileMoveStep : IStepHandler
{
    /// <inheritdoc />
    public StepTypeInfo Info { get; } = new(
        "file.move",
        "Moves a file, a directory's content (recursive) or every file a glob matches: a rename within one file system, a verified copy and delete between two.",
        [
            new StepOptionInfo("source", StepOptionType.String, "The file, directory or glob to move: a path (relative to the definition) or a URI.") { Required = true },
            new StepOptionInfo("destination", StepOptionType.String, "The destination file, or the directory (existing, or ending with '/') that receives the files.") { Required = true },
            new StepOptionInfo("overwrite", StepOptionType.Boolean, "Replace destination files that exist; otherwise an existing file fails the step before anything is moved.") { Default = "false" },
            new StepOptionInfo("recursive", StepOptionType.Boolean, "Move a directory's content with its subdirectories, and let a glob match in subdirectories, keeping relative paths.") { Default = "false" },
            new StepOptionInfo("preserve_timestamps", StepOptionType.Boolean, "Keep each file's modification time, where the destination can take it.") { Default = "true" },
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
        var preserveTimestamps = options.GetBoolean("preserve_timestamps", true);
        var createDirectories = options.GetBoolean("create_directories", true);

        await using var source = await FileLocation.OpenAsync(context, "source", sourceText, cancellationToken).ConfigureAwait(false);
        await using var destination = await FileLocation.OpenAsync(context, "destination", destinationText, cancellationToken).ConfigureAwait(false);
        var plan = await TransferPlan.CreateAsync(source, destination, recursive, overwrite, createDirectories, "move", cancellationToken).ConfigureAwait(false);
        var rename = source.SameFileSystemAs(destination);
        var bytes = plan.Files.Sum(f => f.Source.Length);

        if (rename && plan.Selection.Kind == SelectionKind.Directory &&
            source.FileSystem.Capabilities.HasFlag(RemoteCapabilities.Directories) &&
            await destination.FileSystem.StatAsync(plan.DestinationRoot, cancellationToken).ConfigureAwait(false) is null)
        {
            // The whole tree goes in one rename.
            await destination.FileSystem.CreateDirectoryAsync(destination.Parent(plan.DestinationRoot), cancellationToken).ConfigureAwait(false);
            await source.FileSystem.MoveAsync(source.Path, plan.DestinationRoot, overwrite: false, cancellationToken).ConfigureAwait(false);
            if (!preserveTimestamps)
            {
                foreach (var file in plan.Files)
                    destination.TrySetLastWriteTime(file.DestinationPath, context.Time.GetUtcNow());
            }
            context.Metrics.AddFiles(plan.Files.Count);
            context.Metrics.AddBytes(bytes);
        }
        else
        {
            foreach (var directory in plan.Directories)
                await destination.FileSystem.CreateDirectoryAsync(directory, cancellationToken).ConfigureAwait(false);
            var transfer = new TransferOptions(overwrite, Verify: true, preserveTimestamps);
            foreach (var file in plan.Files)
            {
                if (rename)
                {
                    await source.FileSystem.MoveAsync(file.Source.Path, file.DestinationPath, overwrite, cancellationToken).ConfigureAwait(false);
                    if (!preserveTimestamps) destination.TrySetLastWriteTime(file.DestinationPath, context.Time.GetUtcNow());
                }
                else
                {
                    await FileTransfer.CopyAsync(context, source, file.Source, destination, file.DestinationPath, transfer, cancellationToken).ConfigureAwait(false);
                    await source.FileSystem.DeleteFileAsync(file.Source.Path, cancellationToken).ConfigureAwait(false);
                }
                context.Metrics.AddFiles(1);
                context.Metrics.AddBytes(file.Source.Length);
                context.Log(LogLevel.Verbose, $"Moved '{source.Display(file.Source.Path)}' to '{destination.Display(file.DestinationPath)}'.");
            }
            if (plan.Selection.Kind == SelectionKind.Directory)
                await RemoveEmptiedDirectoriesAsync(context, source, plan.Selection, cancellationToken).ConfigureAwait(false);
        }

        context.SetOutput("files", (long)plan.Files.Count);
        context.SetOutput("bytes", bytes);
        context.Log(LogLevel.Information, $"Moved {Counted.Of(plan.Files.Count, "file")} ({bytes} bytes) to '{destination.Display(plan.DestinationRoot)}'.");
    });

    /// <summary>Removes the source directories whose files were moved out, deepest first; one that gained content meanwhile stays.</summary>
    private static async Task RemoveEmptiedDirectoriesAsync(StepContext context, FileLocation source, FileSelection selection, CancellationToken cancellationToken)
    {
        var directories = selection.Items.Where(i => i.Item.IsDirectory).Select(i => i.Item.Path)
            .OrderByDescending(p => p.Length).Append(selection.BasePath);
        foreach (var directory in directories)
        {
            try
            {
                await source.FileSystem.DeleteDirectoryAsync(directory, recursive: false, cancellationToken).ConfigureAwait(false);
            }
            catch (RemoteFsException ex) when (ex.Kind is RemoteErrorKind.Conflict or RemoteErrorKind.NotFound)
            {
                context.Log(LogLevel.Warning, $"The source directory '{source.Display(directory)}' was left in place: {ex.Message}");
            }
        }
    }
}
