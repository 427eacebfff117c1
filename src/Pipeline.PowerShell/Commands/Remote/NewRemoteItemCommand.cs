using System.Management.Automation;
using System.Text;
using Pipeline.PowerShell.Remote;
using Pipeline.RemoteFs;

namespace Pipeline.PowerShell.Commands.Remote;

/// <summary>Creates a remote (or local) directory, with its missing parents, or a file.</summary>
[Cmdlet(VerbsCommon.New, "RemoteItem", SupportsShouldProcess = true)]
[OutputType(typeof(RemoteFsItem))]
public sealed class NewRemoteItemCommand : RemoteFsCommand
{
    /// <summary>URIs or local paths of the items to create.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("FullName", "PSPath")]
    [ValidateNotNullOrEmpty]
    public string[] Path { get; set; } = [];

    /// <summary>Directory, or File (the default).</summary>
    [Parameter]
    [ValidateSet("Directory", "File")]
    public string ItemType { get; set; } = "File";

    /// <summary>The text of a new file, written as UTF-8 without a byte order mark.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [AllowEmptyString]
    public string? Value { get; set; }

    /// <summary>Replace a file that exists.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        foreach (var path in Path) TryItem(() => Create(path), path);
    }

    private void Create(string text)
    {
        var location = Open(text);
        var shown = location.ToString();
        var directory = ItemType.Equals("Directory", StringComparison.OrdinalIgnoreCase);
        if (!ShouldProcess(shown, directory ? "Create remote directory" : "Create remote file")) return;
        if (directory)
        {
            Wait(token => location.FileSystem.CreateDirectoryAsync(location.Path, token));
        }
        else
        {
            var bytes = new UTF8Encoding(false).GetBytes(Value ?? "");
            Wait(async token =>
            {
                var options = new WriteOptions { Overwrite = Force, CreateParents = true, ExpectedLength = bytes.Length };
                await using var stream = await location.FileSystem.OpenWriteAsync(location.Path, options, token).ConfigureAwait(false);
                await stream.WriteAsync(bytes, token).ConfigureAwait(false);
                await stream.CommitAsync(token).ConfigureAwait(false);
            });
        }
        var item = Wait(token => location.FileSystem.StatAsync(location.Path, token))
            ?? new RemoteItem(location.Path, directory, directory ? 0 : Encoding.UTF8.GetByteCount(Value ?? ""), null);
        WriteObject(new RemoteFsItem(item, location.Display(item.Path)));
    }
}
