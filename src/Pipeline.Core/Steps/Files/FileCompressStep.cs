using System.IO.Compression;
using Pipeline.Core.Execution;
using Pipeline.Core.Observability;
using Pipeline.RemoteFs;

namespace Pipeline.Core.Steps.Files;

/// <summary>
/// <c>file.compress</c>: gzips one file, or zips a file, a directory (under its own name) or a glob's matches (with
/// their paths relative to the glob's fixed part). The archive is written under a temporary name and renamed when
/// complete.
/// </summary>
public sealed class FileCompressStep : IStepHandler
{
    private static readonly DateTimeOffset ZipEarliest = new(1980, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset ZipLatest = new(2107, 12, 31, 0, 0, 0, TimeSpan.Zero);

    /// <inheritdoc />
    public StepTypeInfo Info { get; } = new(
        "file.compress",
        "Compresses one file to gzip, or a file, a directory or a glob's matches to a zip archive, on any file system.",
        [
            new StepOptionInfo("source", StepOptionType.String, "The file (gzip or zip), or the directory or glob (zip) to compress: a path or a URI.") { Required = true },
            new StepOptionInfo("destination", StepOptionType.String, "The archive to write; a directory receives '<source name>.gz' or '.zip'.") { Required = true },
            new StepOptionInfo("format", StepOptionType.String, "The archive format; by default taken from the destination's extension (.gz or .zip).") { AllowedValues = [ArchiveFormat.Gzip, ArchiveFormat.Zip] },
            new StepOptionInfo("level", StepOptionType.String, "How hard to compress.") { Default = "optimal", AllowedValues = ["fastest", "optimal", "smallest"] },
            new StepOptionInfo("overwrite", StepOptionType.Boolean, "Replace an existing archive.") { Default = "false" },
        ]);

    /// <inheritdoc />
    public Task ExecuteAsync(StepContext context, CancellationToken cancellationToken) => FileErrors.RunAsync(async () =>
    {
        var options = context.Options;
        var sourceText = options.GetRequiredString("source");
        var destinationText = options.GetRequiredString("destination");
        var level = ArchiveFormat.Level(options);
        var overwrite = options.GetBoolean("overwrite", false);

        await using var source = await FileLocation.OpenAsync(context, "source", sourceText, cancellationToken).ConfigureAwait(false);
        await using var destination = await FileLocation.OpenAsync(context, "destination", destinationText, cancellationToken).ConfigureAwait(false);
        var destinationItem = await destination.FileSystem.StatAsync(destination.Path, cancellationToken).ConfigureAwait(false);
        var destinationIsDirectory = destinationItem is { IsDirectory: true } || destination.NamesDirectory;

        var selection = await FileSelection.SelectAsync(source, recursive: true, includeDirectories: true, listDirectory: true, cancellationToken).ConfigureAwait(false);
        if (selection.Kind == SelectionKind.Missing)
            throw FileErrors.NotFound("source", source.ToString());
        var files = selection.Files.ToList();
        if (selection.Kind == SelectionKind.Glob && files.Count == 0)
            throw new StepException(ErrorKind.NotFound, $"No file matches the source '{source}'.");
        var oneFile = selection.Kind != SelectionKind.Directory && files.Count == 1;
        var format = destinationIsDirectory && !options.Has("format")
            ? (oneFile ? ArchiveFormat.Gzip : ArchiveFormat.Zip)
            : ArchiveFormat.Choose(options, destinationText, "destination");
        if (format == ArchiveFormat.Gzip && !oneFile)
        {
            throw new StepException(ErrorKind.Configuration,
                $"gzip compresses one file, but the source '{source}' names {(selection.Kind == SelectionKind.Directory ? "a directory" : $"{files.Count} files")}: use format: zip.");
        }

        string archivePath;
        if (destinationIsDirectory)
        {
            if (selection.Kind == SelectionKind.Glob && !(format == ArchiveFormat.Gzip && files.Count == 1))
                throw new StepException(ErrorKind.Configuration, $"The destination '{destination}' is a directory: name the archive file to write.");
            var name = selection.Kind == SelectionKind.Glob ? source.Name(files[0].Item.Path) : source.Name(source.Path);
            archivePath = destination.Combine(destination.Path, name + (format == ArchiveFormat.Gzip ? ".gz" : ".zip"));
        }
        else
        {
            archivePath = destination.Path;
        }
        var existing = await destination.FileSystem.StatAsync(archivePath, cancellationToken).ConfigureAwait(false);
        if (existing is { IsDirectory: true })
            throw new StepException(ErrorKind.Conflict, $"The destination '{destination.Display(archivePath)}' is a directory.");
        if (existing is not null && !overwrite)
            throw FileErrors.Exists(destination.Display(archivePath));

        var counter = new CountingCopy();
        await using (var output = await destination.FileSystem.OpenWriteAsync(archivePath, new WriteOptions { Overwrite = overwrite, CreateParents = true }, cancellationToken).ConfigureAwait(false))
        {
            if (format == ArchiveFormat.Gzip)
            {
                await GzipAsync(source, files[0].Item, output, level, counter, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                var entries = ZipEntries(source, selection, files)
                    .Where(e => !(source.SameFileSystemAs(destination) && source.SamePath(e.Item.Path, archivePath)))
                    .ToList();
                await ZipAsync(context, source, entries, output, level, counter, cancellationToken).ConfigureAwait(false);
            }
            await output.CommitAsync(cancellationToken).ConfigureAwait(false);
        }

        var archive = await destination.FileSystem.StatAsync(archivePath, cancellationToken).ConfigureAwait(false);
        var compressed = archive?.Length ?? 0L;
        context.Metrics.AddFiles(counter.Files);
        context.Metrics.AddBytes(counter.Bytes);
        context.SetOutput("files", counter.Files);
        context.SetOutput("bytes", counter.Bytes);
        context.SetOutput("compressed_bytes", compressed);
        context.Log(LogLevel.Information,
            $"Compressed {Counted.Of(counter.Files, "file")} ({counter.Bytes} bytes) to '{destination.Display(archivePath)}' ({compressed} bytes, {format}).");
    });

    private static async Task GzipAsync(FileLocation source, RemoteItem file, Stream output, CompressionLevel level, CountingCopy counter, CancellationToken cancellationToken)
    {
        await using var input = await source.FileSystem.OpenReadAsync(file.Path, cancellationToken: cancellationToken).ConfigureAwait(false);
        var before = counter.Bytes;
        await using (var gzip = new GZipStream(output, level, leaveOpen: true))
            await counter.CopyAsync(input, gzip, cancellationToken).ConfigureAwait(false);
        if (counter.Bytes == before)
            await output.WriteAsync(EmptyGzipMember, cancellationToken).ConfigureAwait(false); // GZipStream writes nothing at all for no data
    }

    /// <summary>A gzip member of no data: header, an empty final deflate block, CRC 0 and length 0.</summary>
    private static readonly byte[] EmptyGzipMember = [0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 0, 0xFF, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0];

    /// <summary>Zip entry names: a file by its name, a directory's items below the directory's own name, a glob's matches by their relative path.</summary>
    private static IEnumerable<(RemoteItem Item, string Name)> ZipEntries(FileLocation source, FileSelection selection, List<SelectedItem> files)
    {
        switch (selection.Kind)
        {
            case SelectionKind.File:
                yield return (files[0].Item, files[0].RelativePath);
                break;
            case SelectionKind.Directory:
                var root = source.Name(source.Path);
                yield return (selection.Root!, root + "/");
                foreach (var item in selection.Items)
                    yield return (item.Item, root + "/" + item.RelativePath + (item.Item.IsDirectory ? "/" : ""));
                break;
            default:
                foreach (var file in files)
                    yield return (file.Item, file.RelativePath);
                break;
        }
    }

    private static async Task ZipAsync(
        StepContext context, FileLocation source, List<(RemoteItem Item, string Name)> entries, Stream output, CompressionLevel level, CountingCopy counter,
        CancellationToken cancellationToken)
    {
        using var archive = new ZipArchive(output, ZipArchiveMode.Create, leaveOpen: true);
        foreach (var (item, name) in entries)
        {
            var entry = archive.CreateEntry(name, item.IsDirectory ? CompressionLevel.NoCompression : level);
            if (item.LastWriteTime is { } time)
                entry.LastWriteTime = time < ZipEarliest ? ZipEarliest : time > ZipLatest ? ZipLatest : time.ToLocalTime();
            if (item.IsDirectory) continue;
            await using var input = await source.FileSystem.OpenReadAsync(item.Path, cancellationToken: cancellationToken).ConfigureAwait(false);
            await using var entryStream = entry.Open();
            await counter.CopyAsync(input, entryStream, cancellationToken).ConfigureAwait(false);
            context.Log(LogLevel.Verbose, $"Added '{source.Display(item.Path)}' as '{name}'.");
        }
    }

    /// <summary>Copies files' content and counts the files and bytes.</summary>
    private sealed class CountingCopy
    {
        private readonly byte[] _buffer = new byte[1 << 16];

        public long Files { get; private set; }

        public long Bytes { get; private set; }

        public async Task CopyAsync(Stream input, Stream output, CancellationToken cancellationToken)
        {
            int read;
            while ((read = await input.ReadAsync(_buffer, cancellationToken).ConfigureAwait(false)) > 0)
            {
                await output.WriteAsync(_buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
                Bytes += read;
            }
            Files++;
        }
    }
}
