using System.Collections.Concurrent;
using System.Management.Automation;
using System.Management.Automation.Runspaces;

namespace Pipeline.PowerShell.Scripts;

/// <summary>
/// Runspaces for script-block steps run with -Parallel, as ForEach-Object -Parallel keeps them: each opened once
/// (default session state, the caller's current directory, a thread of its own) and lent to one step at a time,
/// so that a step may set its <c>$using:</c> variables before it runs. The pool grows to the number of steps that
/// run at once — the throttle — and no further.
/// </summary>
internal sealed class ScriptRunspacePool : IDisposable
{
    private readonly ConcurrentBag<Runspace> _idle = new();
    private readonly ConcurrentBag<Runspace> _all = new();
    private readonly string _location;
    private int _disposed;

    public ScriptRunspacePool(string location)
    {
        _location = location;
    }

    /// <summary>How many runspaces were opened.</summary>
    public int Count => _all.Count;

    /// <summary>Takes an idle runspace, or opens one.</summary>
    public Runspace Rent()
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (_idle.TryTake(out var runspace)) return runspace;
        runspace = RunspaceFactory.CreateRunspace(InitialSessionState.CreateDefault2());
        runspace.ThreadOptions = PSThreadOptions.ReuseThread;
        runspace.Open();
        if (Directory.Exists(_location)) runspace.SessionStateProxy.Path.SetLocation(WildcardPattern.Escape(_location));
        _all.Add(runspace);
        return runspace;
    }

    /// <summary>Gives a runspace back.</summary>
    public void Return(Runspace runspace)
    {
        if (Volatile.Read(ref _disposed) != 0 || runspace.RunspaceStateInfo.State != RunspaceState.Opened)
        {
            runspace.Dispose();
            return;
        }
        _idle.Add(runspace);
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        foreach (var runspace in _all) runspace.Dispose();
    }
}
