using System.IO.Compression;
using Pipeline.Core.Execution;
using Pipeline.Core.Observability;
using Pipeline.RemoteFs;

namespace Pipeline.Core.Steps.Files;

/// <summary>
/// <c>file.decompress</c>: unpacks a .gz file or a .zip archive. Every gzip member's CRC-32 and length and every zip
/// entry's CRC-32 are checked before its output is renamed to its final name; zip entries that would land outside the
/// destination fail the step before anything is written.
/// </summary>
public sealed class FileDecompressStep : IStepHandler
{
    /// <inheritdoc />
    public StepTypeInfo Info { get; } = new(
        "file.decompress",
        "Decompresses a gzip file to a file, or extracts a zip archive into a directory, checking every CRC; on any file system.",
        [
            new StepOptionInfo("source", StepOptionType.String, "The .gz file or .zip archive: a path (relative to the definition) or a URI.") { Required = true },
            new StepOptionInfo("destination", StepOptionType.String, "The file to write (gzip) or the directory to extract into (zip); by default the source without its extension."),
            new StepOptionInfo("format", StepOptionType.String, "The archive format; by default taken from the source's extension (.gz or .zip).") { AllowedValues = [ArchiveFormat.Gzip, ArchiveFormat.Zip] },
            new StepOptionInfo("overwrite", StepOptionType.Boolean, "Replace existing files; otherwise an existing file fails the step before anything is written.") { Default = "false" },
        ]);

    /// <inheritdoc />
    public Task ExecuteAsync(StepContext context, CancellationToken cancellationToken) => FileErrors.RunAsync(async () =>
    {
        var options = context.Options;
        var sourceText = options.GetRequiredString("source");
        var overwrite = options.GetBoolean("overwrite", false);
        await using var source = await FileLocation.OpenAsync(context, "source", sourceText, cancellationToken).ConfigureAwait(false);
        var format = ArchiveFormat.Choose(options, sourceText, "source");
        var destinationText = options.GetString("destination") is { Length: > 0 } given ? given : DefaultDestination(sourceText, format);
        await using var destination = await FileLocation.OpenAsync(context, "destination", destinationText, cancellationToken).ConfigureAwait(false);
        var item = await source.FileSystem.StatAsync(source.Path, cancellationToken).ConfigureAwait(false);
        if (item is null)
            throw FileErrors.NotFound("source", source.ToString());
        if (item.IsDirectory)
            throw new StepException(ErrorKind.Configuration, $"The source '{source}' is a directory, not a {format} file.");

        var (files, bytes, target) = format == ArchiveFormat.Gzip
            ? await GunzipAsync(source, item, destination, overwrite, cancellationToken).ConfigureAwait(false)
            : await UnzipAsync(context, source, item, destination, overwrite, cancellationToken).ConfigureAwait(false);

        context.Metrics.AddFiles(files);
        context.Metrics.AddBytes(bytes);
        context.SetOutput("files", files);
        context.SetOutput("bytes", bytes);
        context.Log(LogLevel.Information, $"Decompressed '{source}' ({format}) to '{destination.Display(target)}': {Counted.Of(files, "file")}, {bytes} bytes.");
    });

    private static string DefaultDestination(string sourceText, string format)
    {
        var query = sourceText.IndexOf('?');
        var path = query < 0 ? sourceText : sourceText[..query];
        var stripped = ArchiveFormat.StripExtension(path, format)
            ?? throw new StepException(ErrorKind.Configuration, $"The source '{path}' does not end with .{(format == ArchiveFormat.Gzip ? "gz" : "zip")}: set destination.");
        return stripped + (query < 0 ? "" : sourceText[query..]);
    }

    private static async Task<(long Files, long Bytes, string Target)> GunzipAsync(
        FileLocation source, RemoteItem item, FileLocation destination, bool overwrite, CancellationToken cancellationToken)
    {
        var target = destination.Path;
        var existing = await destination.FileSystem.StatAsync(target, cancellationToken).ConfigureAwait(false);
        if (existing is { IsDirectory: true } || destination.NamesDirectory)
        {
            var name = ArchiveFormat.StripExtension(source.Name(item.Path), ArchiveFormat.Gzip)
                ?? throw new StepException(ErrorKind.Configuration, $"The source '{source}' does not end with .gz, so no file name can be made for it in the directory '{destination}': give a file as destination.");
            target = destination.Combine(target, name);
            existing = await destination.FileSystem.StatAsync(target, cancellationToken).ConfigureAwait(false);
        }
        if (existing is { IsDirectory: true })
            throw new StepException(ErrorKind.Conflict, $"The destination '{destination.Display(target)}' is a directory.");
        if (existing is not null && !overwrite)
            throw FileErrors.Exists(destination.Display(target));

        long bytes;
        await using (var gzip = new GzipReadStream(await source.FileSystem.OpenReadAsync(item.Path, cancellationToken: cancellationToken).ConfigureAwait(false)))
        await using (var output = await destination.FileSystem.OpenWriteAsync(target, new WriteOptions { Overwrite = overwrite, CreateParents = true }, cancellationToken).ConfigureAwait(false))
        {
            try
            {
                bytes = await CopyAsync(gzip, output, null, cancellationToken).ConfigureAwait(false);
            }
            catch (GzipFormatException ex)
            {
                throw new StepException(ErrorKind.Integrity, $"'{source}' is not a valid gzip file: {ex.Message} Nothing was written to '{destination.Display(target)}'.", ex);
            }
            await output.CommitAsync(cancellationToken).ConfigureAwait(false);
        }
        return (1, bytes, target);
    }

    private static async Task<(long Files, long Bytes, string Target)> UnzipAsync(
        StepContext context, FileLocation source, RemoteItem item, FileLocation destination, bool overwrite, CancellationToken cancellationToken)
    {
        var root = destination.Path;
        if (await destination.FileSystem.StatAsync(root, cancellationToken).ConfigureAwait(false) is { IsDirectory: false })
            throw new StepException(ErrorKind.Conflict, $"The destination '{destination}' is a file; a zip archive is extracted into a directory.");

        // ZipArchive needs to seek; a remote archive is fetched to a local temporary file first.
        string? temporary = null;
        var localPath = source.NativePath(item.Path);
        if (localPath is null)
        {
            temporary = Path.Combine(Path.GetTempPath(), $"pipeline-{Guid.NewGuid():N}.zip");
            await using var input = await source.FileSystem.OpenReadAsync(item.Path, cancellationToken: cancellationToken).ConfigureAwait(false);
            await using var copy = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, FileOptions.Asynchronous);
            await input.CopyToAsync(copy, cancellationToken).ConfigureAwait(false);
            localPath = temporary;
        }
        try
        {
            await using var archiveFile = new FileStream(localPath, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.Asynchronous);
            ZipArchive archive;
            try
            {
                archive = new ZipArchive(archiveFile, ZipArchiveMode.Read, leaveOpen: true);
            }
            catch (InvalidDataException ex)
            {
                throw new StepException(ErrorKind.Integrity, $"'{source}' is not a valid zip archive: {ex.Message}", ex);
            }
            using (archive)
            {
                var plan = await PlanAsync(source, archive, destination, root, overwrite, cancellationToken).ConfigureAwait(false);
                await destination.FileSystem.CreateDirectoryAsync(root, cancellationToken).ConfigureAwait(false);
                long files = 0, bytes = 0;
                foreach (var (entry, target) in plan)
                {
                    if (entry is null)
                    {
                        await destination.FileSystem.CreateDirectoryAsync(target, cancellationToken).ConfigureAwait(false);
                        continue;
                    }
                    bytes += await ExtractAsync(source, entry, destination, target, overwrite, cancellationToken).ConfigureAwait(false);
                    files++;
                    context.Log(LogLevel.Verbose, $"Extracted '{entry.FullName}' to '{destination.Display(target)}'.");
                }
                return (files, bytes, root);
            }
        }
        finally
        {
            if (temporary is not null) File.Delete(temporary);
        }
    }

    /// <summary>Where each entry goes (a null entry is a directory to create); fails on an unsafe name or an existing file before anything is written.</summary>
    private static async Task<List<(ZipArchiveEntry? Entry, string Target)>> PlanAsync(
        FileLocation source, ZipArchive archive, FileLocation destination, string root, bool overwrite, CancellationToken cancellationToken)
    {
        var plan = new List<(ZipArchiveEntry?, string)>();
        var seen = new HashSet<string>(OperatingSystem.IsWindows() ? StringComparer.OrdinalIgnoreCase : StringComparer.Ordinal);
        IReadOnlyCollection<ZipArchiveEntry> entries;
        try
        {
            entries = archive.Entries;
        }
        catch (InvalidDataException ex)
        {
            throw new StepException(ErrorKind.Integrity, $"'{source}' is not a valid zip archive: {ex.Message}", ex);
        }
        foreach (var entry in entries)
        {
            var relative = SafeRelativePath(entry.FullName)
                ?? throw new StepException(ErrorKind.Validation,
                    $"The zip archive '{source}' has an entry '{entry.FullName}' that would be written outside the destination '{destination}'; nothing was extracted.");
            if (relative.Length == 0) continue;
            var target = destination.Combine(root, relative);
            if (destination.IsLocal && !target.StartsWith(Path.TrimEndingDirectorySeparator(root) + Path.DirectorySeparatorChar, StringComparison.Ordinal))
                throw new StepException(ErrorKind.Validation, $"The zip archive '{source}' has an entry '{entry.FullName}' that would be written outside the destination '{destination}'; nothing was extracted.");
            var isDirectory = entry.FullName.EndsWith('/') || entry.FullName.EndsWith('\\');
            if (isDirectory)
            {
                plan.Add((null, target));
                continue;
            }
            if (!seen.Add(relative))
                throw new StepException(ErrorKind.Validation, $"The zip archive '{source}' has the entry '{entry.FullName}' twice; nothing was extracted.");
            var existing = await destination.FileSystem.StatAsync(target, cancellationToken).ConfigureAwait(false);
            if (existing is { IsDirectory: true })
                throw new StepException(ErrorKind.Conflict, $"The destination '{destination.Display(target)}' is a directory; the entry '{entry.FullName}' cannot replace it.");
            if (existing is not null && !overwrite)
                throw FileErrors.Exists(destination.Display(target));
            plan.Add((entry, target));
        }
        return plan;
    }

    /// <summary>The entry's '/'-separated path, or null when it is absolute, has a drive, or climbs with '..'.</summary>
    internal static string? SafeRelativePath(string entryName)
    {
        var name = entryName.Replace('\\', '/');
        if (name.StartsWith('/') || (name.Length >= 2 && name[1] == ':'))
            return null;
        var segments = new List<string>();
        foreach (var segment in name.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            if (segment == ".") continue;
            if (segment == ".." || segment.Contains(':') || segment.Contains('\0')) return null;
            segments.Add(segment);
        }
        return string.Join('/', segments);
    }

    private static async Task<long> ExtractAsync(FileLocation source, ZipArchiveEntry entry, FileLocation destination, string target, bool overwrite, CancellationToken cancellationToken)
    {
        await using var output = await destination.FileSystem.OpenWriteAsync(target, new WriteOptions { Overwrite = overwrite, CreateParents = true, ExpectedLength = entry.Length }, cancellationToken).ConfigureAwait(false);
        var crc = new Crc32();
        long bytes;
        try
        {
            await using var input = entry.Open();
            bytes = await CopyAsync(input, output, crc, cancellationToken).ConfigureAwait(false);
        }
        catch (InvalidDataException ex)
        {
            throw new StepException(ErrorKind.Integrity, $"The entry '{entry.FullName}' of '{source}' is corrupt: {ex.Message}", ex);
        }
        if (bytes != entry.Length || crc.Value != entry.Crc32)
        {
            throw new StepException(ErrorKind.Integrity,
                $"The entry '{entry.FullName}' of '{source}' is corrupt: it should hold {entry.Length} bytes with CRC-32 {entry.Crc32:x8}, " +
                $"but it gave {bytes} bytes with CRC-32 {crc.Value:x8}.");
        }
        await output.CommitAsync(cancellationToken).ConfigureAwait(false);
        destination.TrySetLastWriteTime(target, entry.LastWriteTime);
        return bytes;
    }

    private static async Task<long> CopyAsync(Stream input, Stream output, Crc32? crc, CancellationToken cancellationToken)
    {
        var buffer = new byte[1 << 16];
        long total = 0;
        int read;
        while ((read = await input.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
        {
            crc?.Append(buffer.AsSpan(0, read));
            await output.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
            total += read;
        }
        return total;
    }
}
