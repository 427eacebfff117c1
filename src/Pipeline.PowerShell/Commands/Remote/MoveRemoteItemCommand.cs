using System.Management.Automation;
using Pipeline.PowerShell.Remote;
using Pipeline.RemoteFs;
using Pipeline.RemoteFs.Transfers;

namespace Pipeline.PowerShell.Commands.Remote;

/// <summary>Moves or renames files and directories: a rename on one endpoint, a verified copy then a delete across
/// endpoints.</summary>
[Cmdlet(VerbsCommon.Move, "RemoteItem", SupportsShouldProcess = true)]
[OutputType(typeof(RemoteFsItem))]
public sealed class MoveRemoteItemCommand : RemoteFsCommand
{
    private RemoteLocation? _destination;

    /// <summary>Files or directories to move: URIs or local paths.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("FullName", "PSPath")]
    [ValidateNotNullOrEmpty]
    public string[] Path { get; set; } = [];

    /// <summary>The new name, or a directory to move into (an existing one, or one written with a trailing '/').</summary>
    [Parameter(Mandatory = true, Position = 1)]
    [ValidateNotNullOrEmpty]
    public string Destination { get; set; } = "";

    /// <summary>Replace a destination file that exists.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <summary>How many files are copied at once when a directory moves to another endpoint.</summary>
    [Parameter]
    [ValidateRange(1, 64)]
    public int ThrottleLimit { get; set; } = 4;

    /// <summary>Write the moved item.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    /// <inheritdoc />
    protected override void BeginProcessing() => _destination = Required(() => Open(Destination), Destination);

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        foreach (var path in Path) TryItem(() => Move(path), path);
    }

    private void Move(string text)
    {
        var source = Open(text);
        var destination = _destination!;
        var item = Find(source);
        if (item is null)
        {
            WriteError(RemoteErrors.NotFound($"Cannot find the path '{source}' because it does not exist.", ErrorPrefix, source.ToString()));
            return;
        }
        if (source.IsRoot(source.Path))
        {
            WriteError(RemoteErrors.Invalid($"The root '{source}' cannot be moved.", ErrorPrefix, "Root", source.ToString()));
            return;
        }
        var targetPath = TargetPath(source, item, destination);
        var shownTarget = destination.Display(targetPath);
        if (!ShouldProcess($"Item: {source} Destination: {shownTarget}", "Move remote item")) return;

        if (!source.SameFileSystemAs(destination) || !TryRename(source, item, targetPath))
        {
            if (!CopyThenDelete(source, item, destination, targetPath, shownTarget)) return;
        }
        if (PassThru)
        {
            var moved = Wait(token => destination.FileSystem.StatAsync(targetPath, token)) ?? item with { Path = targetPath };
            WriteObject(new RemoteFsItem(moved, destination.Display(moved.Path)));
        }
    }

    // A rename where the backend has one; false when it cannot rename this item (a directory on an object store).
    private bool TryRename(RemoteLocation source, RemoteItem item, string targetPath)
    {
        try
        {
            // A file's move creates the parents it needs; a directory's rename needs its new parent to exist.
            if (item.IsDirectory) Wait(token => source.FileSystem.CreateDirectoryAsync(source.Parent(targetPath), token));
            Wait(token => source.FileSystem.MoveAsync(source.Path, targetPath, Force, token));
            return true;
        }
        catch (RemoteFsException ex) when (item.IsDirectory && ex.Kind == RemoteErrorKind.NotSupported)
        {
            return false;
        }
    }

    private bool CopyThenDelete(RemoteLocation source, RemoteItem item, RemoteLocation destination, string targetPath, string shownTarget)
    {
        var progress = new TransferProgressWriter(this, Queue, $"Moving {source} to {shownTarget}");
        TransferResult result;
        try
        {
            var transfer = new RemoteTransfer(new TransferOptions { Overwrite = Force, Parallelism = ThrottleLimit, Recursive = true, Progress = progress });
            result = Wait(token => transfer.CopyAsync(source.FileSystem, source.Path, destination.FileSystem, targetPath, token));
        }
        finally
        {
            progress.Finish();
        }
        if (!result.Succeeded)
        {
            // Nothing is deleted unless every file arrived verified.
            WriteFailures(result, source);
            return false;
        }
        if (item.IsDirectory) Wait(token => source.FileSystem.DeleteDirectoryAsync(source.Path, recursive: true, token));
        else Wait(token => source.FileSystem.DeleteFileAsync(source.Path, token));
        return true;
    }
}
