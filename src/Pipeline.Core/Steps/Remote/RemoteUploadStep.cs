using Pipeline.Core.Execution;
using Pipeline.Core.Steps.Files;

namespace Pipeline.Core.Steps.Remote;

/// <summary>
/// <c>remote.upload</c>: uploads a local file, a directory's content or a glob's matches to a remote file system,
/// many files at once, large ones in parallel parts (S3 multipart, Azure blocks), each verified by checksum and visible
/// under its name only when complete.
/// </summary>
public sealed class RemoteUploadStep : IStepHandler
{
    /// <inheritdoc />
    public StepTypeInfo Info { get; } = new(
        "remote.upload",
        "Uploads local files (a file, a directory's content or a glob's matches) to a remote URI such as s3://bucket/prefix/, in parallel, each verified and visible only when complete.",
        [
            RemoteStepOptions.Source("The local file, directory or glob to upload: a path relative to the definition, or file:///..."),
            RemoteStepOptions.Destination("The remote file, or the directory (existing, or ending with '/') that receives the files: s3://, gs://, az://, sftp://, ftp://..."),
            RemoteStepOptions.Overwrite,
            RemoteStepOptions.Recursive,
            RemoteStepOptions.Pattern,
            RemoteStepOptions.Verify,
            RemoteStepOptions.Parallelism,
            RemoteStepOptions.Gzip,
            RemoteStepOptions.Attempts,
            RemoteStepOptions.ProgressInterval,
        ]);

    /// <inheritdoc />
    public Task ExecuteAsync(StepContext context, CancellationToken cancellationToken) => FileErrors.RunAsync(async () =>
    {
        var options = RemoteStepOptions.Read(context);
        await using var source = await FileLocation.OpenAsync(context, "source", context.Options.GetRequiredString("source"), cancellationToken).ConfigureAwait(false);
        await using var destination = await FileLocation.OpenAsync(context, "destination", context.Options.GetRequiredString("destination"), cancellationToken).ConfigureAwait(false);
        if (!source.IsLocal)
            throw new StepException(ErrorKind.Configuration, $"remote.upload reads local files, but the source '{source}' is remote: use remote.download, or file.copy between two remote places.");
        if (destination.IsLocal)
            throw new StepException(ErrorKind.Configuration, $"remote.upload writes to a remote URI, but the destination '{destination}' is local: use file.copy.");
        var requests = await RemoteFiles.PlanAsync(source, destination, options, "upload", cancellationToken).ConfigureAwait(false);
        await RemoteFiles.TransferAsync(context, source, destination, requests, options, "upload", cancellationToken).ConfigureAwait(false);
    });
}
