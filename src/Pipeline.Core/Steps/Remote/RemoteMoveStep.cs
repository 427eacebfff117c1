using Pipeline.Core.Execution;
using Pipeline.Core.Observability;
using Pipeline.Core.Steps.Files;
using Pipeline.RemoteFs;
using Pipeline.RemoteFs.Transfers;
using TransferOptions = Pipeline.RemoteFs.Transfers.TransferOptions;

namespace Pipeline.Core.Steps.Remote;

/// <summary>
/// <c>remote.move</c>: moves files. On one endpoint each file is renamed (or copied server-side and deleted where the
/// backend cannot rename); between endpoints each file is transferred and verified, and its source is deleted only
/// after its copy is complete — a failed file stays where it was.
/// </summary>
public sealed class RemoteMoveStep : IStepHandler
{
    /// <inheritdoc />
    public StepTypeInfo Info { get; } = new(
        "remote.move",
        "Moves a file, a directory's content or a glob's matches: renamed on one endpoint, transferred, verified and then deleted between two.",
        [
            RemoteStepOptions.Source("The file, directory or glob to move: a URI (s3://, az://, sftp://...) or a local path."),
            RemoteStepOptions.Destination("The destination file, or the directory (existing, or ending with '/') that receives the files."),
            RemoteStepOptions.Overwrite,
            RemoteStepOptions.Recursive,
            RemoteStepOptions.Pattern,
            RemoteStepOptions.Verify,
            RemoteStepOptions.Parallelism,
            RemoteStepOptions.Attempts,
            RemoteStepOptions.ProgressInterval,
        ]);

    /// <inheritdoc />
    public Task ExecuteAsync(StepContext context, CancellationToken cancellationToken) => FileErrors.RunAsync(async () =>
    {
        var options = RemoteStepOptions.Read(context);
        await using var source = await FileLocation.OpenAsync(context, "source", context.Options.GetRequiredString("source"), cancellationToken).ConfigureAwait(false);
        await using var destination = await FileLocation.OpenAsync(context, "destination", context.Options.GetRequiredString("destination"), cancellationToken).ConfigureAwait(false);
        var requests = await RemoteFiles.PlanAsync(source, destination, options, "move", cancellationToken).ConfigureAwait(false);
        foreach (var request in requests)
        {
            if (source.SameFileSystemAs(destination) && source.SamePath(request.Source.Path, request.DestinationPath))
                throw new StepException(ErrorKind.Configuration, $"The source and the destination are the same file: '{source.Display(request.Source.Path)}'.");
        }

        if (source.SameFileSystemAs(destination))
        {
            await RenameAsync(context, source, destination, requests, options, cancellationToken).ConfigureAwait(false);
            return;
        }

        var result = await new RemoteTransfer(options).CopyFilesAsync(source.FileSystem, destination.FileSystem, requests, cancellationToken).ConfigureAwait(false);
        // Only files whose copy is complete and verified lose their source.
        foreach (var file in result.Transferred)
            await source.FileSystem.DeleteFileAsync(file.SourcePath, cancellationToken).ConfigureAwait(false);
        RemoteFiles.Report(context, source, destination, result, "move");
    });

    private static async Task RenameAsync(StepContext context, FileLocation source, FileLocation destination, IReadOnlyList<TransferRequest> requests,
        TransferOptions options, CancellationToken cancellationToken)
    {
        var started = context.Time.GetTimestamp();
        var moved = new System.Collections.Concurrent.ConcurrentBag<(int Index, TransferredFile File)>();
        var failed = new System.Collections.Concurrent.ConcurrentBag<(int Index, TransferFailure Failure)>();
        await Parallel.ForEachAsync(Enumerable.Range(0, requests.Count), new ParallelOptions { MaxDegreeOfParallelism = options.Parallelism, CancellationToken = cancellationToken },
            async (index, token) =>
            {
                var request = requests[index];
                try
                {
                    await destination.FileSystem.MoveAsync(request.Source.Path, request.DestinationPath, options.Overwrite, token).ConfigureAwait(false);
                    moved.Add((index, new TransferredFile(request.Source.Path, request.DestinationPath, request.Source.Length, null)));
                }
                catch (RemoteFsException ex)
                {
                    failed.Add((index, new TransferFailure(request.Source.Path, request.DestinationPath, ex, 1)));
                }
            }).ConfigureAwait(false);
        var result = new TransferResult
        {
            Transferred = moved.OrderBy(m => m.Index).Select(m => m.File).ToList(),
            Failures = failed.OrderBy(f => f.Index).Select(f => f.Failure).ToList(),
            Elapsed = context.Time.GetElapsedTime(started),
        };
        context.Log(LogLevel.Verbose, $"'{source}' and '{destination}' are on one endpoint: files are renamed there.");
        RemoteFiles.Report(context, source, destination, result, "move");
    }
}
