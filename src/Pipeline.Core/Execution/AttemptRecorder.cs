using System.Threading.Channels;
using Pipeline.Core.State;

namespace Pipeline.Core.Execution;

/// <summary>
/// Writes step attempts to the run store from one background task, several per transaction, so that recording
/// history does not add a database round trip to every step. <see cref="CompleteAsync"/> waits until every
/// record is written and rethrows a failure to write.
/// </summary>
internal sealed class AttemptRecorder
{
    private readonly IRunStore? _store;
    private readonly Channel<StepAttemptRecord> _queue = Channel.CreateUnbounded<StepAttemptRecord>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Task _writer;

    public AttemptRecorder(IRunStore? store)
    {
        _store = store;
        _writer = store is null ? Task.CompletedTask : Task.Run(WriteAsync);
    }

    public void Add(StepAttemptRecord attempt)
    {
        if (_store is not null) _queue.Writer.TryWrite(attempt);
    }

    public async Task CompleteAsync()
    {
        _queue.Writer.TryComplete();
        await _writer.ConfigureAwait(false);
    }

    private async Task WriteAsync()
    {
        var batch = new List<StepAttemptRecord>();
        while (await _queue.Reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (batch.Count < 500 && _queue.Reader.TryRead(out var attempt)) batch.Add(attempt);
            await _store!.RecordAttemptsAsync(batch, CancellationToken.None).ConfigureAwait(false);
            batch.Clear();
        }
    }
}
