using System.Management.Automation;
using Pipeline.PowerShell.Remote;
using Pipeline.RemoteFs;

namespace Pipeline.PowerShell.Commands.Remote;

/// <summary>Deletes remote (or local) files and directories.</summary>
[Cmdlet(VerbsCommon.Remove, "RemoteItem", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(void))]
public sealed class RemoveRemoteItemCommand : RemoteFsCommand
{
    /// <summary>URIs or local paths to delete.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("FullName", "PSPath")]
    [ValidateNotNullOrEmpty]
    public string[] Path { get; set; } = [];

    /// <summary>Delete directories with everything in them.</summary>
    [Parameter]
    public SwitchParameter Recurse { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        foreach (var path in Path) TryItem(() => Remove(path), path);
    }

    private void Remove(string text)
    {
        var location = Open(text);
        var shown = location.ToString();
        if (location.IsRoot(location.Path))
        {
            WriteError(RemoteErrors.Invalid($"The root '{shown}' is never deleted.", ErrorPrefix, "Root", shown));
            return;
        }
        var item = Find(location);
        if (item is null)
        {
            WriteError(RemoteErrors.NotFound($"Cannot find the path '{shown}' because it does not exist.", ErrorPrefix, shown));
            return;
        }
        if (!item.IsDirectory)
        {
            if (!ShouldProcess(shown, "Remove remote file")) return;
            Wait(token => location.FileSystem.DeleteFileAsync(location.Path, token));
            return;
        }
        if (!Recurse && Wait(token => HasChildrenAsync(location, token)))
        {
            WriteError(RemoteErrors.Invalid($"The directory '{shown}' is not empty; add -Recurse to delete it with everything in it.", ErrorPrefix, "DirectoryNotEmpty", shown));
            return;
        }
        if (!ShouldProcess(shown, Recurse ? "Remove remote directory and everything in it" : "Remove remote directory")) return;
        Wait(token => location.FileSystem.DeleteDirectoryAsync(location.Path, Recurse, token));
    }
}
