using System.Management.Automation;
using Pipeline.PowerShell.Remote;
using Pipeline.RemoteFs;
using Pipeline.RemoteFs.Transfers;

namespace Pipeline.PowerShell.Commands.Remote;

/// <summary>Makes a destination directory match a source directory, one way: copies what is missing or differs and,
/// with -Delete, deletes what has no source. -WhatIf lists the plan without changing anything.</summary>
[Cmdlet(VerbsData.Sync, "RemoteItem", SupportsShouldProcess = true)]
[OutputType(typeof(TransferResult))]
public sealed class SyncRemoteItemCommand : RemoteFsCommand
{
    /// <summary>The source directory: a URI or a local path.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("FullName", "PSPath")]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = "";

    /// <summary>The destination directory: a URI or a local path (created when missing).</summary>
    [Parameter(Mandatory = true, Position = 1)]
    [ValidateNotNullOrEmpty]
    public string Destination { get; set; } = "";

    /// <summary>How files are compared: SizeAndTime (the default) or Checksum.</summary>
    [Parameter]
    [ValidateSet("SizeAndTime", "Checksum")]
    public string Compare { get; set; } = "SizeAndTime";

    /// <summary>Delete destination files that have no source file.</summary>
    [Parameter]
    public SwitchParameter Delete { get; set; }

    /// <summary>Only files that match this glob (*.csv, **/*.json).</summary>
    [Parameter]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string? Filter { get; set; }

    /// <summary>How many files are copied at once.</summary>
    [Parameter]
    [ValidateRange(1, 64)]
    public int ThrottleLimit { get; set; } = 4;

    /// <summary>Skip the checksum comparison after each copied file.</summary>
    [Parameter]
    public SwitchParameter NoVerify { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecord() => TryItem(Sync, Path);

    private void Sync()
    {
        var source = Open(Path);
        var destination = Open(Destination);
        if (Find(source) is not { IsDirectory: true })
        {
            WriteError(RemoteErrors.NotFound($"The source directory '{source}' does not exist.", ErrorPrefix, source.ToString()));
            return;
        }
        var progress = new TransferProgressWriter(this, Queue, $"Synchronizing {source} to {destination}");
        var transferOptions = new TransferOptions
        {
            Overwrite = true,
            VerifyChecksum = !NoVerify,
            Parallelism = ThrottleLimit,
            Recursive = true,
            Filter = Filter,
            Progress = progress,
        };
        var sync = new RemoteSync(transferOptions, new SyncOptions
        {
            Compare = Enum.Parse<SyncComparison>(Compare, ignoreCase: true),
            DeleteExtra = Delete,
        });
        var plan = Wait(token => sync.PlanAsync(source.FileSystem, source.Path, destination.FileSystem, destination.Path, token));
        WriteVerbose($"Plan for {source} -> {destination}: {plan.Summary}");

        // Each change is asked for on its own, so -WhatIf lists the plan and -Confirm can leave out single files.
        var approved = plan.Changes.Where(action => ShouldProcess(destination.Display(action.DestinationPath), $"{action.Kind} ({action.Reason})")).ToList();
        if (approved.Count == 0 && plan.Changes.Any()) return;

        var copies = approved.Where(a => a.Kind is SyncActionKind.Copy or SyncActionKind.Update).Select(a => new TransferRequest(a.Source!, a.DestinationPath)).ToList();
        var deletes = approved.Where(a => a.Kind == SyncActionKind.Delete).Select(a => a.DestinationPath).ToList();
        TransferResult result;
        try
        {
            var transfer = new RemoteTransfer(transferOptions);
            result = copies.Count == 0 ? new TransferResult() : Wait(token => transfer.CopyFilesAsync(source.FileSystem, destination.FileSystem, copies, token));
        }
        finally
        {
            progress.Finish();
        }
        var deleted = 0;
        foreach (var path in deletes)
        {
            if (TryItem(() => Wait(token => DeleteAsync(destination, path, token)), destination.Display(path))) deleted++;
        }
        WriteFailures(result, source);
        WriteObject(result with { Skipped = plan.Actions.Count - approved.Count, Deleted = deleted });
    }

    private static async Task DeleteAsync(RemoteLocation destination, string path, CancellationToken cancellationToken)
    {
        try
        {
            await destination.FileSystem.DeleteFileAsync(path, cancellationToken).ConfigureAwait(false);
        }
        catch (RemoteFsException ex) when (ex.Kind == RemoteErrorKind.NotFound)
        {
            // Gone already: the goal is reached.
        }
    }
}
