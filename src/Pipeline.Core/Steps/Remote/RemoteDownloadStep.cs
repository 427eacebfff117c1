using Pipeline.Core.Execution;
using Pipeline.Core.Steps.Files;

namespace Pipeline.Core.Steps.Remote;

/// <summary>
/// <c>remote.download</c>: downloads a remote file, a directory's content or a glob's matches to local files, many at
/// once, large ones in parallel ranged parts, each verified and renamed into place only when complete; with
/// <c>resume</c> an interrupted download continues where it stopped.
/// </summary>
public sealed class RemoteDownloadStep : IStepHandler
{
    /// <inheritdoc />
    public StepTypeInfo Info { get; } = new(
        "remote.download",
        "Downloads remote files (a file, a directory's content or a glob's matches) to a local path, in parallel and in ranged parts, each verified and renamed into place only when complete.",
        [
            RemoteStepOptions.Source("The remote file, directory or glob to download: s3://bucket/in/*.csv, az://account/container/dir, sftp://host/path..."),
            RemoteStepOptions.Destination("The local file, or the directory (existing, or ending with '/') that receives the files, relative to the definition."),
            RemoteStepOptions.Overwrite,
            RemoteStepOptions.Recursive,
            RemoteStepOptions.Pattern,
            RemoteStepOptions.Verify,
            RemoteStepOptions.Parallelism,
            RemoteStepOptions.Gzip,
            RemoteStepOptions.Resume,
            RemoteStepOptions.PartSize,
            RemoteStepOptions.ParallelParts,
            RemoteStepOptions.PreserveTimestamps,
            RemoteStepOptions.Attempts,
            RemoteStepOptions.ProgressInterval,
        ]);

    /// <inheritdoc />
    public Task ExecuteAsync(StepContext context, CancellationToken cancellationToken) => FileErrors.RunAsync(async () =>
    {
        var options = RemoteStepOptions.Read(context);
        await using var source = await FileLocation.OpenAsync(context, "source", context.Options.GetRequiredString("source"), cancellationToken).ConfigureAwait(false);
        await using var destination = await FileLocation.OpenAsync(context, "destination", context.Options.GetRequiredString("destination"), cancellationToken).ConfigureAwait(false);
        if (source.IsLocal)
            throw new StepException(ErrorKind.Configuration, $"remote.download reads a remote URI, but the source '{source}' is local: use file.copy.");
        if (!destination.IsLocal)
            throw new StepException(ErrorKind.Configuration, $"remote.download writes local files, but the destination '{destination}' is remote: use remote.upload, or file.copy between two remote places.");
        var requests = await RemoteFiles.PlanAsync(source, destination, options, "download", cancellationToken).ConfigureAwait(false);
        await RemoteFiles.TransferAsync(context, source, destination, requests, options, "download", cancellationToken).ConfigureAwait(false);
    });
}
