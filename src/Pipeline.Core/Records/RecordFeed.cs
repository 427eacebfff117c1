using System.Threading.Channels;

namespace Pipeline.Core.Records;

/// <summary>
/// Records a host pushes one at a time (objects piped into <c>Invoke-Pipeline</c>) that the engine reads as the
/// pipeline's input (<see cref="Execution.RunRequest.Input"/>). Rows are batched, but a batch is handed over early
/// whenever the reader has caught up, so that a slow source is not held back waiting for a full batch. The queue
/// is bounded: <see cref="AddAsync"/> waits while the reader is behind.
/// </summary>
public sealed class RecordFeed
{
    private readonly Channel<RecordBatch> _channel;
    private readonly RecordAssembler _assembler;

    /// <summary>Creates a feed of batches of up to <paramref name="batchSize"/> rows, at most
    /// <paramref name="queueDepth"/> batches ahead of the reader.</summary>
    public RecordFeed(int batchSize = 256, int queueDepth = 4)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(queueDepth, 1);
        _assembler = new RecordAssembler(batchSize);
        _channel = Channel.CreateBounded<RecordBatch>(new BoundedChannelOptions(queueDepth)
        {
            SingleReader = true,
            SingleWriter = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
    }

    /// <summary>The batches, for the engine to read once.</summary>
    public IAsyncEnumerable<RecordBatch> Batches => _channel.Reader.ReadAllAsync();

    /// <summary>Rows added in all.</summary>
    public long RowCount => _assembler.RowCount;

    /// <summary>Adds a row; completes when the row is accepted (at once unless a batch must wait for room).</summary>
    public ValueTask AddAsync(IReadOnlyList<string> names, IReadOnlyList<object?> values, CancellationToken cancellationToken = default)
    {
        _assembler.Add(names, values);
        if (_channel.Reader.Count == 0) _assembler.Flush();
        return WriteReadyAsync(cancellationToken);
    }

    /// <summary>Hands over the rows still held and ends the input.</summary>
    public async ValueTask CompleteAsync(CancellationToken cancellationToken = default)
    {
        _assembler.Flush();
        await WriteReadyAsync(cancellationToken).ConfigureAwait(false);
        _channel.Writer.TryComplete();
    }

    /// <summary>Ends the input at once, dropping what was not handed over (the run ended or failed).</summary>
    public void Abandon() => _channel.Writer.TryComplete();

    private ValueTask WriteReadyAsync(CancellationToken cancellationToken)
    {
        while (_assembler.TryTake(out var batch))
        {
            if (_channel.Writer.TryWrite(batch)) continue;
            return WriteSlowAsync(batch, cancellationToken);
        }
        return ValueTask.CompletedTask;
    }

    private async ValueTask WriteSlowAsync(RecordBatch batch, CancellationToken cancellationToken)
    {
        try
        {
            await _channel.Writer.WriteAsync(batch, cancellationToken).ConfigureAwait(false);
        }
        catch (ChannelClosedException)
        {
            return; // abandoned: the run no longer reads its input
        }
        while (_assembler.TryTake(out var next))
        {
            try
            {
                await _channel.Writer.WriteAsync(next, cancellationToken).ConfigureAwait(false);
            }
            catch (ChannelClosedException)
            {
                return;
            }
        }
    }
}
