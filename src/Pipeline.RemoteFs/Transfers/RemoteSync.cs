using System.Globalization;

namespace Pipeline.RemoteFs.Transfers;

/// <summary>How a sync decides that a destination file differs from its source.</summary>
public enum SyncComparison
{
    /// <summary>Different sizes, or a source modified later than its copy (beyond <see cref="SyncOptions.TimeTolerance"/>).</summary>
    SizeAndTime,
    /// <summary>Different sizes or different checksums (native hashes where the backends have them, else read).</summary>
    Checksum,
}

/// <summary>What a sync does with one file.</summary>
public enum SyncActionKind
{
    /// <summary>The file is missing at the destination and is copied.</summary>
    Copy,
    /// <summary>The destination file differs and is replaced.</summary>
    Update,
    /// <summary>The destination file is up to date.</summary>
    Skip,
    /// <summary>The destination file has no source and is deleted (<see cref="SyncOptions.DeleteExtra"/>).</summary>
    Delete,
}

/// <summary>What a one-way sync compares and whether it deletes.</summary>
public sealed record SyncOptions
{
    /// <summary>How files are compared (default size and time).</summary>
    public SyncComparison Compare { get; init; } = SyncComparison.SizeAndTime;

    /// <summary>Delete destination files that have no source file (directories are left).</summary>
    public bool DeleteExtra { get; init; }

    /// <summary>Time differences up to this are equal (file systems keep times at different precisions; default 2 s).</summary>
    public TimeSpan TimeTolerance { get; init; } = TimeSpan.FromSeconds(2);
}

/// <summary>One line of a sync plan.</summary>
/// <param name="Kind">What happens.</param>
/// <param name="RelativePath">The file's '/'-separated path below both roots.</param>
/// <param name="Source">The source file (null for <see cref="SyncActionKind.Delete"/>).</param>
/// <param name="DestinationPath">The destination file's path.</param>
/// <param name="Destination">The destination file as it is now (null when missing).</param>
/// <param name="Reason">Why, in words (for -WhatIf listings and logs).</param>
public sealed record SyncAction(SyncActionKind Kind, string RelativePath, RemoteItem? Source, string DestinationPath, RemoteItem? Destination, string Reason)
{
    /// <summary>"Update  reports/a.csv  (size differs: 10 → 12 bytes)".</summary>
    public override string ToString() => $"{Kind,-6}  {RelativePath}  ({Reason})";
}

/// <summary>What a sync would do, worked out before anything changes: the listing <c>-WhatIf</c> prints, and the input of
/// <see cref="RemoteSync.ApplyAsync"/>.</summary>
public sealed class SyncPlan
{
    internal SyncPlan(IRemoteFileSystem source, string sourceRoot, IRemoteFileSystem destination, string destinationRoot, IReadOnlyList<SyncAction> actions)
    {
        Source = source;
        SourceRoot = sourceRoot;
        Destination = destination;
        DestinationRoot = destinationRoot;
        Actions = actions;
    }

    internal IRemoteFileSystem Source { get; }
    internal IRemoteFileSystem Destination { get; }

    /// <summary>The source directory.</summary>
    public string SourceRoot { get; }

    /// <summary>The destination directory.</summary>
    public string DestinationRoot { get; }

    /// <summary>Every file's action, ordered by relative path.</summary>
    public IReadOnlyList<SyncAction> Actions { get; }

    /// <summary>The actions that change something (everything but <see cref="SyncActionKind.Skip"/>).</summary>
    public IEnumerable<SyncAction> Changes => Actions.Where(a => a.Kind != SyncActionKind.Skip);

    /// <summary>How many actions are of <paramref name="kind"/>.</summary>
    public int Count(SyncActionKind kind) => Actions.Count(a => a.Kind == kind);

    /// <summary>Bytes the copies and updates will move.</summary>
    public long BytesToCopy => Actions.Where(a => a.Kind is SyncActionKind.Copy or SyncActionKind.Update).Sum(a => a.Source!.Length);

    /// <summary>"3 to copy, 1 to update, 10 up to date, 0 to delete (4,096 bytes)".</summary>
    public string Summary => string.Create(CultureInfo.InvariantCulture,
        $"{Count(SyncActionKind.Copy)} to copy, {Count(SyncActionKind.Update)} to update, {Count(SyncActionKind.Skip)} up to date, {Count(SyncActionKind.Delete)} to delete ({BytesToCopy:N0} bytes)");
}

/// <summary>
/// One-way sync of a directory tree: copies what is missing or differs at the destination (size and time, or
/// checksum), optionally deletes what the source no longer has. <see cref="PlanAsync"/> says what would happen
/// without changing anything; <see cref="ApplyAsync"/> does it with <see cref="RemoteTransfer"/>'s guarantees.
/// </summary>
public sealed class RemoteSync
{
    /// <summary>Creates a sync; <paramref name="transferOptions"/> govern the copies (parallelism, verification,
    /// progress, filter, recursion), <paramref name="syncOptions"/> the comparison.</summary>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range, or gzip is asked for (a sync compares like with like).</exception>
    public RemoteSync(TransferOptions? transferOptions = null, SyncOptions? syncOptions = null)
    {
        TransferOptions = transferOptions ?? new TransferOptions();
        TransferOptions.Validate();
        if (TransferOptions.Gzip != GzipMode.None)
            throw new ArgumentOutOfRangeException(nameof(transferOptions), TransferOptions.Gzip, "A sync cannot compress or decompress: it compares the files as they are.");
        SyncOptions = syncOptions ?? new SyncOptions();
        if (SyncOptions.TimeTolerance < TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(syncOptions), SyncOptions.TimeTolerance, "TimeTolerance must not be negative.");
    }

    /// <summary>The options of the copies.</summary>
    public TransferOptions TransferOptions { get; }

    /// <summary>The options of the comparison.</summary>
    public SyncOptions SyncOptions { get; }

    /// <summary>Compares the two trees and returns what a sync would do; changes nothing.</summary>
    /// <exception cref="RemoteFsException">The source directory does not exist, or a listing failed.</exception>
    public async Task<SyncPlan> PlanAsync(IRemoteFileSystem source, string sourcePath, IRemoteFileSystem destination, string destinationPath, CancellationToken cancellationToken = default)
    {
        var root = await source.StatAsync(sourcePath, cancellationToken).ConfigureAwait(false)
            ?? throw new RemoteFsException(RemoteErrorKind.NotFound, "The source directory does not exist", sourcePath, source.Endpoint);
        if (!root.IsDirectory)
            throw new RemoteFsException(RemoteErrorKind.Conflict, "The source of a sync must be a directory", sourcePath, source.Endpoint);
        var target = await destination.StatAsync(destinationPath, cancellationToken).ConfigureAwait(false);
        if (target is { IsDirectory: false })
            throw new RemoteFsException(RemoteErrorKind.Conflict, "The destination of a sync must be a directory, but it is a file", destinationPath, destination.Endpoint);

        var sources = await ListFilesAsync(source, root.Path, cancellationToken).ConfigureAwait(false);
        var existing = target is null ? new Dictionary<string, RemoteItem>(StringComparer.Ordinal)
            : await ListFilesAsync(destination, target.Path, cancellationToken).ConfigureAwait(false);
        var destinationRoot = target?.Path ?? destinationPath;

        var actions = new SyncAction?[sources.Count];
        var ordered = sources.OrderBy(kv => kv.Key, StringComparer.Ordinal).ToList();
        await Parallel.ForEachAsync(Enumerable.Range(0, ordered.Count),
            new ParallelOptions { MaxDegreeOfParallelism = TransferOptions.Parallelism, CancellationToken = cancellationToken },
            async (index, token) =>
            {
                var (relative, file) = ordered[index];
                var path = TransferPaths.Combine(destination, destinationRoot, relative);
                existing.TryGetValue(relative, out var copy);
                actions[index] = copy is null
                    ? new SyncAction(SyncActionKind.Copy, relative, file, path, null, "missing at the destination")
                    : await CompareAsync(source, file, destination, copy, relative, path, token).ConfigureAwait(false);
            }).ConfigureAwait(false);

        var all = actions.Select(a => a!).ToList();
        if (SyncOptions.DeleteExtra)
        {
            foreach (var (relative, extra) in existing.Where(kv => !sources.ContainsKey(kv.Key)).OrderBy(kv => kv.Key, StringComparer.Ordinal))
                all.Add(new SyncAction(SyncActionKind.Delete, relative, null, extra.Path, extra, "not in the source"));
        }
        all.Sort((a, b) => string.CompareOrdinal(a.RelativePath, b.RelativePath));
        return new SyncPlan(source, root.Path, destination, destinationRoot, all);
    }

    private async Task<SyncAction> CompareAsync(IRemoteFileSystem source, RemoteItem file, IRemoteFileSystem destination, RemoteItem copy, string relative, string path, CancellationToken cancellationToken)
    {
        if (file.Length != copy.Length)
            return new SyncAction(SyncActionKind.Update, relative, file, path, copy, $"size differs: {copy.Length} → {file.Length} bytes");
        if (SyncOptions.Compare == SyncComparison.Checksum)
        {
            var algorithm = TransferOptions.ChecksumAlgorithm;
            var a = await source.GetChecksumAsync(file.Path, algorithm, cancellationToken).ConfigureAwait(false);
            var b = await destination.GetChecksumAsync(copy.Path, algorithm, cancellationToken).ConfigureAwait(false);
            return a.Matches(b.Hex)
                ? new SyncAction(SyncActionKind.Skip, relative, file, path, copy, "same checksum")
                : new SyncAction(SyncActionKind.Update, relative, file, path, copy, "checksum differs");
        }
        if (file.LastWriteTime is { } changed && (copy.LastWriteTime is not { } copied || changed - copied > SyncOptions.TimeTolerance))
            return new SyncAction(SyncActionKind.Update, relative, file, path, copy, "the source is newer");
        return new SyncAction(SyncActionKind.Skip, relative, file, path, copy, "same size, not newer");
    }

    private async Task<Dictionary<string, RemoteItem>> ListFilesAsync(IRemoteFileSystem fileSystem, string root, CancellationToken cancellationToken)
    {
        var files = new Dictionary<string, RemoteItem>(StringComparer.Ordinal);
        var options = new ListOptions { Recursive = TransferOptions.Recursive, Filter = TransferOptions.Filter, IncludeDirectories = false };
        await foreach (var item in fileSystem.ListAsync(root, options, cancellationToken).ConfigureAwait(false))
            files[TransferPaths.Relative(fileSystem, root, item.Path)] = item;
        return files;
    }

    /// <summary>Carries out a plan: copies and updates (in parallel, verified), then deletes.</summary>
    public async Task<TransferResult> ApplyAsync(SyncPlan plan, CancellationToken cancellationToken = default)
    {
        var copies = plan.Actions.Where(a => a.Kind is SyncActionKind.Copy or SyncActionKind.Update)
            .Select(a => new TransferRequest(a.Source!, a.DestinationPath)).ToList();
        var transfer = new RemoteTransfer(TransferOptions with { Overwrite = true });
        var result = await transfer.CopyFilesAsync(plan.Source, plan.Destination, copies, [], cancellationToken, skipped: plan.Count(SyncActionKind.Skip)).ConfigureAwait(false);
        var deleted = 0;
        var failures = result.Failures.ToList();
        foreach (var delete in plan.Actions.Where(a => a.Kind == SyncActionKind.Delete))
        {
            try
            {
                await plan.Destination.DeleteFileAsync(delete.DestinationPath, cancellationToken).ConfigureAwait(false);
                deleted++;
            }
            catch (RemoteFsException ex) when (ex.Kind == RemoteErrorKind.NotFound)
            {
                deleted++; // gone already: the goal is reached
            }
            catch (RemoteFsException ex)
            {
                failures.Add(new TransferFailure("", delete.DestinationPath, ex, 1));
            }
        }
        return result with { Deleted = deleted, Failures = failures };
    }

    /// <summary>Plans and applies in one call.</summary>
    public async Task<TransferResult> SyncAsync(IRemoteFileSystem source, string sourcePath, IRemoteFileSystem destination, string destinationPath, CancellationToken cancellationToken = default) =>
        await ApplyAsync(await PlanAsync(source, sourcePath, destination, destinationPath, cancellationToken).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
}
