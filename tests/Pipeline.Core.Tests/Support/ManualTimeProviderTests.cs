namespace Pipeline.Core.Tests.Support;

public sealed class ManualTimeProviderTests
{
    [Fact]
    public void Clock_moves_only_when_advanced()
    {
        var time = new ManualTimeProvider();
        var start = time.GetTimestamp();

        Assert.Equal(ManualTimeProvider.DefaultStart, time.GetUtcNow());
        time.Advance(TimeSpan.FromMinutes(3));

        Assert.Equal(ManualTimeProvider.DefaultStart.AddMinutes(3), time.GetUtcNow());
        Assert.Equal(TimeSpan.FromMinutes(3), time.GetElapsedTime(start));
    }

    [Fact]
    public void Clock_cannot_go_back()
    {
        var time = new ManualTimeProvider();

        Assert.Throws<ArgumentOutOfRangeException>(() => time.Advance(TimeSpan.FromTicks(-1)));
        Assert.Throws<ArgumentOutOfRangeException>(() => time.SetUtcNow(ManualTimeProvider.DefaultStart.AddTicks(-1)));
    }

    [Fact]
    public void One_shot_timer_fires_once_at_its_due_time()
    {
        var time = new ManualTimeProvider();
        var firedAt = new List<DateTimeOffset>();
        using var timer = time.CreateTimer(_ => firedAt.Add(time.GetUtcNow()), null, TimeSpan.FromSeconds(10), Timeout.InfiniteTimeSpan);

        time.Advance(TimeSpan.FromSeconds(9));
        Assert.Empty(firedAt);
        time.Advance(TimeSpan.FromSeconds(30));

        Assert.Equal([ManualTimeProvider.DefaultStart.AddSeconds(10)], firedAt);
        Assert.Equal(0, time.ArmedTimers);
    }

    [Fact]
    public void Periodic_timer_fires_once_per_period_each_at_its_own_time()
    {
        var time = new ManualTimeProvider();
        var firedAt = new List<TimeSpan>();
        using var timer = time.CreateTimer(_ => firedAt.Add(time.GetUtcNow() - ManualTimeProvider.DefaultStart), null,
            TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(5));

        time.Advance(TimeSpan.FromSeconds(12));

        Assert.Equal([TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(6), TimeSpan.FromSeconds(11)], firedAt);
        Assert.Equal(ManualTimeProvider.DefaultStart.AddSeconds(12), time.GetUtcNow());
    }

    [Fact]
    public void Timers_fire_in_due_order_and_ties_in_creation_order()
    {
        var time = new ManualTimeProvider();
        var order = new List<string>();
        using var late = time.CreateTimer(_ => order.Add("late"), null, TimeSpan.FromSeconds(2), Timeout.InfiniteTimeSpan);
        using var first = time.CreateTimer(_ => order.Add("first"), null, TimeSpan.FromSeconds(1), Timeout.InfiniteTimeSpan);
        using var second = time.CreateTimer(_ => order.Add("second"), null, TimeSpan.FromSeconds(1), Timeout.InfiniteTimeSpan);

        time.Advance(TimeSpan.FromSeconds(2));

        Assert.Equal(["first", "second", "late"], order);
    }

    [Fact]
    public void Disposed_or_disarmed_timer_does_not_fire()
    {
        var time = new ManualTimeProvider();
        var fired = 0;
        var disposed = time.CreateTimer(_ => fired++, null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
        var disarmed = time.CreateTimer(_ => fired++, null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));

        disposed.Dispose();
        Assert.True(disarmed.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan));
        time.Advance(TimeSpan.FromMinutes(1));

        Assert.Equal(0, fired);
        Assert.False(disposed.Change(TimeSpan.Zero, Timeout.InfiniteTimeSpan));
        Assert.Equal(0, time.ArmedTimers);
        disarmed.Dispose();
    }

    [Fact]
    public void Change_restarts_the_due_time_from_now()
    {
        var time = new ManualTimeProvider();
        var fired = new List<TimeSpan>();
        using var timer = time.CreateTimer(_ => fired.Add(time.GetUtcNow() - ManualTimeProvider.DefaultStart), null,
            TimeSpan.FromSeconds(10), Timeout.InfiniteTimeSpan);

        time.Advance(TimeSpan.FromSeconds(8));
        timer.Change(TimeSpan.FromSeconds(10), Timeout.InfiniteTimeSpan);
        time.Advance(TimeSpan.FromSeconds(9));
        Assert.Empty(fired);
        time.Advance(TimeSpan.FromSeconds(1));

        Assert.Equal([TimeSpan.FromSeconds(18)], fired);
    }

    [Fact]
    public void Timer_due_now_fires_before_create_returns()
    {
        var time = new ManualTimeProvider();
        var fired = 0;

        using var timer = time.CreateTimer(_ => fired++, null, TimeSpan.Zero, Timeout.InfiniteTimeSpan);

        Assert.Equal(1, fired);
    }

    [Fact]
    public void Callback_may_dispose_its_own_periodic_timer()
    {
        var time = new ManualTimeProvider();
        var fired = 0;
        ITimer? timer = null;
        timer = time.CreateTimer(_ =>
        {
            if (++fired == 2) timer!.Dispose();
        }, null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));

        time.Advance(TimeSpan.FromSeconds(10));

        Assert.Equal(2, fired);
    }

    [Fact]
    public async Task Task_delay_completes_when_the_clock_passes_its_end()
    {
        var time = new ManualTimeProvider();

        var delay = Task.Delay(TimeSpan.FromSeconds(5), time);
        time.Advance(TimeSpan.FromSeconds(4));
        Assert.False(delay.IsCompleted);
        time.Advance(TimeSpan.FromSeconds(1));

        await delay.WaitAsync(TimeSpan.FromSeconds(30));
    }

    [Fact]
    public void Cancellation_source_with_a_delay_is_cancelled_by_the_clock()
    {
        var time = new ManualTimeProvider();
        using var source = new CancellationTokenSource(TimeSpan.FromSeconds(5), time);

        time.Advance(TimeSpan.FromSeconds(4));
        Assert.False(source.IsCancellationRequested);
        time.Advance(TimeSpan.FromSeconds(1));

        Assert.True(source.IsCancellationRequested);
    }

    [Fact]
    public void Exception_in_a_callback_comes_out_of_advance()
    {
        var time = new ManualTimeProvider();
        using var timer = time.CreateTimer(_ => throw new InvalidOperationException("boom"), null,
            TimeSpan.FromSeconds(1), Timeout.InfiniteTimeSpan);

        var error = Assert.Throws<InvalidOperationException>(() => time.Advance(TimeSpan.FromSeconds(2)));

        Assert.Equal("boom", error.Message);
    }
}
