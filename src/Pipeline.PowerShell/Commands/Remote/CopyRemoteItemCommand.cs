using System.Management.Automation;
using Pipeline.PowerShell.Remote;
using Pipeline.RemoteFs;
using Pipeline.RemoteFs.Transfers;

namespace Pipeline.PowerShell.Commands.Remote;

/// <summary>Copies files and directory trees between any two endpoints: local to remote, remote to local, remote to
/// remote. Every file is verified and appears under its name only when complete.</summary>
[Cmdlet(VerbsCommon.Copy, "RemoteItem", SupportsShouldProcess = true)]
[OutputType(typeof(RemoteFsItem))]
public sealed class CopyRemoteItemCommand : RemoteFsCommand
{
    private RemoteLocation? _destination;

    /// <summary>Files or directories to copy: URIs or local paths.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("FullName", "PSPath")]
    [ValidateNotNullOrEmpty]
    public string[] Path { get; set; } = [];

    /// <summary>Where to copy: a file name, or a directory to copy into (an existing one, or one written with a trailing '/').</summary>
    [Parameter(Mandatory = true, Position = 1)]
    [ValidateNotNullOrEmpty]
    public string Destination { get; set; } = "";

    /// <summary>Copy directories with everything below them.</summary>
    [Parameter]
    public SwitchParameter Recurse { get; set; }

    /// <summary>Only the files of a directory that match this glob (*.csv, **/*.json).</summary>
    [Parameter]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string? Filter { get; set; }

    /// <summary>Replace destination files that exist.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <summary>How many files are copied at once.</summary>
    [Parameter]
    [ValidateRange(1, 64)]
    public int ThrottleLimit { get; set; } = 4;

    /// <summary>Skip the checksum comparison after each file.</summary>
    [Parameter]
    public SwitchParameter NoVerify { get; set; }

    /// <summary>Continue an interrupted download from where it stopped, where the source can read ranges.</summary>
    [Parameter]
    public SwitchParameter Resume { get; set; }

    /// <summary>Compress or Decompress with gzip on the fly (in directory copies .gz is appended to or removed from each name).</summary>
    [Parameter]
    [ValidateSet("None", "Compress", "Decompress")]
    public string Gzip { get; set; } = "None";

    /// <summary>Write each copied file.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    /// <inheritdoc />
    protected override void BeginProcessing() => _destination = Required(() => Open(Destination), Destination);

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        foreach (var path in Path) TryItem(() => Copy(path), path);
    }

    private void Copy(string text)
    {
        var source = Open(text);
        var destination = _destination!;
        var item = Find(source);
        if (item is null)
        {
            WriteError(RemoteErrors.NotFound($"Cannot find the path '{source}' because it does not exist.", ErrorPrefix, source.ToString()));
            return;
        }
        if (item.IsDirectory && !Recurse)
        {
            WriteError(RemoteErrors.Invalid($"'{source}' is a directory: add -Recurse to copy it with everything below it.", ErrorPrefix, "DirectoryWithoutRecurse", source.ToString()));
            return;
        }
        var targetPath = TargetPath(source, item, destination);
        var shownTarget = destination.Display(targetPath);
        if (!ShouldProcess($"Item: {source} Destination: {shownTarget}", "Copy remote item")) return;

        var progress = new TransferProgressWriter(this, Queue, $"Copying {source} to {shownTarget}");
        TransferResult result;
        try
        {
            var transfer = new RemoteTransfer(Options(progress));
            result = Wait(token => transfer.CopyAsync(source.FileSystem, source.Path, destination.FileSystem, targetPath, token));
        }
        finally
        {
            progress.Finish();
        }
        WriteFailures(result, source);
        WriteVerbose($"Copied {result.Files} file(s), {TransferProgressWriter.Size(result.Bytes)}, in {result.Elapsed.TotalSeconds:0.###} s to {shownTarget}.");
        if (!PassThru) return;
        foreach (var file in result.Transferred)
            WriteObject(new RemoteFsItem(new RemoteItem(file.DestinationPath, false, file.Bytes, null), destination.Display(file.DestinationPath)));
    }

    private TransferOptions Options(IProgress<TransferProgress> progress) => new()
    {
        Overwrite = Force,
        VerifyChecksum = !NoVerify,
        Parallelism = ThrottleLimit,
        Recursive = true,
        Filter = Filter,
        Resume = Resume,
        Gzip = Enum.Parse<GzipMode>(Gzip, ignoreCase: true),
        Progress = progress,
    };
}
