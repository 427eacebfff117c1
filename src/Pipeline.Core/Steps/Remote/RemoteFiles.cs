using System.Globalization;
using Pipeline.Core.Execution;
using Pipeline.Core.Observability;
using Pipeline.Core.Steps.Files;
using Pipeline.RemoteFs;
using Pipeline.RemoteFs.Transfers;
using TransferOptions = Pipeline.RemoteFs.Transfers.TransferOptions;

namespace Pipeline.Core.Steps.Remote;

/// <summary>What the remote transfer steps share: which files go where, running the transfer, and reporting it.</summary>
internal static class RemoteFiles
{
    /// <summary>
    /// The files <paramref name="source"/> names (a file, a directory's content with <c>recursive</c>, or a glob's
    /// matches, filtered by <c>pattern</c>) and where each lands below or at <paramref name="destination"/>.
    /// </summary>
    public static async Task<IReadOnlyList<TransferRequest>> PlanAsync(FileLocation source, FileLocation destination, TransferOptions options, string verb, CancellationToken cancellationToken)
    {
        var selection = await FileSelection.SelectAsync(source, options.Recursive, includeDirectories: false, listDirectory: options.Recursive, cancellationToken).ConfigureAwait(false);
        switch (selection.Kind)
        {
            case SelectionKind.Missing:
                throw FileErrors.NotFound("source", source.ToString());
            case SelectionKind.Glob when !selection.Files.Any():
                throw new StepException(ErrorKind.NotFound, $"No file matches the source '{source}'.");
            case SelectionKind.Directory when !options.Recursive:
                throw new StepException(ErrorKind.Configuration, $"The source '{source}' is a directory: set recursive: true to {verb} its content.");
        }

        var target = await destination.FileSystem.StatAsync(destination.Path, cancellationToken).ConfigureAwait(false);
        if (selection.Kind == SelectionKind.File)
        {
            var file = selection.Items[0].Item;
            var path = target is { IsDirectory: true } || destination.NamesDirectory
                ? destination.Combine(destination.Path, TransferPaths.ApplyGzipName(source.Name(file.Path), options.Gzip))
                : destination.Path;
            return [new TransferRequest(file, path)];
        }
        if (target is { IsDirectory: false })
            throw new StepException(ErrorKind.Conflict, $"The destination '{destination}' is a file, but the source '{source}' names several files: give a directory.");
        var filter = options.Filter is null ? null : Glob.Compile(options.Filter);
        var requests = new List<TransferRequest>();
        foreach (var selected in selection.Files)
        {
            if (filter is not null && !filter.IsMatch(selected.RelativePath)) continue;
            requests.Add(new TransferRequest(selected.Item, destination.Combine(destination.Path, TransferPaths.ApplyGzipName(selected.RelativePath, options.Gzip))));
        }
        if (requests.Count == 0 && filter is not null)
            throw new StepException(ErrorKind.NotFound, $"No file in '{source}' matches the pattern '{options.Filter}'.");
        return requests;
    }

    /// <summary>Transfers the files, counts them, publishes <c>files</c> and <c>bytes</c>, and fails the step when a file failed.</summary>
    public static async Task<TransferResult> TransferAsync(StepContext context, FileLocation source, FileLocation destination, IReadOnlyList<TransferRequest> requests,
        TransferOptions options, string verb, CancellationToken cancellationToken)
    {
        var result = await new RemoteTransfer(options).CopyFilesAsync(source.FileSystem, destination.FileSystem, requests, cancellationToken).ConfigureAwait(false);
        Report(context, source, destination, result, verb);
        return result;
    }

    /// <summary>Logs and counts a transfer's result; throws when any file failed.</summary>
    public static void Report(StepContext context, FileLocation source, FileLocation destination, TransferResult result, string verb)
    {
        foreach (var file in result.Transferred)
        {
            context.Metrics.AddFiles(1);
            context.Metrics.AddBytes(file.Bytes);
            context.Log(LogLevel.Verbose, $"{Capitalized(verb)} '{source.Display(file.SourcePath)}' to '{destination.Display(file.DestinationPath)}' ({file.Bytes} bytes{(file.Checksum is { } c ? $", {c.Algorithm} {c.Hex}" : "")}).");
        }
        context.SetOutput("files", (long)result.Files);
        context.SetOutput("bytes", result.Bytes);
        foreach (var failure in result.Failures)
            context.Log(LogLevel.Error, $"Could not {verb} '{(failure.SourcePath.Length > 0 ? source.Display(failure.SourcePath) : destination.Display(failure.DestinationPath))}'" +
                                        $"{(failure.Attempts > 1 ? $" after {failure.Attempts} attempts" : "")}: {failure.Error.Message}");
        var seconds = Math.Max(result.Elapsed.TotalSeconds, 0.001);
        context.Log(result.Succeeded ? LogLevel.Information : LogLevel.Warning, string.Create(CultureInfo.InvariantCulture,
            $"{Capitalized(Past(verb))} {Counted.Of(result.Files, "file")} ({RemoteStepOptions.Size(result.Bytes)}) in {seconds:0.0}s, {RemoteStepOptions.Size((long)(result.Bytes / seconds))}/s" +
            $"{(result.Failures.Count > 0 ? $"; {Counted.Of(result.Failures.Count, "file")} failed" : "")}."));
        if (result.Failures.Count > 0)
        {
            var first = result.Failures[0];
            var total = result.Failures.Count + result.Files;
            throw new StepException(FileErrors.Classify(first.Error.Kind),
                $"{result.Failures.Count} of {Counted.Of(total, "file")} could not be {Past(verb)}; the first: {first.Error.Message}", first.Error);
        }
    }

    private static string Past(string verb) => verb switch
    {
        "upload" => "uploaded",
        "download" => "downloaded",
        "move" => "moved",
        "copy" => "copied",
        _ => verb + "ed",
    };

    private static string Capitalized(string text) => char.ToUpperInvariant(text[0]) + text[1..];
}
