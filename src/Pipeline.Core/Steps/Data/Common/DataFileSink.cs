using System.IO.Compression;
using Pipeline.Core.Steps.Files;
using Pipeline.RemoteFs;

namespace Pipeline.Core.Steps.Data.Common;

/// <summary>
/// The file a record sink writes, on any file system: written under a temporary name (the provider's
/// <see cref="IRemoteFileSystem.OpenWriteAsync"/>) and renamed by <see cref="CommitAsync"/>, so a failed or cancelled
/// step never leaves a half-written file under the final name. Gzipped when asked or when the name ends in <c>.gz</c>.
/// </summary>
internal sealed class DataFileSink : IAsyncDisposable
{
    private readonly FileLocation _location;
    private readonly RemoteWriteStream _file;
    private readonly GZipStream? _gzip;
    private bool _committed;

    private DataFileSink(FileLocation location, RemoteWriteStream file, GZipStream? gzip)
    {
        _location = location;
        _file = file;
        _gzip = gzip;
        Stream = gzip is null ? file : gzip;
    }

    /// <summary>Where to write the content (compressing when gzipped).</summary>
    public Stream Stream { get; }

    /// <summary>The file as it may be printed.</summary>
    public string Display => _location.ToString();

    /// <summary>Bytes in the file once committed.</summary>
    public long Bytes { get; private set; }

    /// <summary>Whether <paramref name="path"/>'s data is gzipped, from the <c>compression</c> option or the name.</summary>
    public static bool Compression(StepOptions options, string path, string defaultMode = "auto") =>
        options.GetChoice("compression", defaultMode, "auto", "gzip", "none") switch
        {
            "gzip" => true,
            "none" => false,
            _ => path.Split('?')[0].EndsWith(".gz", StringComparison.OrdinalIgnoreCase),
        };

    /// <summary>Opens the file named by the option <paramref name="optionName"/>.</summary>
    /// <exception cref="Execution.StepException">The file exists and <paramref name="overwrite"/> is false (conflict),
    /// or the path is a directory.</exception>
    public static async Task<DataFileSink> OpenAsync(StepContext context, string optionName, string path, bool overwrite, bool gzip, CancellationToken cancellationToken)
    {
        var location = await FileLocation.OpenAsync(context, optionName, path, cancellationToken).ConfigureAwait(false);
        try
        {
            var existing = await location.FileSystem.StatAsync(location.Path, cancellationToken).ConfigureAwait(false);
            if (existing is { IsDirectory: true })
                throw new Execution.StepException(Execution.ErrorKind.Conflict, $"The {optionName} '{location}' is a directory.");
            if (existing is not null && !overwrite)
                throw FileErrors.Exists(location.ToString());
            var file = await location.FileSystem.OpenWriteAsync(location.Path, new WriteOptions { Overwrite = overwrite, CreateParents = true }, cancellationToken).ConfigureAwait(false);
            var gzipStream = gzip ? new GZipStream(file, CompressionLevel.Fastest, leaveOpen: true) : null;
            return new DataFileSink(location, file, gzipStream);
        }
        catch
        {
            await location.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Finishes the content and makes it visible under its final name.</summary>
    public async Task CommitAsync(CancellationToken cancellationToken)
    {
        if (_gzip is not null) await _gzip.DisposeAsync().ConfigureAwait(false);
        await _file.FlushAsync(cancellationToken).ConfigureAwait(false);
        await _file.CommitAsync(cancellationToken).ConfigureAwait(false);
        _committed = true;
        var item = await _location.FileSystem.StatAsync(_location.Path, cancellationToken).ConfigureAwait(false);
        Bytes = item?.Length ?? 0;
    }

    /// <summary>Discards the content unless committed, and closes the file system.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_gzip is not null && !_committed)
        {
            try
            {
                await _gzip.DisposeAsync().ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is IOException or ObjectDisposedException or NotSupportedException)
            {
                // The content is being discarded; a failure to finish it changes nothing.
            }
        }
        await _file.DisposeAsync().ConfigureAwait(false);
        await _location.DisposeAsync().ConfigureAwait(false);
    }
}
