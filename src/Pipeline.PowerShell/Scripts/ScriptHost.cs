using System.Management.Automation;
using Pipeline.Core.Records;
using Pipeline.PowerShell.Hosting;

namespace Pipeline.PowerShell.Scripts;

/// <summary>One row a script wrote: its field names and values.</summary>
internal readonly record struct ScriptRow(string[] Names, object?[] Values);

/// <summary>
/// Where the script blocks of one Invoke-Pipeline run: without -Parallel on the cmdlet's own thread and runspace
/// (through its <see cref="CmdletQueue"/>, so that they see the caller's variables); with -Parallel in a
/// <see cref="ScriptRunspacePool"/>, with their <c>$using:</c> values read from the caller first and their
/// streams forwarded to the cmdlet. Never on a thread that does not own the runspace.
/// </summary>
internal sealed class ScriptHost : IDisposable
{
    private readonly PSCmdlet _cmdlet;
    private readonly CmdletQueue _queue;
    private readonly Lazy<ScriptRunspacePool>? _pool;

    public ScriptHost(PSCmdlet cmdlet, CmdletQueue queue, bool parallel, bool hasPipelineInput, string location)
    {
        _cmdlet = cmdlet;
        _queue = queue;
        HasPipelineInput = hasPipelineInput;
        if (parallel) _pool = new Lazy<ScriptRunspacePool>(() => new ScriptRunspacePool(location), LazyThreadSafetyMode.ExecutionAndPublication);
    }

    /// <summary>Whether objects are piped into the cmdlet (else a step's fallback to the pipeline input means "no input").</summary>
    public bool HasPipelineInput { get; }

    /// <summary>Runs a script once (no batch) or once per record of a batch (each as <c>$_</c>); returns what it wrote.</summary>
    public async Task<List<ScriptRow>> RunAsync(ScriptSource script, RecordBatch? batch, CancellationToken cancellationToken)
    {
        if (_pool is null) return await _queue.InvokeAsync(() => RunHere(script, batch), cancellationToken).ConfigureAwait(false);
        var usingValues = script.Usings.Any
            ? await _queue.InvokeAsync(() => ReadUsingValues(script.Usings), cancellationToken).ConfigureAwait(false)
            : null;
        return await RunPooledAsync(script, usingValues, batch, cancellationToken).ConfigureAwait(false);
    }

    public void Dispose()
    {
        if (_pool is { IsValueCreated: true }) _pool.Value.Dispose();
    }

    // On the cmdlet's thread.
    private List<ScriptRow> RunHere(ScriptSource script, RecordBatch? batch)
    {
        var block = script.ForCaller();
        var lineOffset = ReferenceEquals(block, script.Block) ? 0 : script.FirstLine - 1;
        var variables = new List<PSVariable>();
        foreach (var (name, replacement) in script.Usings.Names)
            variables.Add(new PSVariable(replacement, _cmdlet.SessionState.PSVariable.GetValue(name)));
        var rows = new List<ScriptRow>();
        try
        {
            if (batch is null)
            {
                Collect(block.InvokeWithContext(null, variables), rows);
            }
            else
            {
                foreach (var row in batch.Rows)
                {
                    var withRecord = new List<PSVariable>(variables) { new("_", RecordObjects.ToObject(batch.Schema, row)) };
                    Collect(block.InvokeWithContext(null, withRecord), rows);
                }
            }
        }
        catch (RuntimeException ex) when (ex is not PipelineStoppedException)
        {
            throw ScriptErrors.ToStepException(ex, lineOffset);
        }
        return rows;
    }

    // On the cmdlet's thread.
    private Dictionary<string, object?> ReadUsingValues(UsingVariables usings) =>
        usings.Names.ToDictionary(kv => kv.Value, kv => (object?)_cmdlet.SessionState.PSVariable.GetValue(kv.Key));

    private async Task<List<ScriptRow>> RunPooledAsync(ScriptSource script, Dictionary<string, object?>? usingValues, RecordBatch? batch, CancellationToken cancellationToken)
    {
        var result = await _pool!.Value.RunAsync(script.Usings.Text, usingValues, batch is null ? null : RecordObjects.ToObjects(batch), cancellationToken).ConfigureAwait(false);
        var output = result.Output;
        var rows = new List<ScriptRow>(output.Count);
        foreach (var item in output)
        {
            switch (item is PSObject wrapped ? wrapped.BaseObject : item)
            {
                case ErrorRecord error: _queue.Post(() => _cmdlet.WriteError(error)); break;
                case WarningRecord warning: _queue.Post(() => _cmdlet.WriteWarning(warning.Message)); break;
                case VerboseRecord verbose: _queue.Post(() => _cmdlet.WriteVerbose(verbose.Message)); break;
                case DebugRecord debug: _queue.Post(() => _cmdlet.WriteDebug(debug.Message)); break;
                case InformationRecord information: _queue.Post(() => _cmdlet.WriteInformation(information)); break;
                case null: break;
                default:
                    if (RecordObjects.TryGetFields(PSObject.AsPSObject(item), out var names, out var values)) rows.Add(new ScriptRow(names, values));
                    break;
            }
        }
        if (result.Error is { } failure) throw ScriptErrors.ToStepException(failure, script.FirstLine - 1);
        return rows;
    }

    private static void Collect(IEnumerable<PSObject> output, List<ScriptRow> rows)
    {
        foreach (var item in output)
        {
            if (RecordObjects.TryGetFields(item, out var names, out var values)) rows.Add(new ScriptRow(names, values));
        }
    }
}
