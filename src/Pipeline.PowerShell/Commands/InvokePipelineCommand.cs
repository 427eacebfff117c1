using System.Collections;
using System.Management.Automation;
using Pipeline.Core.Definitions;
using Pipeline.Core.Execution;
using Pipeline.Core.Observability;
using Pipeline.Core.Planning;
using Pipeline.Core.State;
using Pipeline.Core.Steps;
using Pipeline.Core.Templates;
using Pipeline.PowerShell.Hosting;
using Pipeline.PowerShell.Scripts;

namespace Pipeline.PowerShell.Commands;

/// <summary>Runs a pipeline from a YAML file, a definition object or an array of steps.</summary>
[Cmdlet(VerbsLifecycle.Invoke, "Pipeline", DefaultParameterSetName = PathSet, SupportsShouldProcess = true)]
[OutputType(typeof(PSObject))]
[OutputType(typeof(RunResult))]
public sealed class InvokePipelineCommand : PSCmdlet, IDisposable
{
    private const string PathSet = "Path";
    private const string DefinitionSet = "Definition";
    private const string StepSet = "Step";
    private const string ResumeSet = "Resume";

    private CmdletQueue? _queue;
    private ScriptHost? _scripts;
    private IRunStore? _store;
    private JsonLinesEventLog? _log;
    private PipelineInvocation? _invocation;

    /// <summary>The YAML definition file.</summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = PathSet)]
    [Alias("FullName", "PSPath")]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = "";

    /// <summary>A definition from Import-PipelineDefinition.</summary>
    [Parameter(Mandatory = true, ParameterSetName = DefinitionSet)]
    public PipelineDefinition? Definition { get; set; }

    /// <summary>Steps from New-PipelineStep, run as one pipeline.</summary>
    [Parameter(Mandatory = true, ParameterSetName = StepSet)]
    [ValidateNotNullOrEmpty]
    public StepDefinition[] Step { get; set; } = [];

    /// <summary>The pipeline id for -Step (names its runs, lock and history).</summary>
    [Parameter(ParameterSetName = StepSet)]
    [ValidateNotNullOrEmpty]
    public string PipelineId { get; set; } = "adhoc";

    /// <summary>Rerun only what did not succeed in this run, with its variables.</summary>
    [Parameter(ParameterSetName = PathSet)]
    [Parameter(ParameterSetName = DefinitionSet)]
    [Parameter(ParameterSetName = StepSet)]
    [Parameter(Mandatory = true, ParameterSetName = ResumeSet)]
    [ValidateNotNullOrEmpty]
    public string? Resume { get; set; }

    /// <summary>Variables for templates; they override the pipeline's.</summary>
    [Parameter]
    public Hashtable? Variable { get; set; }

    /// <summary>Secrets for {secret:NAME}: strings, SecureStrings or PSCredentials (the password).</summary>
    [Parameter]
    public Hashtable? Secret { get; set; }

    /// <summary>Run ready steps at once, script blocks in a runspace pool.</summary>
    [Parameter]
    public SwitchParameter Parallel { get; set; }

    /// <summary>How many steps run at once with -Parallel.</summary>
    [Parameter]
    [ValidateRange(1, 1024)]
    public int ThrottleLimit { get; set; }

    /// <summary>The step whose records are written to the output (by default the step 'output', else the last step
    /// that produces records that no step reads).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? OutputStep { get; set; }

    /// <summary>Write the run's result when it ends.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    /// <summary>Append every event as a JSON line to this file.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? LogPath { get; set; }

    /// <summary>The directory of the run store.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? StateDirectory { get; set; }

    /// <summary>Run without the run store: no history, lock or resume.</summary>
    [Parameter]
    public SwitchParameter NoHistory { get; set; }

    /// <summary>Assemblies that add step types.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[] PluginPath { get; set; } = [];

    /// <summary>Records for the pipeline's input.</summary>
    [Parameter(ValueFromPipeline = true)]
    public PSObject? InputObject { get; set; }

    /// <inheritdoc />
    protected override void BeginProcessing()
    {
        var variables = ParameterValues.Variables(Variable);
        var location = SessionState.Path.CurrentFileSystemLocation.ProviderPath;
        _queue = new CmdletQueue();
        _scripts = new ScriptHost(this, _queue, Parallel, MyInvocation.ExpectingInput, location);
        var registry = StepTypes.Create();
        registry.Register(new PowerShellStep(null, _scripts));
        var executor = new PipelineExecutor(registry);

        var definition = Run(() => Load(registry, variables.Keys), "InvokePipeline");
        if (definition is not null) definition = ScriptSteps.BindTo(definition, _scripts);
        var plan = definition is null ? null : Run(() => executor.Plan(definition, variables.Keys), "InvokePipeline");
        var description = plan is null ? $"Resume the run {Resume}." : PlanDescription.Format(plan) + (Resume is null ? "" : $"{Environment.NewLine}resuming the run {Resume}");
        if (!ShouldProcess(description, "Run the pipeline?", "Invoke-Pipeline")) return;

        _store = NoHistory ? null : Run(() => RunStores.Open(StateDirectory is null ? null : Resolve(StateDirectory)), "InvokePipeline");
        _log = LogPath is null ? null : Run(() => new JsonLinesEventLog(Resolve(LogPath)), "InvokePipeline");
        var streams = new PipelineStreams(this, _queue, Verbose());
        var request = new RunRequest
        {
            Definition = definition,
            Variables = variables,
            Secrets = new SecretStore(Run(() => ParameterValues.Secrets(Secret), "InvokePipeline")),
            Parallel = Parallel,
            ThrottleLimit = ThrottleLimit,
            ResumeRunId = Resume,
            OutputStep = OutputStep,
            Store = _store,
            WorkingDirectory = definition?.SourcePath is null ? location : null,
            // Steps reach remote URIs with the credentials and settings of the session Connect-RemoteFs opened.
            ConnectionOptions = Pipeline.PowerShell.Remote.RemoteFsSessions.ConnectionOptionsFor,
        };
        _invocation = new PipelineInvocation(this, _queue, streams, MyInvocation.ExpectingInput);
        _invocation.Start(executor, request, _log is null ? streams : new CompositeEventSink(streams, _log));
    }

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        if (_invocation is not null && InputObject is not null) Run(() => _invocation.Feed(InputObject), "InvokePipeline");
    }

    /// <inheritdoc />
    protected override void EndProcessing()
    {
        if (_invocation is null) return;
        var result = Run(_invocation.Finish, "InvokePipeline");
        if (PassThru) WriteObject(result);
    }

    /// <inheritdoc />
    protected override void StopProcessing() => _invocation?.Stop();

    /// <inheritdoc />
    public void Dispose()
    {
        _invocation?.Dispose();
        _scripts?.Dispose();
        RunStores.Close(_store);
        _log?.Dispose();
    }

    private PipelineDefinition? Load(StepTypeRegistry registry, IEnumerable<string> variables)
    {
        foreach (var plugin in PluginPath) registry.LoadPlugin(Resolve(plugin));
        return ParameterSetName switch
        {
            PathSet => DefinitionLoader.LoadFile(Resolve(Path), registry, variables),
            DefinitionSet => WithPlugins(Definition!, registry),
            StepSet => new PipelineDefinition { PipelineId = PipelineId, Steps = Step },
            _ => null,
        };
    }

    private static PipelineDefinition WithPlugins(PipelineDefinition definition, StepTypeRegistry registry)
    {
        var errors = DefinitionLoader.LoadPlugins(definition, registry);
        return errors.Count > 0 ? throw new DefinitionException(errors) : definition;
    }

    private string Resolve(string path) => SessionState.Path.GetUnresolvedProviderPathFromPSPath(path);

    private bool Verbose() =>
        MyInvocation.BoundParameters.TryGetValue("Verbose", out var verbose)
            ? ((SwitchParameter)verbose).IsPresent
            : SessionState.PSVariable.GetValue("VerbosePreference") is ActionPreference preference && preference != ActionPreference.SilentlyContinue;

    private T Run<T>(Func<T> action, string command)
    {
        try
        {
            return action();
        }
        catch (Exception ex) when (RunErrors.ToErrorRecord(ex, command, Resume ?? PipelineTarget()) is { } record)
        {
            ThrowTerminatingError(record);
            throw; // not reached
        }
    }

    private void Run(Action action, string command) => Run(() => { action(); return true; }, command);

    private object PipelineTarget() => ParameterSetName switch
    {
        PathSet => Path,
        DefinitionSet => Definition?.PipelineId ?? "",
        _ => PipelineId,
    };
}
