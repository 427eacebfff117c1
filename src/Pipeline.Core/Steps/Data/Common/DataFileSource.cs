using Pipeline.Core.Execution;
using Pipeline.Core.Steps.Files;

namespace Pipeline.Core.Steps.Data.Common;

/// <summary>
/// The files a record source reads: one path or URI, or a glob matching many (read in name order), on any file
/// system. Each is opened as a stream, decompressed (with its gzip trailer checked) when gzipped.
/// </summary>
internal sealed class DataFileSource : IAsyncDisposable
{
    private readonly FileLocation _location;
    private readonly bool? _gzip;

    private DataFileSource(FileLocation location, IReadOnlyList<string> paths, bool? gzip)
    {
        _location = location;
        Paths = paths;
        _gzip = gzip;
    }

    /// <summary>The files, in the order they are read.</summary>
    public IReadOnlyList<string> Paths { get; }

    /// <summary>Resolves the option <paramref name="optionName"/>: a file, or a glob that must match at least one file.</summary>
    public static async Task<DataFileSource> OpenAsync(StepContext context, string optionName, CancellationToken cancellationToken)
    {
        var text = context.Options.GetRequiredString(optionName);
        var mode = context.Options.GetChoice("compression", "auto", "auto", "gzip", "none");
        var location = await FileLocation.OpenAsync(context, optionName, text, cancellationToken).ConfigureAwait(false);
        try
        {
            var selection = await FileSelection.SelectAsync(location, recursive: false, includeDirectories: false, listDirectory: false, cancellationToken).ConfigureAwait(false);
            var paths = selection.Kind switch
            {
                SelectionKind.File or SelectionKind.Glob => selection.Files.Select(f => f.Item.Path).ToList(),
                SelectionKind.Directory => throw new StepException(ErrorKind.Configuration, $"The {optionName} '{location}' is a directory: name a file or a glob such as '*.csv'."),
                _ => throw FileErrors.NotFound(optionName, location.ToString()),
            };
            if (paths.Count == 0)
                throw new StepException(ErrorKind.NotFound, $"No file matches the {optionName} '{location}'.");
            return new DataFileSource(location, paths, mode switch { "gzip" => true, "none" => false, _ => null });
        }
        catch
        {
            await location.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>A file as it may be printed.</summary>
    public string Display(string path) => _location.Display(path);

    /// <summary>Whether the file is read through gzip.</summary>
    public bool IsGzip(string path) => _gzip ?? path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase);

    /// <summary>Opens a file's content, decompressed when gzipped.</summary>
    public async Task<Stream> OpenAsync(string path, CancellationToken cancellationToken)
    {
        var stream = await _location.FileSystem.OpenReadAsync(path, cancellationToken: cancellationToken).ConfigureAwait(false);
        return IsGzip(path) ? new GzipReadStream(stream) : stream;
    }

    /// <summary>A seekable copy of a file (the file itself when local and not compressed; else a temporary copy deleted
    /// on dispose), for formats such as xlsx whose readers must seek.</summary>
    public async Task<Stream> OpenSeekableAsync(string path, CancellationToken cancellationToken)
    {
        if (!IsGzip(path) && _location.NativePath(path) is { } native)
            return new FileStream(native, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.Asynchronous);
        var temp = new FileStream(Path.GetTempFileName(), FileMode.Create, FileAccess.ReadWrite, FileShare.None, 1 << 16,
            FileOptions.Asynchronous | FileOptions.DeleteOnClose);
        try
        {
            await using (var content = await OpenAsync(path, cancellationToken).ConfigureAwait(false))
                await content.CopyToAsync(temp, cancellationToken).ConfigureAwait(false);
            temp.Position = 0;
            return temp;
        }
        catch
        {
            await temp.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync() => _location.DisposeAsync();
}
