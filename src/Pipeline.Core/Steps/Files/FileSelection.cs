using Pipeline.RemoteFs;

namespace Pipeline.Core.Steps.Files;

/// <summary>What a source option named.</summary>
internal enum SelectionKind
{
    /// <summary>Nothing exists there and no glob matched.</summary>
    Missing,
    /// <summary>One file.</summary>
    File,
    /// <summary>One directory.</summary>
    Directory,
    /// <summary>A glob; its matches are in <see cref="FileSelection.Items"/> (possibly none).</summary>
    Glob,
}

/// <summary>One selected item and its '/'-separated path below <see cref="FileSelection.BasePath"/>.</summary>
internal sealed record SelectedItem(RemoteItem Item, string RelativePath);

/// <summary>
/// The files a source option names: a file, a directory (with its content when listed), or a glob's matches. A path
/// that exists is taken literally even when it contains glob characters, so a file named <c>report[1].txt</c> works.
/// </summary>
internal sealed class FileSelection
{
    private FileSelection(SelectionKind kind, string basePath, RemoteItem? root, IReadOnlyList<SelectedItem> items)
    {
        Kind = kind;
        BasePath = basePath;
        Root = root;
        Items = items;
    }

    /// <summary>What the source named.</summary>
    public SelectionKind Kind { get; }

    /// <summary>The directory relative paths start from: a file's parent, the directory itself, or a glob's fixed prefix.</summary>
    public string BasePath { get; }

    /// <summary>The file or directory itself, for <see cref="SelectionKind.File"/> and <see cref="SelectionKind.Directory"/>.</summary>
    public RemoteItem? Root { get; }

    /// <summary>The selected items, ordered by relative path.</summary>
    public IReadOnlyList<SelectedItem> Items { get; }

    /// <summary>The files among <see cref="Items"/>.</summary>
    public IEnumerable<SelectedItem> Files => Items.Where(i => !i.Item.IsDirectory);

    /// <summary>Resolves <paramref name="location"/>.</summary>
    /// <param name="location">The source.</param>
    /// <param name="recursive">Descend into subdirectories when listing a directory or matching a glob.</param>
    /// <param name="includeDirectories">Include directories among the listed items.</param>
    /// <param name="listDirectory">List a directory's content (otherwise only <see cref="Root"/> is known).</param>
    /// <param name="cancellationToken">Cancels the listing.</param>
    public static async Task<FileSelection> SelectAsync(FileLocation location, bool recursive, bool includeDirectories, bool listDirectory, CancellationToken cancellationToken)
    {
        var path = location.Path;
        var item = await location.FileSystem.StatAsync(path, cancellationToken).ConfigureAwait(false);
        if (item is { IsDirectory: false })
            return new FileSelection(SelectionKind.File, location.Parent(path), item, [new SelectedItem(item, location.Name(path))]);
        if (item is not null)
        {
            var content = listDirectory
                ? await ListAsync(location, path, new ListOptions { Recursive = recursive, IncludeDirectories = includeDirectories }, cancellationToken).ConfigureAwait(false)
                : [];
            return new FileSelection(SelectionKind.Directory, path, item, content);
        }
        if (!Glob.HasWildcards(path))
            return new FileSelection(SelectionKind.Missing, location.Parent(path), null, []);

        var (basePath, pattern) = SplitGlob(path);
        var baseItem = await location.FileSystem.StatAsync(basePath, cancellationToken).ConfigureAwait(false);
        if (baseItem is not { IsDirectory: true })
            return new FileSelection(SelectionKind.Glob, basePath, null, []);
        var options = new ListOptions
        {
            Filter = pattern,
            Recursive = recursive || pattern.Contains('/') || pattern.Contains("**", StringComparison.Ordinal),
            IncludeDirectories = includeDirectories,
        };
        return new FileSelection(SelectionKind.Glob, basePath, null, await ListAsync(location, basePath, options, cancellationToken).ConfigureAwait(false));
    }

    /// <summary>Splits a path with wildcards into the directory before the first wildcard and the '/'-separated pattern after it.</summary>
    public static (string BasePath, string Pattern) SplitGlob(string path)
    {
        var wildcard = path.IndexOfAny(['*', '?', '[', '{']);
        var separator = path.LastIndexOfAny(['/', Path.DirectorySeparatorChar], wildcard);
        if (separator < 0)
            return (".", path.Replace(Path.DirectorySeparatorChar, '/'));
        var basePath = separator == 0 ? path[..1] : path[..separator];
        if (basePath.Length == 2 && basePath[1] == ':') basePath += Path.DirectorySeparatorChar; // C:\*.txt
        return (basePath, path[(separator + 1)..].Replace(Path.DirectorySeparatorChar, '/'));
    }

    private static async Task<IReadOnlyList<SelectedItem>> ListAsync(FileLocation location, string directory, ListOptions options, CancellationToken cancellationToken)
    {
        var items = new List<SelectedItem>();
        await foreach (var item in location.FileSystem.ListAsync(directory, options, cancellationToken).ConfigureAwait(false))
            items.Add(new SelectedItem(item, location.Relative(directory, item.Path)));
        items.Sort((a, b) => string.CompareOrdinal(a.RelativePath, b.RelativePath));
        return items;
    }
}
