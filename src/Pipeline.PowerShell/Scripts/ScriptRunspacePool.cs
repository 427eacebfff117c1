using System.Collections;
using System.Collections.Concurrent;
using System.Management.Automation;
using System.Management.Automation.Runspaces;
using Pipeline.PowerShell.Hosting;

namespace Pipeline.PowerShell.Scripts;

/// <summary>
/// Runspaces for script-block steps run with -Parallel. Each runspace is opened once (default session state, the
/// caller's current directory) and runs one long-lived loop that takes scripts from a queue and runs them, so a
/// step costs a queue hand-off and an invocation rather than a new pipeline (ForEach-Object -Parallel builds one
/// per item). A runspace serves one step at a time; the pool grows to the number of steps that run at once — the
/// throttle — and no further.
/// </summary>
internal sealed class ScriptRunspacePool : IDisposable
{
    private readonly ConcurrentBag<ScriptWorker> _idle = new();
    private readonly ConcurrentBag<ScriptWorker> _all = new();
    private readonly string _location;
    private int _disposed;

    public ScriptRunspacePool(string location)
    {
        _location = location;
    }

    /// <summary>How many runspaces were opened.</summary>
    public int Count => _all.Count;

    /// <summary>Runs <paramref name="script"/> in an idle runspace (opening one when none is idle): once, or once per
    /// record of <paramref name="records"/> as <c>$_</c>. Returns everything it wrote, every stream merged in order.</summary>
    public async Task<ScriptRunResult> RunAsync(string script, IReadOnlyDictionary<string, object?>? variables, PSObject[]? records, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        cancellationToken.ThrowIfCancellationRequested();
        if (!_idle.TryTake(out var worker))
        {
            worker = new ScriptWorker(_location);
            _all.Add(worker);
        }
        var item = new ScriptWorkItem(script, variables is null ? null : new Hashtable(variables.ToDictionary(kv => kv.Key, kv => kv.Value)), records);
        try
        {
            return await worker.RunAsync(item, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            if (worker.Alive && Volatile.Read(ref _disposed) == 0) _idle.Add(worker);
            else worker.Dispose();
        }
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        foreach (var worker in _all) worker.Dispose();
    }
}

/// <summary>What a script wrote to every stream, in order, and its terminating error if it threw one.</summary>
internal sealed record ScriptRunResult(IReadOnlyList<object?> Output, RuntimeException? Error);

/// <summary>One script for a runspace of Invoke-Pipeline -Parallel to run. Public only so that the loop running in
/// that runspace can read it and report back; not meant for scripts.</summary>
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
public sealed class ScriptWorkItem
{
    private readonly TaskCompletionSource<ScriptRunResult> _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly List<object?> _output = [];

    internal ScriptWorkItem(string script, Hashtable? variables, PSObject[]? records)
    {
        Script = script;
        Variables = variables;
        Records = records;
    }

    /// <summary>The script text.</summary>
    public string Script { get; }

    /// <summary>Variables to set before it runs (<c>$using:</c> values), or null.</summary>
    public Hashtable? Variables { get; }

    /// <summary>The records to run it for, each as <c>$_</c>; null to run it once.</summary>
    public PSObject[]? Records { get; }

    internal Task<ScriptRunResult> Task => _done.Task;

    /// <summary>Called by the loop for each object the script wrote to any stream.</summary>
    public void Add(object? item) => _output.Add(item);

    /// <summary>Called by the loop when the script ended.</summary>
    public void Complete() => _done.TrySetResult(new ScriptRunResult(_output, null));

    /// <summary>Called by the loop with the script's terminating error.</summary>
    public void Fail(ErrorRecord error) => _done.TrySetResult(new ScriptRunResult(_output,
        error.Exception is RuntimeException { ErrorRecord: { } record } runtime && ReferenceEquals(record, error)
            ? runtime
            : new RuntimeException(error.Exception?.Message ?? error.ToString(), error.Exception, error)));

    internal void Cancel(CancellationToken token) => _done.TrySetCanceled(token);

    internal void Abandon(Exception error) => _done.TrySetException(error);
}

/// <summary>A runspace and the loop it runs. Stopping the loop (to cancel a running script) ends the worker.</summary>
internal sealed class ScriptWorker : IDisposable
{
    // Runs in the worker's runspace for as long as the worker lives. Scripts run in a child scope (&), so what they
    // set does not leak into the next one; '*>&1' merges every stream into the output, in the order written.
    private const string Loop = """
        param($__items)
        $__blocks = @{}
        foreach ($__item in $__items) {
            try {
                $__block = $__blocks[$__item.Script]
                if ($null -eq $__block) { $__block = $__blocks[$__item.Script] = [scriptblock]::Create($__item.Script) }
                if ($null -ne $__item.Variables) {
                    foreach ($__pair in $__item.Variables.GetEnumerator()) { $ExecutionContext.SessionState.PSVariable.Set($__pair.Key, $__pair.Value) }
                }
                if ($null -eq $__item.Records) {
                    & $__block *>&1 | & { process { $__item.Add($_) } }
                } else {
                    $__item.Records | ForEach-Object -Process $__block *>&1 | & { process { $__item.Add($_) } }
                }
                $__item.Complete()
            } catch {
                $__item.Fail($_)
            }
        }
        """;

    private readonly SleepingQueue<ScriptWorkItem> _queue = new();
    private readonly Runspace _runspace;
    private readonly System.Management.Automation.PowerShell _loop;
    private readonly IAsyncResult _running;
    private ScriptWorkItem? _current;
    private int _disposed;

    public ScriptWorker(string location)
    {
        _runspace = RunspaceFactory.CreateRunspace(InitialSessionState.CreateDefault2());
        _runspace.ThreadOptions = PSThreadOptions.ReuseThread;
        _runspace.Open();
        if (Directory.Exists(location)) _runspace.SessionStateProxy.Path.SetLocation(WildcardPattern.Escape(location));
        _loop = System.Management.Automation.PowerShell.Create();
        _loop.Runspace = _runspace;
        _loop.AddScript(Loop, useLocalScope: true).AddArgument(_queue.GetConsumingEnumerable());
        // When the loop ends (stopped, or broken), the script it was running gets an answer.
        _running = _loop.BeginInvoke<PSObject>(null, null, _ => Volatile.Read(ref _current)?.Abandon(LoopStopped()), null);
    }

    private static InvalidOperationException LoopStopped() => new("The runspace running the script stopped unexpectedly.");

    /// <summary>Whether the loop still runs (it stops when a script is cancelled or the worker is disposed).</summary>
    public bool Alive => Volatile.Read(ref _disposed) == 0 && Volatile.Read(ref _stopping) == 0 && !_running.IsCompleted;

    private int _stopping;

    public async Task<ScriptRunResult> RunAsync(ScriptWorkItem item, CancellationToken cancellationToken)
    {
        Volatile.Write(ref _current, item);
        _queue.Add(item);
        if (_running.IsCompleted) item.Abandon(LoopStopped()); // ended before it could take the item
        using var stop = cancellationToken.Register(() =>
        {
            // A script cannot be stopped alone: the loop stops with it and this worker is dropped.
            Interlocked.Exchange(ref _stopping, 1);
            item.Cancel(cancellationToken);
            StopLoop();
        });
        return await item.Task.ConfigureAwait(false);
    }

    private void StopLoop()
    {
        try
        {
            _loop.BeginStop(null, null);
        }
        catch (Exception ex) when (ex is InvalidOperationException or ObjectDisposedException)
        {
            // already stopped
        }
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        _queue.CompleteAdding();
        if (!_running.AsyncWaitHandle.WaitOne(TimeSpan.FromSeconds(2))) StopLoop();
        _current?.Abandon(new ObjectDisposedException(nameof(ScriptWorker)));
        _loop.Dispose();
        _runspace.Dispose();
    }
}
