using Pipeline.Core.Execution;
using Pipeline.Core.Observability;

namespace Pipeline.Core.Steps.Files;

/// <summary><c>file.delete</c>: deletes a file, a directory or everything a glob matches, on any file system.</summary>
public sealed class FileDeleteStep : IStepHandler
{
    /// <inheritdoc />
    public StepTypeInfo Info { get; } = new(
        "file.delete",
        "Deletes a file, a directory or every file and directory a glob matches, on any file system.",
        [
            new StepOptionInfo("path", StepOptionType.String, "The file, directory or glob to delete: a path (relative to the definition) or a URI.") { Required = true },
            new StepOptionInfo("recursive", StepOptionType.Boolean, "Delete directories with their content; without it only empty directories are deleted.") { Default = "false" },
            new StepOptionInfo("missing_ok", StepOptionType.Boolean, "Succeed when nothing exists at the path or nothing matches the glob.") { Default = "false" },
        ]);

    /// <inheritdoc />
    public Task ExecuteAsync(StepContext context, CancellationToken cancellationToken) => FileErrors.RunAsync(async () =>
    {
        var options = context.Options;
        var pathText = options.GetRequiredString("path");
        var recursive = options.GetBoolean("recursive", false);
        var missingOk = options.GetBoolean("missing_ok", false);

        await using var target = await FileLocation.OpenAsync(context, "path", pathText, cancellationToken).ConfigureAwait(false);
        var selection = await FileSelection.SelectAsync(target, recursive: false, includeDirectories: true, listDirectory: false, cancellationToken).ConfigureAwait(false);
        var items = selection.Kind switch
        {
            SelectionKind.File or SelectionKind.Directory => [selection.Root!],
            _ => selection.Items.Select(i => i.Item).ToList(),
        };
        if (items.Count == 0)
        {
            var what = selection.Kind == SelectionKind.Glob ? $"Nothing matches '{target}'" : $"'{target}' does not exist";
            if (!missingOk)
                throw new StepException(ErrorKind.NotFound, $"{what}; set missing_ok: true to accept that.");
            context.Log(LogLevel.Information, $"{what}: nothing to delete.");
            SetOutputs(context, 0, 0);
            return;
        }

        if (items.FirstOrDefault(i => target.IsRoot(i.Path)) is { } root)
            throw new StepException(ErrorKind.Configuration, $"Refusing to delete the root directory '{target.Display(root.Path)}'.");
        long files = 0, directories = 0;
        // Deepest first, so a glob that matches a directory and files inside it deletes the files before their directory.
        foreach (var item in items.OrderByDescending(i => i.Path.Length))
        {
            if (item.IsDirectory)
            {
                await target.FileSystem.DeleteDirectoryAsync(item.Path, recursive, cancellationToken).ConfigureAwait(false);
                directories++;
            }
            else
            {
                await target.FileSystem.DeleteFileAsync(item.Path, cancellationToken).ConfigureAwait(false);
                files++;
                context.Metrics.AddFiles(1);
                context.Metrics.AddBytes(item.Length);
            }
            context.Log(LogLevel.Verbose, $"Deleted '{target.Display(item.Path)}'.");
        }
        SetOutputs(context, files, directories);
        context.Log(LogLevel.Information, $"Deleted {Counted.Of(files, "file")} and {Counted.Of(directories, "directory", "directories")}.");
    });

    private static void SetOutputs(StepContext context, long files, long directories)
    {
        context.SetOutput("files", files);
        context.SetOutput("directories", directories);
    }
}
