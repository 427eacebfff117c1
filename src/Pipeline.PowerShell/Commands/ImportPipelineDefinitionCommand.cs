using System.Collections;
using System.Management.Automation;
using Pipeline.Core.Definitions;
using Pipeline.PowerShell.Hosting;

namespace Pipeline.PowerShell.Commands;

/// <summary>Reads and checks a YAML pipeline definition; every problem is reported at once, with its position.</summary>
[Cmdlet(VerbsData.Import, "PipelineDefinition")]
[OutputType(typeof(PipelineDefinition))]
public sealed class ImportPipelineDefinitionCommand : PSCmdlet
{
    /// <summary>The definition files.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("FullName", "PSPath")]
    [ValidateNotNullOrEmpty]
    public string[] Path { get; set; } = [];

    /// <summary>Variables the caller will pass to Invoke-Pipeline (their names count as defined).</summary>
    [Parameter]
    public Hashtable? Variable { get; set; }

    /// <summary>Assemblies that add step types.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[] PluginPath { get; set; } = [];

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        foreach (var path in Path)
        {
            var full = SessionState.Path.GetUnresolvedProviderPathFromPSPath(path);
            try
            {
                var registry = StepTypes.Create(PluginPath.Select(SessionState.Path.GetUnresolvedProviderPathFromPSPath));
                WriteObject(DefinitionLoader.LoadFile(full, registry, ParameterValues.Variables(Variable).Keys));
            }
            catch (DefinitionException ex)
            {
                ThrowTerminatingError(ErrorRecords.DefinitionInvalid(ex, "ImportPipeline", full));
            }
        }
    }
}
