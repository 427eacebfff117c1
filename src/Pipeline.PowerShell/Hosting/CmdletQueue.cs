using System.Management.Automation;

namespace Pipeline.PowerShell.Hosting;

/// <summary>
/// Work that must run on the cmdlet's own thread — writes to PowerShell's streams and script blocks that use the
/// caller's runspace — posted from the engine's threads and run by the cmdlet while it waits for the engine
/// (<see cref="RunUntil"/>). PowerShell throws when <c>Write*</c> is called from any other thread.
/// </summary>
internal sealed class CmdletQueue
{
    private readonly SleepingQueue<Action> _items = new();
    private volatile bool _stopped;

    /// <summary>Whether a write met a stopping pipeline; later writes are dropped.</summary>
    public bool Stopped => _stopped;

    /// <summary>Posts a write to PowerShell's streams; dropped once the pipeline is stopping.</summary>
    public void Post(Action write)
    {
        _items.Add(() =>
        {
            if (_stopped) return;
            try
            {
                write();
            }
            catch (PipelineStoppedException)
            {
                _stopped = true;
            }
        });
    }

    /// <summary>Runs <paramref name="work"/> on the cmdlet's thread; the task ends with its result or exception,
    /// or is cancelled with <paramref name="cancellationToken"/> if the work has not started.</summary>
    public Task<T> InvokeAsync<T>(Func<T> work, CancellationToken cancellationToken)
    {
        var completion = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        var registration = cancellationToken.Register(() => completion.TrySetCanceled(cancellationToken));
        _items.Add(() =>
        {
            registration.Dispose();
            if (completion.Task.IsCompleted) return;
            try
            {
                completion.TrySetResult(work());
            }
            catch (Exception ex)
            {
                completion.TrySetException(ex);
            }
        });
        return completion.Task;
    }

    /// <summary>On the cmdlet's thread: runs posted work until <paramref name="task"/> has completed and the queue
    /// is empty.</summary>
    public void RunUntil(Task task)
    {
        // The task's end wakes the loop with an empty item.
        if (!task.IsCompleted)
            task.ContinueWith(static (_, items) => ((SleepingQueue<Action>)items!).Add(static () => { }), _items, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        while (true)
        {
            while (_items.TryTake(out var item)) item();
            if (task.IsCompleted)
            {
                while (_items.TryTake(out var item)) item();
                return;
            }
            if (_items.Take(out var next)) next();
        }
    }

    /// <summary>On the cmdlet's thread: runs the work posted so far without waiting.</summary>
    public void RunPending()
    {
        while (_items.TryTake(out var item)) item();
    }
}
