using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Pipeline.Core.Execution;

namespace Pipeline.Core.Records;

/// <summary>
/// A producer's output, fanned out to every consumer through its own bounded queue. The same immutable batch is
/// handed to each consumer (no copy); the producer waits while the slowest consumer's queue is full. A queue is full
/// at its depth in batches or at <see cref="MaxQueuedRows"/> rows, whichever comes first (a batch larger than that
/// still passes through an empty queue), so the rows in flight between two steps stay bounded whatever batch size a
/// producer picks. A consumer that stops early is detached and no longer slows the producer.
/// </summary>
internal sealed class RecordBroadcast : IRecordWriter
{
    /// <summary>
    /// The rows one consumer's queue holds before the producer waits. Rows in flight are what survives the garbage
    /// collector's young generation, and the runtime sizes that generation from the survivors (docs/benchmarks.md,
    /// "Data steps"): two default batches keep the producer and the consumer overlapping while the rows in flight stay
    /// a few megabytes.
    /// </summary>
    public const int MaxQueuedRows = 2048;

    private readonly string _producerId;
    private readonly int _maxQueuedRows;
    private readonly List<Subscription> _subscriptions = [];
    // Detach finds a consumer's subscriptions without a scan: a caller's input can have thousands of consumers.
    private readonly Dictionary<string, List<Subscription>> _byConsumer = new(StringComparer.Ordinal);
    private long _rows;

    public RecordBroadcast(string producerId, int maxQueuedRows = MaxQueuedRows)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxQueuedRows, 1);
        _producerId = producerId;
        _maxQueuedRows = maxQueuedRows;
    }

    /// <summary>Rows written so far.</summary>
    public long Rows => Interlocked.Read(ref _rows);

    /// <summary>Batches written so far; a producer that wrote any cannot be retried.</summary>
    public long Batches { get; private set; }

    /// <summary>Adds a consumer; call before the producer starts.</summary>
    public IAsyncEnumerable<RecordBatch> Subscribe(string consumerId, int queueDepth)
    {
        var subscription = new Subscription(Channel.CreateBounded<RecordBatch>(new BoundedChannelOptions(queueDepth)
        {
            SingleReader = true,
            SingleWriter = true,
            FullMode = BoundedChannelFullMode.Wait,
        }));
        _subscriptions.Add(subscription);
        if (!_byConsumer.TryGetValue(consumerId, out var mine)) _byConsumer.Add(consumerId, mine = []);
        mine.Add(subscription);
        return Read(subscription);
    }

    /// <summary>Adds an external consumer (the host's output) that receives every batch through a callback.</summary>
    public IAsyncEnumerable<RecordBatch> SubscribeHost(int queueDepth) => Subscribe("<host>", queueDepth);

    public async ValueTask WriteAsync(RecordBatch batch, CancellationToken cancellationToken = default)
    {
        if (batch.Count == 0) return;
        Batches++;
        Interlocked.Add(ref _rows, batch.Count);
        foreach (var subscription in _subscriptions)
        {
            if (subscription.Detached) continue;
            try
            {
                while (!subscription.HasRoomFor(batch.Count, _maxQueuedRows) && !subscription.Detached)
                    await subscription.Room.WaitAsync(cancellationToken).ConfigureAwait(false);
                subscription.Queued(batch.Count);
                await subscription.Channel.Writer.WriteAsync(batch, cancellationToken).ConfigureAwait(false);
            }
            catch (ChannelClosedException)
            {
                // The consumer stopped reading; it no longer holds the producer back.
            }
        }
    }

    /// <summary>Ends every consumer's stream: normally, or with the producer's failure.</summary>
    public void Complete(Exception? error = null)
    {
        foreach (var subscription in _subscriptions)
        {
            var failure = error is null ? null
                : new StepException(ErrorKind.Unknown, $"The input step '{_producerId}' failed: {error.Message}", error);
            subscription.Channel.Writer.TryComplete(failure);
        }
    }

    /// <summary>Detaches a consumer that will read no more (finished, failed or skipped).</summary>
    public void Detach(string consumerId)
    {
        if (!_byConsumer.TryGetValue(consumerId, out var mine)) return;
        foreach (var subscription in mine)
        {
            subscription.Detached = true;
            subscription.Channel.Writer.TryComplete();
            while (subscription.Channel.Reader.TryRead(out var batch)) subscription.Taken(batch.Count);
            subscription.Taken(0);
        }
    }

    private static async IAsyncEnumerable<RecordBatch> Read(Subscription subscription, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var batch in subscription.Channel.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            subscription.Taken(batch.Count);
            yield return batch;
        }
    }

    private sealed class Subscription(Channel<RecordBatch> channel)
    {
        private long _queuedRows;

        public Channel<RecordBatch> Channel { get; } = channel;
        public volatile bool Detached;

        /// <summary>Signalled whenever the consumer takes rows; the producer re-checks the room after each signal.</summary>
        public SemaphoreSlim Room { get; } = new(0, 1);

        public bool HasRoomFor(int rows, int max)
        {
            var queued = Interlocked.Read(ref _queuedRows);
            return queued == 0 || queued + rows <= max;
        }

        public void Queued(int rows) => Interlocked.Add(ref _queuedRows, rows);

        public void Taken(int rows)
        {
            Interlocked.Add(ref _queuedRows, -rows);
            // At most one permit is kept: a waiting producer wakes, re-checks, and waits again if still full.
            if (Room.CurrentCount == 0)
            {
                try
                {
                    Room.Release();
                }
                catch (SemaphoreFullException)
                {
                    // Another signal got there first; one is enough.
                }
            }
        }
    }
}
