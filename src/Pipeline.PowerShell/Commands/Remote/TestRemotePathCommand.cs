using System.Management.Automation;

namespace Pipeline.PowerShell.Commands.Remote;

/// <summary>What Test-RemotePath looks for.</summary>
public enum RemotePathType
{
    /// <summary>A file or a directory.</summary>
    Any,
    /// <summary>A directory.</summary>
    Container,
    /// <summary>A file.</summary>
    Leaf,
}

/// <summary>Tells whether a remote (or local) file or directory exists.</summary>
[Cmdlet(VerbsDiagnostic.Test, "RemotePath")]
[OutputType(typeof(bool))]
public sealed class TestRemotePathCommand : RemoteFsCommand
{
    /// <summary>URIs or local paths to test.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("FullName", "PSPath")]
    [ValidateNotNullOrEmpty]
    public string[] Path { get; set; } = [];

    /// <summary>Any (the default), Container (a directory) or Leaf (a file).</summary>
    [Parameter]
    public RemotePathType PathType { get; set; } = RemotePathType.Any;

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        foreach (var path in Path)
        {
            // A server that cannot be reached is an error, not a "false": the answer is not known.
            TryItem(() =>
            {
                var location = Open(path);
                var item = Wait(token => location.FileSystem.StatAsync(location.Path, token));
                WriteObject(item is not null && PathType switch
                {
                    RemotePathType.Container => item.IsDirectory,
                    RemotePathType.Leaf => !item.IsDirectory,
                    _ => true,
                });
            }, path);
        }
    }
}
