using System.Collections.Concurrent;

namespace Pipeline.RemoteFs.Transfers;

/// <summary>One file to transfer and where it goes.</summary>
/// <param name="Source">The source file as listed or stat'ed (its size, time and entity tag are checked against what is read).</param>
/// <param name="DestinationPath">The destination file's path on the destination file system.</param>
public sealed record TransferRequest(RemoteItem Source, string DestinationPath);

/// <summary>
/// Copies files between any two <see cref="IRemoteFileSystem"/> instances — local to remote, remote to local, remote to
/// remote — one file, a directory tree or a list, many at once up to <see cref="TransferOptions.Parallelism"/>.
/// </summary>
/// <remarks>
/// <para>Every file lands under a temporary name (or an uncommitted upload) and appears under its final name only when
/// complete and verified: a failure or a cancellation never leaves part of a file there.</para>
/// <para>Transient failures (a dropped connection, a timeout) are retried with a doubling delay; a download to a local
/// file continues from what it already has where the source can read ranges. Large downloads are fetched in parallel
/// ranged parts; large uploads go in parallel parts through the provider (S3 multipart, Azure blocks).</para>
/// <para>Other failures are typed <see cref="RemoteFsException"/>s, collected per file in
/// <see cref="TransferResult.Failures"/> (or ending the transfer with <see cref="TransferOptions.StopOnError"/>).
/// Cancellation throws <see cref="OperationCanceledException"/>.</para>
/// </remarks>
/// <example>
/// <code>
/// var transfer = new RemoteTransfer(new TransferOptions { Overwrite = true, Parallelism = 8 });
/// var result = await transfer.CopyAsync(local, "/data/out", s3, "/backup/out");
/// result.ThrowIfFailed();
/// </code>
/// </example>
public sealed class RemoteTransfer
{
    /// <summary>Creates a transfer with <paramref name="options"/> (defaults when null), checked at once.</summary>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range; its name is in the message.</exception>
    public RemoteTransfer(TransferOptions? options = null)
    {
        Options = options ?? new TransferOptions();
        Options.Validate();
    }

    /// <summary>The options every transfer of this instance uses.</summary>
    public TransferOptions Options { get; }

    /// <summary>
    /// Copies a file or a directory. A file goes to <paramref name="destinationPath"/>, or into it when that is an
    /// existing directory. A directory's files (recursively with <see cref="TransferOptions.Recursive"/>, filtered by
    /// <see cref="TransferOptions.Filter"/>) go below <paramref name="destinationPath"/> with their relative paths.
    /// </summary>
    /// <exception cref="RemoteFsException">The source does not exist (<see cref="RemoteErrorKind.NotFound"/>), or listing failed.</exception>
    public async Task<TransferResult> CopyAsync(IRemoteFileSystem source, string sourcePath, IRemoteFileSystem destination, string destinationPath, CancellationToken cancellationToken = default)
    {
        var requests = await PlanAsync(source, sourcePath, destination, destinationPath, cancellationToken).ConfigureAwait(false);
        return await CopyFilesAsync(source, destination, requests.Files, requests.Directories, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Copies the given files, up to <see cref="TransferOptions.Parallelism"/> at once.</summary>
    public Task<TransferResult> CopyFilesAsync(IRemoteFileSystem source, IRemoteFileSystem destination, IEnumerable<TransferRequest> files, CancellationToken cancellationToken = default) =>
        CopyFilesAsync(source, destination, files.ToList(), [], cancellationToken);

    /// <summary>The files (and directories to create) that <see cref="CopyAsync"/> would transfer.</summary>
    internal async Task<(IReadOnlyList<TransferRequest> Files, IReadOnlyList<string> Directories)> PlanAsync(
        IRemoteFileSystem source, string sourcePath, IRemoteFileSystem destination, string destinationPath, CancellationToken cancellationToken)
    {
        var root = await source.StatAsync(sourcePath, cancellationToken).ConfigureAwait(false)
            ?? throw new RemoteFsException(RemoteErrorKind.NotFound, "The source does not exist", sourcePath, source.Endpoint);
        var target = await destination.StatAsync(destinationPath, cancellationToken).ConfigureAwait(false);
        if (!root.IsDirectory)
        {
            var path = target is { IsDirectory: true }
                ? TransferPaths.Combine(destination, destinationPath, TransferPaths.ApplyGzipName(TransferPaths.Name(source, root.Path), Options.Gzip))
                : destinationPath;
            return ([new TransferRequest(root, path)], []);
        }
        if (target is { IsDirectory: false })
            throw new RemoteFsException(RemoteErrorKind.Conflict, "The destination is a file, but the source is a directory", destinationPath, destination.Endpoint);
        var files = new List<TransferRequest>();
        var directories = new List<string>();
        var listing = source.ListAsync(root.Path, new ListOptions { Recursive = Options.Recursive, Filter = Options.Filter, IncludeDirectories = Options.Filter is null }, cancellationToken);
        await foreach (var item in listing.ConfigureAwait(false))
        {
            var relative = TransferPaths.Relative(source, root.Path, item.Path);
            if (item.IsDirectory)
                directories.Add(TransferPaths.Combine(destination, destinationPath, relative));
            else
                files.Add(new TransferRequest(item, TransferPaths.Combine(destination, destinationPath, TransferPaths.ApplyGzipName(relative, Options.Gzip))));
        }
        files.Sort((a, b) => string.CompareOrdinal(a.DestinationPath, b.DestinationPath));
        directories.Sort(StringComparer.Ordinal);
        return (files, directories);
    }

    internal async Task<TransferResult> CopyFilesAsync(IRemoteFileSystem source, IRemoteFileSystem destination, IReadOnlyList<TransferRequest> files,
        IReadOnlyList<string> directories, CancellationToken cancellationToken, int skipped = 0, int deleted = 0, ProgressTracker? progress = null)
    {
        progress ??= new ProgressTracker(Options);
        progress.SetTotals(files.Count, files.Sum(f => f.Source.Length));
        if (destination.Capabilities.HasFlag(RemoteCapabilities.Directories))
        {
            // Empty directories of a copied tree exist at the destination too (object stores have none to create).
            foreach (var directory in directories)
                await destination.CreateDirectoryAsync(directory, cancellationToken).ConfigureAwait(false);
        }
        var copier = new FileCopier(Options, progress);
        var done = new ConcurrentBag<(int Index, TransferredFile File)>();
        var failures = new ConcurrentBag<(int Index, TransferFailure Failure)>();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        try
        {
            await Parallel.ForEachAsync(Enumerable.Range(0, files.Count), new ParallelOptions { MaxDegreeOfParallelism = Options.Parallelism, CancellationToken = stop.Token },
                async (index, token) =>
                {
                    var request = files[index];
                    try
                    {
                        done.Add((index, await copier.CopyAsync(source, request.Source, destination, request.DestinationPath, token).ConfigureAwait(false)));
                    }
                    catch (FileCopyFailed failed)
                    {
                        failures.Add((index, new TransferFailure(request.Source.Path, request.DestinationPath, failed.Error, failed.Attempts)));
                        if (Options.StopOnError) await stop.CancelAsync().ConfigureAwait(false);
                    }
                    finally
                    {
                        progress.FileDone();
                    }
                }).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested && !failures.IsEmpty)
        {
            // StopOnError: the first failure is the result.
        }
        progress.Complete();
        return new TransferResult
        {
            Transferred = done.OrderBy(d => d.Index).Select(d => d.File).ToList(),
            Failures = failures.OrderBy(f => f.Index).Select(f => f.Failure).ToList(),
            Skipped = skipped,
            Deleted = deleted,
            Elapsed = progress.Elapsed,
        };
    }
}
