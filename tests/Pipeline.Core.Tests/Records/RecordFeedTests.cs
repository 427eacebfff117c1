using Pipeline.Core.Records;

namespace Pipeline.Core.Tests;

public sealed class RecordFeedTests
{
    [Fact]
    public async Task A_row_is_handed_over_at_once_while_the_reader_has_caught_up()
    {
        var feed = new RecordFeed(batchSize: 100);
        await using var reader = feed.Batches.GetAsyncEnumerator();

        await feed.AddAsync(["n"], [1]);

        Assert.True(await reader.MoveNextAsync());
        Assert.Equal(1, reader.Current.Count);
    }

    [Fact]
    public async Task Rows_gather_into_batches_while_the_reader_is_behind_and_none_is_lost()
    {
        var feed = new RecordFeed(batchSize: 10, queueDepth: 2);
        var read = new List<int>();
        var batches = 0;
        var reading = Task.Run(async () =>
        {
            await foreach (var batch in feed.Batches)
            {
                batches++;
                read.AddRange(batch.Rows.Select(r => (int)r[0]!));
            }
        });

        for (var i = 0; i < 1000; i++) await feed.AddAsync(["n"], [i]);
        await feed.CompleteAsync();
        await reading;

        Assert.Equal(Enumerable.Range(0, 1000), read);
        Assert.True(batches < 1000, $"{batches} batches for 1000 rows");
    }

    [Fact]
    public async Task Adding_waits_while_the_queue_is_full()
    {
        var feed = new RecordFeed(batchSize: 1, queueDepth: 1);
        await feed.AddAsync(["n"], [1]);

        var second = feed.AddAsync(["n"], [2]);

        Assert.False(second.IsCompleted);
        await using var reader = feed.Batches.GetAsyncEnumerator();
        Assert.True(await reader.MoveNextAsync());
        await second;
    }

    [Fact]
    public async Task An_abandoned_feed_accepts_rows_without_waiting()
    {
        var feed = new RecordFeed(batchSize: 1, queueDepth: 1);
        feed.Abandon();

        for (var i = 0; i < 10; i++) await feed.AddAsync(["n"], [i]);

        Assert.Equal(10, feed.RowCount);
    }
}
