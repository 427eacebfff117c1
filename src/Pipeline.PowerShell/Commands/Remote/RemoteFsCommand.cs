using System.Management.Automation;
using Pipeline.PowerShell.Hosting;
using Pipeline.PowerShell.Remote;
using Pipeline.RemoteFs;
using Pipeline.RemoteFs.Transfers;

namespace Pipeline.PowerShell.Commands.Remote;

/// <summary>
/// What every remote cmdlet shares: paths and URIs opened through the sessions, engine calls that take a token
/// cancelled by Ctrl+C, and a pipeline thread that waits for them while it runs the output, progress and errors that
/// worker threads post (PowerShell's <c>Write*</c> work only on that thread).
/// </summary>
public abstract class RemoteFsCommand : PSCmdlet, IDisposable
{
    private readonly CancellationTokenSource _stopping = new();
    private RemoteFsLocations? _locations;

    private protected CmdletQueue Queue { get; } = new();

    private protected RemoteFsLocations Locations => _locations ??= new RemoteFsLocations();

    /// <summary>Cancelled when the pipeline stops (Ctrl+C).</summary>
    private protected CancellationToken Cancellation => _stopping.Token;

    /// <summary>The command's name without its dash, the prefix of its error ids (<c>CopyRemoteItem</c>).</summary>
    private protected string ErrorPrefix => MyInvocation.MyCommand.Name.Replace("-", "", StringComparison.Ordinal);

    /// <summary>Runs engine work on the thread pool, running what it posts to the queue on this thread until it ends.</summary>
    private protected T Wait<T>(Func<CancellationToken, Task<T>> work)
    {
        var task = Task.Run(() => work(Cancellation), Cancellation);
        Queue.RunUntil(task);
        return task.GetAwaiter().GetResult();
    }

    private protected void Wait(Func<CancellationToken, Task> work) => Wait(async token => { await work(token).ConfigureAwait(false); return true; });

    /// <summary>Opens a path or URI: URIs through the session that serves them, local paths against PowerShell's
    /// current location.</summary>
    private protected RemoteLocation Open(string pathOrUri)
    {
        if (RemoteFsLocations.IsRemote(pathOrUri)) return Wait(token => Locations.OpenRemoteAsync(pathOrUri, token));
        var local = RemoteFsLocations.LocalPathOf(pathOrUri);
        var namesDirectory = local.EndsWith('/') || local.EndsWith(System.IO.Path.DirectorySeparatorChar);
        return Locations.OpenLocal(SessionState.Path.GetUnresolvedProviderPathFromPSPath(local), namesDirectory);
    }

    /// <summary>The item at a location; on object stores a prefix with something below it counts as a directory.
    /// Null when nothing is there.</summary>
    private protected RemoteItem? Find(RemoteLocation location)
    {
        var item = Wait(token => location.FileSystem.StatAsync(location.Path, token));
        if (item is not null || location.IsLocal) return item;
        return Wait(token => HasChildrenAsync(location, token)) ? new RemoteItem(location.Path, true, 0, null) : null;
    }

    /// <summary>Whether a directory has anything in it.</summary>
    private protected static async Task<bool> HasChildrenAsync(RemoteLocation location, CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var _ in location.FileSystem.ListAsync(location.Path, new ListOptions(), cancellationToken).ConfigureAwait(false))
                return true;
            return false;
        }
        catch (RemoteFsException ex) when (ex.Kind == RemoteErrorKind.NotFound)
        {
            return false;
        }
    }

    /// <summary>
    /// Where a copy or move of <paramref name="item"/> lands, as Copy-Item decides: into <paramref name="destination"/>
    /// under the item's name when that is an existing directory (or was written with a trailing separator), else at
    /// <paramref name="destination"/> itself.
    /// </summary>
    private protected string TargetPath(RemoteLocation source, RemoteItem item, RemoteLocation destination)
    {
        if (destination.NamesDirectory || Find(destination) is { IsDirectory: true })
            return destination.Combine(destination.Path, source.Name(item.Path));
        return destination.Path;
    }

    /// <summary>Writes each file that failed in a transfer as a non-terminating error.</summary>
    private protected void WriteFailures(TransferResult result, RemoteLocation source)
    {
        foreach (var failure in result.Failures)
        {
            var target = failure.SourcePath.Length > 0 ? source.Display(failure.SourcePath) : failure.DestinationPath;
            WriteError(RemoteErrors.ToErrorRecord(failure.Error, ErrorPrefix, target)!);
        }
    }

    /// <summary>Runs one item's work; a failure is written as a non-terminating error and false is returned.</summary>
    private protected bool TryItem(Action work, object? target)
    {
        try
        {
            work();
            return true;
        }
        catch (Exception ex) when (RemoteErrors.ToErrorRecord(ex, ErrorPrefix, Printable(target)) is { } record)
        {
            if (Cancellation.IsCancellationRequested) throw new PipelineStoppedException();
            WriteError(record);
            return false;
        }
    }

    /// <summary>Runs work that the whole command needs; a failure ends the command with a terminating error.</summary>
    private protected T Required<T>(Func<T> work, object? target)
    {
        try
        {
            return work();
        }
        catch (Exception ex) when (RemoteErrors.ToErrorRecord(ex, ErrorPrefix, Printable(target)) is { } record)
        {
            if (Cancellation.IsCancellationRequested) throw new PipelineStoppedException();
            ThrowTerminatingError(record);
            throw; // not reached
        }
    }

    // An error's target is shown with it: a URI the user typed is shown redacted.
    private static object? Printable(object? target) => target is string text ? RemoteFsLocations.Redact(text) : target;

    /// <inheritdoc />
    protected override void StopProcessing() => _stopping.Cancel();

    /// <summary>Closes the connections this invocation opened; sessions stay open.</summary>
    public void Dispose()
    {
        if (_locations is not null)
        {
            _locations.DisposeAsync().AsTask().GetAwaiter().GetResult();
            _locations = null;
        }
        _stopping.Dispose();
        GC.SuppressFinalize(this);
    }
}
