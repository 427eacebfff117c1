using System.Collections;
using System.Management.Automation;
using Pipeline.Core.Definitions;
using Pipeline.PowerShell.Hosting;

namespace Pipeline.PowerShell.Commands;

/// <summary>Checks a pipeline definition without running it: $true when it is valid; each problem as an error,
/// or with -Detailed as DefinitionError objects.</summary>
[Cmdlet(VerbsDiagnostic.Test, "PipelineDefinition")]
[OutputType(typeof(bool))]
[OutputType(typeof(DefinitionError))]
public sealed class TestPipelineDefinitionCommand : PSCmdlet
{
    private const string PathSet = "Path";
    private const string DefinitionSet = "Definition";

    /// <summary>The definition files.</summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = PathSet, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("FullName", "PSPath")]
    [ValidateNotNullOrEmpty]
    public string[] Path { get; set; } = [];

    /// <summary>A definition object (from Import-PipelineDefinition, or built in code).</summary>
    [Parameter(Mandatory = true, ParameterSetName = DefinitionSet, ValueFromPipeline = true)]
    public PipelineDefinition? Definition { get; set; }

    /// <summary>Variables the caller will pass to Invoke-Pipeline (their names count as defined).</summary>
    [Parameter]
    public Hashtable? Variable { get; set; }

    /// <summary>Assemblies that add step types.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[] PluginPath { get; set; } = [];

    /// <summary>Return the problems as DefinitionError objects instead of $true/$false and errors.</summary>
    [Parameter]
    public SwitchParameter Detailed { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        var variables = ParameterValues.Variables(Variable).Keys;
        if (Definition is not null)
        {
            var registry = StepTypes.Create(PluginPath.Select(SessionState.Path.GetUnresolvedProviderPathFromPSPath));
            var errors = DefinitionLoader.LoadPlugins(Definition, registry).Concat(DefinitionValidator.Validate(Definition, registry, callerVariables: variables)).ToArray();
            Report(errors, Definition.PipelineId);
            return;
        }
        foreach (var path in Path)
        {
            var full = SessionState.Path.GetUnresolvedProviderPathFromPSPath(path);
            try
            {
                DefinitionLoader.LoadFile(full, StepTypes.Create(PluginPath.Select(SessionState.Path.GetUnresolvedProviderPathFromPSPath)), variables);
                Report([], full);
            }
            catch (DefinitionException ex)
            {
                Report(ex.Errors, full);
            }
        }
    }

    private void Report(IReadOnlyList<DefinitionError> errors, object target)
    {
        if (Detailed)
        {
            WriteObject(errors, enumerateCollection: true);
            return;
        }
        foreach (var error in errors) WriteError(ErrorRecords.DefinitionProblem(error, target));
        WriteObject(errors.Count == 0);
    }
}
