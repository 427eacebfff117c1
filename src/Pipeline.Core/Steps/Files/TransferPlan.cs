using Pipeline.Core.Execution;
using Pipeline.RemoteFs;

namespace Pipeline.Core.Steps.Files;

/// <summary>One file to copy or move and where it goes.</summary>
internal sealed record PlannedFile(RemoteItem Source, string DestinationPath);

/// <summary>
/// Which files a copy or move touches and where each one lands, worked out (and checked for conflicts) before the
/// first byte moves, so a bad destination fails the step without leaving some files copied and others not.
/// </summary>
/// <remarks>
/// A file goes to the destination path, or into it when the destination is a directory (existing, or written with a
/// trailing '/'). A directory's content (with <c>recursive</c>) and a glob's matches go below the destination
/// directory with their relative paths, so running the step twice gives the same result.
/// </remarks>
internal sealed class TransferPlan
{
    private TransferPlan(FileSelection selection, string destinationRoot, IReadOnlyList<PlannedFile> files, IReadOnlyList<string> directories)
    {
        Selection = selection;
        DestinationRoot = destinationRoot;
        Files = files;
        Directories = directories;
    }

    /// <summary>What the source named.</summary>
    public FileSelection Selection { get; }

    /// <summary>The destination directory (or the destination file, for a single file).</summary>
    public string DestinationRoot { get; }

    /// <summary>The files, ordered by their relative path.</summary>
    public IReadOnlyList<PlannedFile> Files { get; }

    /// <summary>Directories to create at the destination, parents first (a copied tree keeps its empty directories).</summary>
    public IReadOnlyList<string> Directories { get; }

    /// <summary>Plans a copy or move (<paramref name="verb"/> is used in messages).</summary>
    public static async Task<TransferPlan> CreateAsync(
        FileLocation source, FileLocation destination, bool recursive, bool overwrite, bool createDirectories, string verb,
        CancellationToken cancellationToken)
    {
        var selection = await FileSelection.SelectAsync(source, recursive, includeDirectories: true, listDirectory: recursive, cancellationToken).ConfigureAwait(false);
        switch (selection.Kind)
        {
            case SelectionKind.Missing:
                throw FileErrors.NotFound("source", source.ToString());
            case SelectionKind.Glob when !selection.Files.Any():
                throw new StepException(ErrorKind.NotFound, $"No file matches the source '{source}'.");
            case SelectionKind.Directory when !recursive:
                throw new StepException(ErrorKind.Configuration, $"The source '{source}' is a directory: set recursive: true to {verb} its content.");
        }

        var destinationItem = await destination.FileSystem.StatAsync(destination.Path, cancellationToken).ConfigureAwait(false);
        var files = new List<PlannedFile>();
        var directories = new List<string>();
        string root;
        if (selection.Kind == SelectionKind.File)
        {
            var file = selection.Items[0].Item;
            root = destinationItem is { IsDirectory: true } || destination.NamesDirectory
                ? destination.Combine(destination.Path, source.Name(file.Path))
                : destination.Path;
            if (!createDirectories)
                await RequireDirectoryAsync(destination, destination.Parent(root), cancellationToken).ConfigureAwait(false);
            files.Add(new PlannedFile(file, root));
        }
        else
        {
            root = destination.Path;
            if (destinationItem is { IsDirectory: false })
                throw new StepException(ErrorKind.Conflict, $"The destination '{destination}' is a file, but the source '{source}' names several files: give a directory.");
            if (!createDirectories)
                await RequireDirectoryAsync(destination, root, cancellationToken).ConfigureAwait(false);
            if (selection.Kind == SelectionKind.Directory && source.SameFileSystemAs(destination) && IsInside(source, selection.BasePath, root))
                throw new StepException(ErrorKind.Configuration, $"The destination '{destination}' is inside the source directory '{source}'.");
            if (selection.Kind == SelectionKind.Directory) directories.Add(root);
            foreach (var selected in selection.Items)
            {
                var target = destination.Combine(root, selected.RelativePath);
                if (selected.Item.IsDirectory)
                {
                    if (selection.Kind == SelectionKind.Directory) directories.Add(target);
                }
                else
                {
                    files.Add(new PlannedFile(selected.Item, target));
                }
            }
        }

        foreach (var file in files)
        {
            if (source.SameFileSystemAs(destination) && source.SamePath(file.Source.Path, file.DestinationPath))
                throw new StepException(ErrorKind.Configuration, $"The source and the destination are the same file: '{source.Display(file.Source.Path)}'.");
            var existing = await destination.FileSystem.StatAsync(file.DestinationPath, cancellationToken).ConfigureAwait(false);
            if (existing is { IsDirectory: true })
                throw new StepException(ErrorKind.Conflict, $"The destination '{destination.Display(file.DestinationPath)}' is a directory; the file '{source.Display(file.Source.Path)}' cannot replace it.");
            if (existing is not null && !overwrite)
                throw FileErrors.Exists(destination.Display(file.DestinationPath));
        }
        return new TransferPlan(selection, root, files, directories);
    }

    private static async Task RequireDirectoryAsync(FileLocation location, string directory, CancellationToken cancellationToken)
    {
        if (await location.FileSystem.StatAsync(directory, cancellationToken).ConfigureAwait(false) is not { IsDirectory: true })
            throw new StepException(ErrorKind.NotFound, $"The destination directory '{location.Display(directory)}' does not exist; create it or set create_directories: true.");
    }

    private static bool IsInside(FileLocation location, string directory, string path)
    {
        var separator = location.IsLocal ? Path.DirectorySeparatorChar : '/';
        var prefix = directory.TrimEnd(separator) + separator;
        return location.SamePath(directory, path) ||
               path.StartsWith(prefix, location.IsLocal && OperatingSystem.IsWindows() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal);
    }
}
