using System.Management.Automation;
using Pipeline.PowerShell.Remote;
using Pipeline.RemoteFs;

namespace Pipeline.PowerShell.Commands.Remote;

/// <summary>Computes the hash of remote (or local) files, on the server where it can.</summary>
[Cmdlet(VerbsCommon.Get, "RemoteFileHash")]
[OutputType(typeof(RemoteFileHash))]
public sealed class GetRemoteFileHashCommand : RemoteFsCommand
{
    /// <summary>URIs or local paths of files.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("FullName", "PSPath")]
    [ValidateNotNullOrEmpty]
    public string[] Path { get; set; } = [];

    /// <summary>SHA256 (the default), MD5, SHA1 or SHA512.</summary>
    [Parameter]
    [ValidateSet("SHA256", "MD5", "SHA1", "SHA512")]
    public string Algorithm { get; set; } = "SHA256";

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        foreach (var path in Path)
        {
            TryItem(() =>
            {
                var location = Open(path);
                // The algorithm is parsed inside the work: a closure field of an engine enum would be laid out before
                // the module initializer makes the engine loadable.
                var checksum = Wait(token => location.FileSystem.GetChecksumAsync(location.Path, Enum.Parse<ChecksumAlgorithm>(Algorithm, ignoreCase: true), token));
                WriteObject(new RemoteFileHash(checksum, location.Display(location.Path)));
            }, path);
        }
    }
}
