using System.Management.Automation;
using Pipeline.PowerShell.Remote;
using Pipeline.RemoteFs;

namespace Pipeline.PowerShell.Commands.Remote;

/// <summary>Lists the files and directories of a remote (or local) directory.</summary>
[Cmdlet(VerbsCommon.Get, "RemoteChildItem")]
[OutputType(typeof(RemoteFsItem))]
public sealed class GetRemoteChildItemCommand : RemoteFsCommand
{
    /// <summary>Directories (or files) to list: URIs or local paths.</summary>
    [Parameter(Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("FullName", "PSPath")]
    [ValidateNotNullOrEmpty]
    public string[] Path { get; set; } = ["."];

    /// <summary>A glob that items must match: *.csv matches names at any depth, a pattern with '/' the path below the directory.</summary>
    [Parameter(Position = 1)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string? Filter { get; set; }

    /// <summary>List subdirectories too.</summary>
    [Parameter]
    public SwitchParameter Recurse { get; set; }

    /// <summary>Only directories.</summary>
    [Parameter]
    public SwitchParameter Directory { get; set; }

    /// <summary>Only files.</summary>
    [Parameter]
    public SwitchParameter File { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        foreach (var path in Path) TryItem(() => List(path), path);
    }

    private void List(string text)
    {
        var location = Open(text);
        var item = Find(location);
        if (item is null)
        {
            WriteError(RemoteErrors.NotFound($"Cannot find the path '{location}' because it does not exist.", ErrorPrefix, location.ToString()));
            return;
        }
        if (!item.IsDirectory)
        {
            if (!Directory) WriteObject(new RemoteFsItem(item, location.Display(item.Path)));
            return;
        }
        var options = new ListOptions { Recursive = Recurse, Filter = Filter, IncludeDirectories = !File };
        var items = location.FileSystem.ListAsync(location.Path, options, Cancellation).GetAsyncEnumerator(Cancellation);
        try
        {
            while (Wait(_ => items.MoveNextAsync().AsTask()))
            {
                var child = items.Current;
                if (Directory && !child.IsDirectory) continue;
                WriteObject(new RemoteFsItem(child, location.Display(child.Path)));
            }
        }
        finally
        {
            Wait(_ => items.DisposeAsync().AsTask());
        }
    }
}
