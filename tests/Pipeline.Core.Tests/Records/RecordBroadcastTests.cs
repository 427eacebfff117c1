using Pipeline.Core.Records;

namespace Pipeline.Core.Tests;

public sealed class RecordBroadcastTests
{
    private static RecordBatch Batch(int value) => new(new RecordSchema([new RecordField("n", FieldType.Integer)]), [[(long)value]]);

    [Fact]
    public async Task Detaching_consumers_ends_their_streams_and_leaves_the_others_fed()
    {
        var broadcast = new RecordBroadcast("source");
        var streams = Enumerable.Range(0, 1000).Select(i => broadcast.Subscribe("c" + i, queueDepth: 2)).ToArray();
        for (var i = 0; i < 1000; i += 2) broadcast.Detach("c" + i);

        await broadcast.WriteAsync(Batch(42));
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
        await broadcast.WriteAsync(Batch(42));
        broadcast.Complete();

        var read = new List<RecordBatch>();
        await foreach (var batch in stream) read.Add(batch);
        Assert.Equal(42L, Assert.Single(read).Rows[0][0]);
    }
}
