using Pipeline.Core.Execution;
using Pipeline.Core.Observability;
using Pipeline.Core.Steps.Files;
using Pipeline.RemoteFs.Transfers;

namespace Pipeline.Core.Steps.Remote;

/// <summary>
/// <c>remote.sync</c>: makes a destination directory match a source directory one way — copies what is missing or
/// differs (size and time, or checksum), optionally deletes what the source no longer has. With <c>dry_run</c> it logs
/// the plan (what <c>-WhatIf</c> shows) and changes nothing.
/// </summary>
public sealed class RemoteSyncStep : IStepHandler
{
    /// <inheritdoc />
    public StepTypeInfo Info { get; } = new(
        "remote.sync",
        "One-way sync of a directory to another on any file systems: copies what is missing or differs (size and time, or checksum), optionally deletes extras; dry_run only lists the plan.",
        [
            RemoteStepOptions.Source("The source directory: a local path or a URI."),
            RemoteStepOptions.Destination("The destination directory (created when missing): a local path or a URI."),
            new StepOptionInfo("compare", StepOptionType.String, "How files are compared: size_time (different size, or the source modified later) or checksum (different size or content hash).")
                { Default = "size_time", AllowedValues = ["size_time", "checksum"] },
            new StepOptionInfo("delete_extra", StepOptionType.Boolean, "Delete destination files that the source does not have (directories are left).") { Default = "false" },
            new StepOptionInfo("dry_run", StepOptionType.Boolean, "Only log what would be copied, updated and deleted; change nothing.") { Default = "false" },
            new StepOptionInfo("recursive", StepOptionType.Boolean, "Include subdirectories.") { Default = "true" },
            RemoteStepOptions.Pattern,
            RemoteStepOptions.Verify,
            RemoteStepOptions.Parallelism,
            RemoteStepOptions.Attempts,
            RemoteStepOptions.ProgressInterval,
        ]);

    /// <inheritdoc />
    public Task ExecuteAsync(StepContext context, CancellationToken cancellationToken) => FileErrors.RunAsync(async () =>
    {
        var options = context.Options;
        var recursive = options.GetBoolean("recursive", true);
        var transfer = RemoteStepOptions.Read(context) with { Recursive = recursive, Overwrite = true };
        var sync = new SyncOptions
        {
            Compare = options.GetChoice("compare", "size_time", "size_time", "checksum") == "checksum" ? SyncComparison.Checksum : SyncComparison.SizeAndTime,
            DeleteExtra = options.GetBoolean("delete_extra", false),
        };
        var dryRun = options.GetBoolean("dry_run", false);

        await using var source = await FileLocation.OpenAsync(context, "source", options.GetRequiredString("source"), cancellationToken).ConfigureAwait(false);
        await using var destination = await FileLocation.OpenAsync(context, "destination", options.GetRequiredString("destination"), cancellationToken).ConfigureAwait(false);
        if (source.SameFileSystemAs(destination) && source.SamePath(source.Path, destination.Path))
            throw new StepException(ErrorKind.Configuration, $"The source and the destination are the same directory: '{source}'.");
        var item = await source.FileSystem.StatAsync(source.Path, cancellationToken).ConfigureAwait(false);
        if (item is null) throw FileErrors.NotFound("source", source.ToString());
        if (!item.IsDirectory) throw new StepException(ErrorKind.Configuration, $"The source '{source}' is a file; remote.sync syncs a directory.");

        var syncer = new RemoteSync(transfer, sync);
        var plan = await syncer.PlanAsync(source.FileSystem, source.Path, destination.FileSystem, destination.Path, cancellationToken).ConfigureAwait(false);
        foreach (var action in plan.Changes)
            context.Log(dryRun ? LogLevel.Information : LogLevel.Verbose, $"{(dryRun ? "Would " : "")}{action}");
        context.SetOutput("copied", (long)plan.Count(SyncActionKind.Copy));
        context.SetOutput("updated", (long)plan.Count(SyncActionKind.Update));
        context.SetOutput("skipped", (long)plan.Count(SyncActionKind.Skip));
        context.SetOutput("deleted", (long)plan.Count(SyncActionKind.Delete));
        if (dryRun)
        {
            context.SetOutput("files", 0L);
            context.SetOutput("bytes", 0L);
            context.Log(LogLevel.Information, $"Dry run of the sync of '{source}' to '{destination}': {plan.Summary}; nothing was changed.");
            return;
        }

        var result = await syncer.ApplyAsync(plan, cancellationToken).ConfigureAwait(false);
        context.Log(LogLevel.Information, $"Synced '{source}' to '{destination}': {plan.Summary}.");
        RemoteFiles.Report(context, source, destination, result, "copy");
    });
}
