using System.Management.Automation;
using Pipeline.Core.Steps;
using Pipeline.PowerShell.Hosting;

namespace Pipeline.PowerShell.Commands;

/// <summary>Describes the step types: what each does, whether it reads or writes records, and its options.</summary>
[Cmdlet(VerbsCommon.Get, "PipelineStepType")]
[OutputType(typeof(StepTypeInfo))]
public sealed class GetPipelineStepTypeCommand : PSCmdlet
{
    /// <summary>Type names; wildcards are allowed.</summary>
    [Parameter(Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string[] Name { get; set; } = ["*"];

    /// <summary>Assemblies that add step types.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[] PluginPath { get; set; } = [];

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        var types = StepTypes.Create(PluginPath.Select(SessionState.Path.GetUnresolvedProviderPathFromPSPath)).Types;
        foreach (var name in Name)
        {
            var pattern = WildcardPattern.Get(name, WildcardOptions.IgnoreCase);
            var matches = types.Where(t => pattern.IsMatch(t.Name)).ToArray();
            if (matches.Length == 0 && !WildcardPattern.ContainsWildcardCharacters(name))
                WriteError(ErrorRecords.NotFound($"There is no step type '{name}'{Core.Definitions.Suggest.DidYouMean(name, types.Select(t => t.Name))}.", "GetPipelineStepTypeNotFound", name));
            WriteObject(matches, enumerateCollection: true);
        }
    }
}
