namespace Pipeline.PowerShell.Hosting;

/// <summary>
/// A first-in first-out queue for one reader that sleeps while it is empty. Unlike BlockingCollection and
/// SemaphoreSlim it does not spin before it sleeps: a runspace or cmdlet thread waits for the next script or write
/// thousands of times in a run of many short steps, and on a busy machine spinning cost more processor time than
/// the scripts themselves.
/// </summary>
internal sealed class SleepingQueue<T>
{
    private readonly Queue<T> _items = new();
    private bool _completed;

    /// <summary>Adds an item and wakes the reader.</summary>
    /// <exception cref="InvalidOperationException">The queue was completed.</exception>
    public void Add(T item)
    {
        lock (_items)
        {
            if (_completed) throw new InvalidOperationException("The queue takes no more items.");
            _items.Enqueue(item);
            Monitor.Pulse(_items);
        }
    }

    /// <summary>Ends the queue: the reader takes what is left, then its enumeration ends.</summary>
    public void CompleteAdding()
    {
        lock (_items)
        {
            _completed = true;
            Monitor.PulseAll(_items);
        }
    }

    /// <summary>Takes the next item if there is one, without waiting.</summary>
    public bool TryTake(out T item)
    {
        lock (_items)
        {
            return _items.TryDequeue(out item!);
        }
    }

    /// <summary>Waits for the next item; false when the queue is completed and empty.</summary>
    public bool Take(out T item)
    {
        lock (_items)
        {
            while (true)
            {
                if (_items.TryDequeue(out item!)) return true;
                if (_completed) return false;
                Monitor.Wait(_items);
            }
        }
    }

    /// <summary>The items as they come, until the queue is completed and empty.</summary>
    public IEnumerable<T> GetConsumingEnumerable()
    {
        while (Take(out var item)) yield return item;
    }
}
