using Pipeline.Core.Records;

namespace Pipeline.Core.Tests;

public sealed class RecordBroadcastTests
{
    private static readonly RecordSchema Schema = RecordSchema.Of("n");

    private static RecordBatch Batch(int from, int count) =>
        new(Schema, Enumerable.Range(from, count).Select(i => new object?[] { i }).ToArray());

    [Fact]
    public async Task The_producer_waits_once_a_queue_holds_its_limit_in_rows_though_the_depth_in_batches_has_room()
    {
        var broadcast = new RecordBroadcast("read", maxQueuedRows: 100);
        await using var reader = broadcast.Subscribe("write", queueDepth: 10).GetAsyncEnumerator();

        await broadcast.WriteAsync(Batch(0, 60));
        var second = broadcast.WriteAsync(Batch(60, 60));

        Assert.False(second.IsCompleted);
        Assert.True(await reader.MoveNextAsync());
        await second;
        Assert.True(await reader.MoveNextAsync());
        Assert.Equal(60, reader.Current.Rows[0][0]);
    }

    [Fact]
    public async Task A_batch_larger_than_the_limit_passes_through_an_empty_queue_and_the_next_one_waits()
    {
        var broadcast = new RecordBroadcast("read", maxQueuedRows: 100);
        await using var reader = broadcast.Subscribe("write", queueDepth: 10).GetAsyncEnumerator();

        var large = broadcast.WriteAsync(Batch(0, 500));
        Assert.True(large.IsCompleted);
        var next = broadcast.WriteAsync(Batch(500, 1));

        Assert.False(next.IsCompleted);
        Assert.True(await reader.MoveNextAsync());
        Assert.Equal(500, reader.Current.Count);
        await next;
    }

    [Fact]
    public async Task A_producer_waiting_for_room_goes_on_when_its_consumer_is_detached()
    {
        var broadcast = new RecordBroadcast("read", maxQueuedRows: 10);
        _ = broadcast.Subscribe("write", queueDepth: 10);
        await broadcast.WriteAsync(Batch(0, 10));
        var waiting = broadcast.WriteAsync(Batch(10, 10));
        Assert.False(waiting.IsCompleted);

        broadcast.Detach("write");

        await waiting;
        await broadcast.WriteAsync(Batch(20, 10));
        Assert.Equal(30, broadcast.Rows);
    }

    [Fact]
    public async Task Every_row_reaches_every_consumer_in_order_under_the_row_limit()
    {
        var broadcast = new RecordBroadcast("read", maxQueuedRows: 64);
        var consumers = new[] { "a", "b" }.Select(id => broadcast.Subscribe(id, queueDepth: 4)).ToArray();
        var reading = consumers.Select(c => Task.Run(async () =>
        {
            var seen = new List<int>();
            await foreach (var batch in c) seen.AddRange(batch.Rows.Select(r => (int)r[0]!));
            return seen;
        })).ToArray();

        for (var i = 0; i < 10_000; i += 50) await broadcast.WriteAsync(Batch(i, 50));
        broadcast.Complete();

        foreach (var seen in await Task.WhenAll(reading)) Assert.Equal(Enumerable.Range(0, 10_000), seen);
    }

    [Fact]
    public async Task Detaching_consumers_ends_their_streams_and_leaves_the_others_fed()
    {
        var broadcast = new RecordBroadcast("source");
        var streams = Enumerable.Range(0, 1000).Select(i => broadcast.Subscribe("c" + i, queueDepth: 2)).ToArray();
        for (var i = 0; i < 1000; i += 2) broadcast.Detach("c" + i);

        await broadcast.WriteAsync(Batch(42, 1));
        broadcast.Complete();

        for (var i = 0; i < 1000; i++)
        {
            var read = new List<RecordBatch>();
            await foreach (var batch in streams[i]) read.Add(batch);
            Assert.Equal(i % 2 == 0 ? 0 : 1, read.Count);
        }
    }

    [Fact]
    public async Task Detaching_a_consumer_that_never_subscribed_changes_nothing()
    {
        var broadcast = new RecordBroadcast("source");
        var stream = broadcast.Subscribe("reader", queueDepth: 2);

        broadcast.Detach("nobody");
        await broadcast.WriteAsync(Batch(42, 1));
        broadcast.Complete();

        var read = new List<RecordBatch>();
        await foreach (var batch in stream) read.Add(batch);
        Assert.Equal(42, Assert.Single(read).Rows[0][0]);
    }
}
