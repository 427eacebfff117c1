namespace Pipeline.Core.Tests.Support;

/// <summary>
/// A clock for tests: time moves only when the test moves it (<see cref="Advance"/>, <see cref="SetUtcNow"/>).
/// Timers made by <see cref="CreateTimer"/> (and so <c>Task.Delay(t, provider)</c>,
/// <c>new CancellationTokenSource(t, provider)</c>, Polly delays...) fire synchronously on the thread that moves the
/// clock, in order of due time, each with the clock set to its own due time; a periodic timer fires once per period
/// passed. A timer created or changed with a due time of zero fires at once, before <c>CreateTimer</c> or
/// <c>Change</c> returns (as a real timer would fire right away). An exception thrown by a callback comes out of the
/// call that moved the clock.
/// </summary>
public sealed class ManualTimeProvider : TimeProvider
{
    /// <summary>Where a new clock starts unless told otherwise: 2026-01-01 00:00 UTC.</summary>
    public static readonly DateTimeOffset DefaultStart = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private readonly object _gate = new();
    private readonly List<ManualTimer> _timers = [];
    private readonly TimeZoneInfo _localTimeZone;
    private DateTimeOffset _now;
    private long _nextSequence;

    /// <summary>A clock at <paramref name="start"/> (default <see cref="DefaultStart"/>) in a local time zone (default UTC).</summary>
    public ManualTimeProvider(DateTimeOffset? start = null, TimeZoneInfo? localTimeZone = null)
    {
        _now = start ?? DefaultStart;
        _localTimeZone = localTimeZone ?? TimeZoneInfo.Utc;
    }

    /// <inheritdoc />
    public override DateTimeOffset GetUtcNow()
    {
        lock (_gate) return _now;
    }

    /// <inheritdoc />
    public override TimeZoneInfo LocalTimeZone => _localTimeZone;

    /// <inheritdoc />
    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    /// <inheritdoc />
    public override long GetTimestamp()
    {
        lock (_gate) return _now.UtcTicks;
    }

    /// <summary>How many timers are armed (created or changed to a due time, and not yet fired for good or disposed).</summary>
    public int ArmedTimers
    {
        get
        {
            lock (_gate) return _timers.Count;
        }
    }

    /// <summary>Waits (in real time, up to <paramref name="timeout"/>) until the code under test has armed at least
    /// <paramref name="count"/> timers: the way a test knows a retry delay or a timeout is waiting for the clock.</summary>
    public async Task WaitForTimersAsync(int count = 1, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (ArmedTimers < count)
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"Fewer than {count} timer(s) were armed.");
            await Task.Delay(5);
        }
    }

    /// <summary>Moves the clock forward, firing every timer that falls due on the way.</summary>
    public void Advance(TimeSpan delta)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(delta, TimeSpan.Zero);
        DateTimeOffset target;
        lock (_gate) target = _now + delta;
        MoveTo(target);
    }

    /// <summary>Sets the clock to a time not before now, firing every timer that falls due on the way.</summary>
    public void SetUtcNow(DateTimeOffset time)
    {
        lock (_gate)
        {
            if (time < _now)
            {
                throw new ArgumentOutOfRangeException(nameof(time), time, $"The clock cannot go back (it is at {_now:O}).");
            }
        }
        MoveTo(time);
    }

    /// <inheritdoc />
    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        ArgumentNullException.ThrowIfNull(callback);
        var timer = new ManualTimer(this, callback, state);
        timer.Change(dueTime, period);
        return timer;
    }

    private void MoveTo(DateTimeOffset target)
    {
        while (true)
        {
            ManualTimer? next = null;
            lock (_gate)
            {
                foreach (var timer in _timers)
                {
                    if (timer.DueAt <= target &&
                        (next is null || timer.DueAt < next.DueAt || (timer.DueAt == next.DueAt && timer.Sequence < next.Sequence)))
                    {
                        next = timer;
                    }
                }
                if (next is null)
                {
                    if (target > _now) _now = target;
                    return;
                }
                if (next.DueAt > _now) _now = next.DueAt;
                Rearm(next);
            }
            next.Fire();
        }
    }

    // Under _gate: a periodic timer moves to its next due time, a one-shot timer is disarmed, before the callback runs
    // (so the callback may change or dispose it).
    private void Rearm(ManualTimer timer)
    {
        if (timer.Period > TimeSpan.Zero)
        {
            timer.DueAt += timer.Period;
            timer.Sequence = _nextSequence++;
        }
        else
        {
            _timers.Remove(timer);
        }
    }

    private static void Validate(TimeSpan time, string name)
    {
        if (time < TimeSpan.Zero && time != Timeout.InfiniteTimeSpan)
        {
            throw new ArgumentOutOfRangeException(name, time, "A timer's time must be zero or more, or infinite.");
        }
    }

    private sealed class ManualTimer(ManualTimeProvider owner, TimerCallback callback, object? state) : ITimer
    {
        private bool _disposed;

        public DateTimeOffset DueAt { get; set; }

        public TimeSpan Period { get; private set; }

        public long Sequence { get; set; }

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            Validate(dueTime, nameof(dueTime));
            Validate(period, nameof(period));
            bool fireNow;
            lock (owner._gate)
            {
                if (_disposed) return false;
                owner._timers.Remove(this);
                if (dueTime == Timeout.InfiniteTimeSpan) return true;
                Period = period == Timeout.InfiniteTimeSpan ? TimeSpan.Zero : period;
                DueAt = owner._now + dueTime;
                Sequence = owner._nextSequence++;
                owner._timers.Add(this);
                fireNow = dueTime == TimeSpan.Zero;
                if (fireNow) owner.Rearm(this);
            }
            if (fireNow) Fire();
            return true;
        }

        public void Fire() => callback(state);

        public void Dispose()
        {
            lock (owner._gate)
            {
                _disposed = true;
                owner._timers.Remove(this);
            }
        }

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
