using System.Management.Automation;
using Pipeline.Core.State;
using Pipeline.PowerShell.Hosting;

namespace Pipeline.PowerShell.Commands;

/// <summary>Lists recorded runs, newest first, or shows one run with every step attempt.</summary>
[Cmdlet(VerbsCommon.Get, "PipelineRun", DefaultParameterSetName = ListSet)]
[OutputType(typeof(RunRecord))]
public sealed class GetPipelineRunCommand : PSCmdlet
{
    private const string ListSet = "List";
    private const string RunIdSet = "RunId";

    /// <summary>The type name of a run shown with its attempts (it has its own format view).</summary>
    public const string DetailTypeName = "Pipeline.Core.State.RunRecord#Detail";

    private IRunStore? _store;

    // Held as a number: PowerShell lays out this type before the module initializer has made the engine assembly
    // loadable (see Loading/ModuleInitializer.cs), and a field of an engine value type would need it.
    private int? _status;

    /// <summary>Only runs of this pipeline.</summary>
    [Parameter(Position = 0, ParameterSetName = ListSet)]
    [ValidateNotNullOrEmpty]
    public string? PipelineId { get; set; }

    /// <summary>Only runs with this outcome.</summary>
    [Parameter(ParameterSetName = ListSet)]
    public RunStatus? Status { get => (RunStatus?)_status; set => _status = (int?)value; }

    /// <summary>Only runs started at or after this time.</summary>
    [Parameter(ParameterSetName = ListSet)]
    public DateTime? Since { get; set; }

    /// <summary>At most this many runs, newest first.</summary>
    [Parameter(ParameterSetName = ListSet)]
    [ValidateRange(1, int.MaxValue)]
    public int First { get; set; } = 50;

    /// <summary>Show these runs with their step attempts.</summary>
    [Parameter(Mandatory = true, ParameterSetName = RunIdSet, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string[] RunId { get; set; } = [];

    /// <summary>The directory of the run store.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? StateDirectory { get; set; }

    /// <inheritdoc />
    protected override void BeginProcessing()
    {
        try
        {
            _store = RunStores.Open(StateDirectory is null ? null : SessionState.Path.GetUnresolvedProviderPathFromPSPath(StateDirectory));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidOperationException or System.Data.Common.DbException)
        {
            ThrowTerminatingError(ErrorRecords.StateUnavailable(ex, "GetPipelineRun", StateDirectory));
        }
    }

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        if (ParameterSetName == ListSet)
        {
            var query = new RunQuery { PipelineId = PipelineId, Status = Status, Since = Since is { } s ? new DateTimeOffset(s) : null, Limit = First };
            WriteObject(_store!.GetRunsAsync(query).GetAwaiter().GetResult(), enumerateCollection: true);
            return;
        }
        foreach (var id in RunId)
        {
            var run = _store!.GetRunAsync(id).GetAwaiter().GetResult();
            if (run is null)
            {
                WriteError(ErrorRecords.NotFound($"There is no run '{id}' in the run store.", "GetPipelineRunNotFound", id));
                continue;
            }
            var detail = PSObject.AsPSObject(run);
            detail.TypeNames.Insert(0, DetailTypeName);
            detail.Properties.Add(new PSNoteProperty("Attempts", _store.GetAttemptsAsync(id).GetAwaiter().GetResult()));
            WriteObject(detail);
        }
    }

    /// <inheritdoc />
    protected override void EndProcessing() => RunStores.Close(_store);
}
