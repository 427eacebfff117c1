using System.Management.Automation;
using Pipeline.Core.Execution;
using Pipeline.Core.Records;
using Pipeline.Core.Steps;

namespace Pipeline.PowerShell.Scripts;

/// <summary>
/// The <c>powershell</c> step type: a script block (New-PipelineStep -ScriptBlock) or the <c>script</c> option of
/// a YAML step. A step with record inputs runs its script once per record, the record as <c>$_</c>; a step without
/// runs it once. Whatever the script writes becomes the step's records. A thrown error fails the step with the
/// error kind <c>script</c> and the position where it was thrown.
/// </summary>
internal sealed class PowerShellStep : IStepHandler
{
    /// <summary>The type name.</summary>
    public const string TypeName = "powershell";

    private const string Description =
        "Runs a PowerShell script block: once per input record (as $_) when the step has inputs, else once; what it writes becomes records. Only inside Invoke-Pipeline.";

    private static readonly StepTypeInfo TextInfo = new(TypeName, Description,
        [new StepOptionInfo("script", StepOptionType.String, "The PowerShell script to run.") { Required = true }])
    {
        ConsumesRecords = true,
        ProducesRecords = true,
        Source = "Pipeline.PowerShell",
    };

    private static readonly StepTypeInfo BlockInfo = TextInfo with { Options = [] };

    private readonly ScriptHost? _host;

    public PowerShellStep(ScriptBlock? block, ScriptHost? host = null)
    {
        Block = block;
        _host = host;
    }

    /// <summary>The script block, when the step was built from one.</summary>
    public ScriptBlock? Block { get; }

    public StepTypeInfo Info => Block is null ? TextInfo : BlockInfo;

    /// <summary>The same step, run by one Invoke-Pipeline's host.</summary>
    public PowerShellStep BindTo(ScriptHost host) => new(Block, host);

    public async Task ExecuteAsync(StepContext context, CancellationToken cancellationToken)
    {
        var host = _host ?? throw new StepException(ErrorKind.Configuration, "Script-block steps run only inside Invoke-Pipeline.");
        ScriptSource script;
        try
        {
            script = Block is not null ? ScriptSource.FromBlock(Block) : ScriptSource.FromText(context.Options.GetRequiredString("script"));
        }
        catch (ParseException ex)
        {
            throw new StepException(ErrorKind.Configuration, $"The script of step '{context.StepId}' is not valid PowerShell: {ex.Message}", ex);
        }

        var assembler = new RecordAssembler();
        var inputs = context.Inputs
            .Where(kv => kv.Key != StepInputs.PipelineInput || host.HasPipelineInput)
            .Select(kv => kv.Value)
            .ToArray();
        if (inputs.Length == 0)
        {
            await WriteAsync(await host.RunAsync(script, null, cancellationToken).ConfigureAwait(false), assembler, context, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            foreach (var input in inputs)
            {
                await foreach (var batch in input.WithCancellation(cancellationToken).ConfigureAwait(false))
                {
                    var rows = await host.RunAsync(script, batch, cancellationToken).ConfigureAwait(false);
                    await WriteAsync(rows, assembler, context, cancellationToken).ConfigureAwait(false);
                }
            }
        }
        assembler.Flush();
        await DrainAsync(assembler, context, cancellationToken).ConfigureAwait(false);
    }

    private static async Task WriteAsync(List<ScriptRow> rows, RecordAssembler assembler, StepContext context, CancellationToken cancellationToken)
    {
        if (context.Output is null) return;
        foreach (var row in rows) assembler.Add(row.Names, row.Values);
        // What a script wrote for one batch goes on at once, so that records stream through the pipeline.
        assembler.Flush();
        await DrainAsync(assembler, context, cancellationToken).ConfigureAwait(false);
    }

    private static async Task DrainAsync(RecordAssembler assembler, StepContext context, CancellationToken cancellationToken)
    {
        while (assembler.TryTake(out var batch))
        {
            if (context.Output is not null) await context.Output.WriteAsync(batch, cancellationToken).ConfigureAwait(false);
        }
    }
}
