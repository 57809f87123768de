namespace OrleansDynamo.Simulation.World;

/// <summary>
/// A clock that moves only when the scheduler fires the next timer. Timers wait in a priority queue
/// ordered by due time, then creation order; a due timer's callback is posted to the context that
/// created it (a killed context's timers never fire). <see cref="PeriodicTimer"/>,
/// <c>new CancellationTokenSource(delay, time)</c> and <c>Task.Delay(d, time)</c> all come through
/// <see cref="CreateTimer"/>.
/// </summary>
public sealed class SimulatedTime : TimeProvider
{
    private readonly SimScheduler _scheduler;
    private readonly DateTimeOffset _start;
    private readonly PriorityQueue<Entry, (long Due, long Seq)> _timers = new();
    private long _now;
    private long _seq;

    internal SimulatedTime(SimScheduler scheduler, DateTimeOffset start)
    {
        _scheduler = scheduler;
        _start = start;
    }

    public TimeSpan Elapsed => TimeSpan.FromTicks(_now);

    public override DateTimeOffset GetUtcNow() => _start + TimeSpan.FromTicks(_now);

    public override long GetTimestamp() => _now;

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    public override TimeZoneInfo LocalTimeZone => TimeZoneInfo.Utc;

    public int PendingTimers => _timers.Count;

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        _scheduler.CheckThread("CreateTimer");
        var owner = SynchronizationContext.Current as SimContext ?? _scheduler.World;
        var timer = new SimTimer(this, owner, callback, state);
        timer.Change(dueTime, period);
        return timer;
    }

    /// <summary>Runs <paramref name="action"/> in <paramref name="context"/> after <paramref name="delay"/>.</summary>
    public void Schedule(TimeSpan delay, SimContext context, Action action)
    {
        var timer = new SimTimer(this, context, static s => ((Action)s!)(), action);
        timer.Change(delay, Timeout.InfiniteTimeSpan);
    }

    private void Arm(SimTimer timer, long version, TimeSpan due)
    {
        long at = _now + Math.Max(0, due.Ticks);
        _timers.Enqueue(new Entry(timer, version), (at, ++_seq));
    }

    /// <summary>Moves time to the next live timer (if due before <paramref name="deadline"/>) and posts it.</summary>
    internal bool FireNext(DateTimeOffset deadline)
    {
        long limit = (deadline - _start).Ticks;
        while (_timers.TryPeek(out var entry, out var key))
        {
            if (entry.Timer.Version != entry.Version || !entry.Timer.Owner.Alive)
            {
                _timers.Dequeue();
                continue;
            }
            if (key.Due > limit) break;
            _timers.Dequeue();
            _now = Math.Max(_now, key.Due);
            entry.Timer.Fire();
            return true;
        }
        _now = Math.Max(_now, limit);
        return false;
    }

    private readonly record struct Entry(SimTimer Timer, long Version);

    private sealed class SimTimer(SimulatedTime time, SimContext owner, TimerCallback callback, object? state) : ITimer
    {
        private TimeSpan _period = Timeout.InfiniteTimeSpan;

        public SimContext Owner { get; } = owner;

        public long Version { get; private set; }

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            time._scheduler.CheckThread("ITimer.Change");
            Version++;
            _period = period;
            if (dueTime != Timeout.InfiniteTimeSpan) time.Arm(this, Version, dueTime);
            return true;
        }

        public void Fire()
        {
            long version = Version;
            if (_period != Timeout.InfiniteTimeSpan && _period > TimeSpan.Zero) time.Arm(this, version, _period);
            Owner.Post(_ =>
            {
                // A timer changed or disposed after it was due but before its turn does not fire.
                if (Version == version) callback(state);
            }, null);
        }

        public void Dispose() => Version++;

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
