using Pipeline.PowerShell.Hosting;

namespace Pipeline.PowerShell.Tests.Hosting;

public sealed class SleepingQueueTests
{
    [Fact]
    public void Items_come_out_in_the_order_they_went_in()
    {
        var queue = new SleepingQueue<int>();
        queue.Add(1);
        queue.Add(2);
        queue.Add(3);
        queue.CompleteAdding();

        Assert.Equal([1, 2, 3], queue.GetConsumingEnumerable());
    }

    [Fact]
    public async Task A_waiting_reader_wakes_for_an_item_added_from_another_thread()
    {
        var queue = new SleepingQueue<string>();
        var reader = Task.Run(() => queue.Take(out var item) ? item : null);

        queue.Add("script");

        Assert.Equal("script", await reader.WaitAsync(TimeSpan.FromMinutes(1)));
    }

    [Fact]
    public async Task Completing_ends_the_readers_enumeration_after_the_items_left()
    {
        var queue = new SleepingQueue<int>();
        var reader = Task.Run(() => queue.GetConsumingEnumerable().ToList());
        queue.Add(7);

        queue.CompleteAdding();

        Assert.Equal([7], await reader.WaitAsync(TimeSpan.FromMinutes(1)));
        Assert.False(queue.TryTake(out _));
    }

    [Fact]
    public void Adding_to_a_completed_queue_is_refused()
    {
        var queue = new SleepingQueue<int>();
        queue.CompleteAdding();

        Assert.Throws<InvalidOperationException>(() => queue.Add(1));
    }
}
