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
        return await RunPooledAsync(script, batch, usingValues, cancellationToken).ConfigureAwait(false);
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

    private async Task<List<ScriptRow>> RunPooledAsync(ScriptSource script, RecordBatch? batch, Dictionary<string, object?>? usingValues, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var pool = _pool!.Value;
        var runspace = pool.Rent();
        try
        {
            if (usingValues is not null)
            {
                foreach (var (name, value) in usingValues) runspace.SessionStateProxy.SetVariable(name, value);
            }
            using var ps = System.Management.Automation.PowerShell.Create();
            ps.Runspace = runspace;
            PSDataCollection<PSObject>? input = null;
            if (batch is null)
            {
                ps.AddScript(script.Usings.Text, useLocalScope: true);
            }
            else
            {
                ps.AddCommand("Microsoft.PowerShell.Core\\ForEach-Object", useLocalScope: true).AddParameter("Process", ScriptBlock.Create(script.Usings.Text));
                input = new PSDataCollection<PSObject>(RecordObjects.ToObjects(batch));
                input.Complete();
            }
            using var stop = cancellationToken.Register(() =>
            {
                try
                {
                    ps.BeginStop(null, null);
                }
                catch (InvalidOperationException)
                {
                    // not running (yet or any more)
                }
            });
            PSDataCollection<PSObject> output;
            try
            {
                var started = input is null ? ps.BeginInvoke() : ps.BeginInvoke(input);
                output = await Task.Factory.FromAsync(started, ps.EndInvoke).ConfigureAwait(false);
            }
            catch (PipelineStoppedException) when (cancellationToken.IsCancellationRequested)
            {
                throw new OperationCanceledException(cancellationToken);
            }
            catch (RuntimeException ex)
            {
                Forward(ps.Streams);
                throw ScriptErrors.ToStepException(ex, script.FirstLine - 1);
            }
            cancellationToken.ThrowIfCancellationRequested();
            Forward(ps.Streams);
            var rows = new List<ScriptRow>(output.Count);
            Collect(output, rows);
            return rows;
        }
        finally
        {
            pool.Return(runspace);
        }
    }

    private void Forward(PSDataStreams streams)
    {
        foreach (var error in streams.Error) _queue.Post(() => _cmdlet.WriteError(error));
        foreach (var warning in streams.Warning) _queue.Post(() => _cmdlet.WriteWarning(warning.Message));
        foreach (var verbose in streams.Verbose) _queue.Post(() => _cmdlet.WriteVerbose(verbose.Message));
        foreach (var information in streams.Information) _queue.Post(() => _cmdlet.WriteInformation(information));
    }

    private static void Collect(IEnumerable<PSObject> output, List<ScriptRow> rows)
    {
        foreach (var item in output)
        {
            if (RecordObjects.TryGetFields(item, out var names, out var values)) rows.Add(new ScriptRow(names, values));
        }
    }
}
