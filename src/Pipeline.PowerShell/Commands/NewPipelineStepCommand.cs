using System.Collections;
using System.Management.Automation;
using Pipeline.Core.Definitions;
using Pipeline.Core.Execution;
using Pipeline.PowerShell.Hosting;
using Pipeline.PowerShell.Scripts;

namespace Pipeline.PowerShell.Commands;

/// <summary>Creates a step for Invoke-Pipeline -Step: of a step type with its options, or a script block.</summary>
[Cmdlet(VerbsCommon.New, "PipelineStep", DefaultParameterSetName = TypeSet)]
[OutputType(typeof(StepDefinition))]
public sealed class NewPipelineStepCommand : PSCmdlet
{
    private const string TypeSet = "Type";
    private const string ScriptBlockSet = "ScriptBlock";

    /// <summary>The step's id, unique in its pipeline.</summary>
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public string Id { get; set; } = "";

    /// <summary>The step type (file.copy, process.run, ...).</summary>
    [Parameter(Mandatory = true, Position = 1, ParameterSetName = TypeSet)]
    [ValidateNotNullOrEmpty]
    public string Type { get; set; } = "";

    /// <summary>The step type's options.</summary>
    [Parameter(ParameterSetName = TypeSet)]
    public Hashtable? With { get; set; }

    /// <summary>A script block to run: once, or once per input record as $_.</summary>
    [Parameter(Mandatory = true, Position = 1, ParameterSetName = ScriptBlockSet)]
    public ScriptBlock? ScriptBlock { get; set; }

    /// <summary>A display name.</summary>
    [Parameter]
    public string? Name { get; set; }

    /// <summary>Steps that must finish first.</summary>
    [Parameter]
    public string[] DependsOn { get; set; } = [];

    /// <summary>Steps whose records this step reads.</summary>
    [Parameter]
    public string[] Input { get; set; } = [];

    // Engine enums are held as numbers: PowerShell lays out this type before the module initializer has made the
    // engine assembly loadable (see Loading/ModuleInitializer.cs), and a field of an engine value type would need it.
    private int _trigger;
    private int _backoff;

    /// <summary>When the step runs given the outcomes of the steps it depends on.</summary>
    [Parameter]
    public TriggerRule Trigger { get => (TriggerRule)_trigger; set => _trigger = (int)value; }

    /// <summary>A condition on variables and upstream results; the step is skipped when false.</summary>
    [Parameter]
    public string? When { get; set; }

    /// <summary>The timeout of each attempt (30s, 5m, a TimeSpan).</summary>
    [Parameter]
    [DurationTransformation]
    public TimeSpan? Timeout { get; set; }

    /// <summary>How long the step should take; slower runs raise an alert.</summary>
    [Parameter]
    [DurationTransformation]
    public TimeSpan? ExpectedDuration { get; set; }

    /// <summary>The retry policy as in YAML: max_attempts, backoff, delay, max_delay, jitter, retry_on.</summary>
    [Parameter]
    public Hashtable? Retry { get; set; }

    /// <summary>Attempts in all (1 = no retry).</summary>
    [Parameter]
    [ValidateRange(1, 1000)]
    public int MaxAttempts { get; set; }

    /// <summary>How the delay between attempts grows.</summary>
    [Parameter]
    public BackoffKind Backoff { get => (BackoffKind)_backoff; set => _backoff = (int)value; }

    /// <summary>The first delay between attempts.</summary>
    [Parameter]
    [DurationTransformation]
    public TimeSpan RetryDelay { get; set; }

    /// <summary>The longest delay between attempts.</summary>
    [Parameter]
    [DurationTransformation]
    public TimeSpan MaxRetryDelay { get; set; }

    /// <summary>Randomise delays by ±25%.</summary>
    [Parameter]
    public SwitchParameter Jitter { get; set; }

    /// <summary>The error kinds that are retried.</summary>
    [Parameter]
    public ErrorKind[] RetryOn { get; set; } = [];

    /// <summary>A step to run for this one when the run fails after this step succeeded.</summary>
    [Parameter]
    public StepDefinition? Rollback { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        if (!Ids.IsValid(Id))
        {
            ThrowTerminatingError(ErrorRecords.InvalidArgument(
                new ArgumentException($"The step id '{Id}' may hold only letters, digits, '_', '-' and '.', and must start with a letter, digit or '_'.", nameof(Id)),
                "NewPipelineStepInvalidId", Id));
        }
        WriteObject(new StepDefinition
        {
            Id = Id,
            Name = Name,
            Type = ScriptBlock is null ? Type : PowerShellStep.TypeName,
            Handler = ScriptBlock is null ? null : new PowerShellStep(ScriptBlock),
            With = ParameterValues.Options(With),
            DependsOn = DependsOn,
            Inputs = Input,
            Trigger = Trigger,
            When = When,
            Timeout = Timeout,
            ExpectedDuration = ExpectedDuration,
            Retry = RetryPolicy(),
            Rollback = Rollback,
        });
    }

    private RetryPolicy? RetryPolicy()
    {
        var settings = Retry is null ? new List<KeyValuePair<string, object?>>() : ParameterValues.Pairs(Retry).ToList();
        void Add(string parameter, string key, object? value)
        {
            if (MyInvocation.BoundParameters.ContainsKey(parameter)) settings.Add(new(key, value));
        }
        Add(nameof(MaxAttempts), "max_attempts", MaxAttempts);
        Add(nameof(Backoff), "backoff", Backoff.ToString());
        Add(nameof(RetryDelay), "delay", RetryDelay);
        Add(nameof(MaxRetryDelay), "max_delay", MaxRetryDelay);
        Add(nameof(Jitter), "jitter", Jitter.IsPresent);
        Add(nameof(RetryOn), "retry_on", RetryOn.Select(k => ErrorKinds.ToName(k)).ToArray());
        if (settings.Count == 0) return null;
        try
        {
            return RetrySettings.Parse(settings);
        }
        catch (DefinitionException ex)
        {
            ThrowTerminatingError(ErrorRecords.InvalidArgument(ex, "NewPipelineStepInvalidRetry", Retry));
            throw; // not reached
        }
    }
}
