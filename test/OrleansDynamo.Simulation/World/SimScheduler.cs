namespace OrleansDynamo.Simulation.World;

/// <summary>
/// The simulation's only executor: one FIFO run queue drained on the thread that runs the
/// simulation; when it is empty, simulated time jumps to the next timer, which is fired. Work posted
/// from any other thread means something escaped to the thread pool; it is counted as a
/// determinism violation (and still run, so the run can finish and report it).
/// </summary>
public sealed class SimScheduler
{
    private readonly object _lock = new();
    private readonly Queue<(SimContext Context, SendOrPostCallback Callback, object? State)> _queue = new();
    private readonly int _thread;
    private readonly List<string> _escapes = [];

    public SimScheduler(DateTimeOffset start)
    {
        _thread = Environment.CurrentManagedThreadId;
        Time = new SimulatedTime(this, start);
        World = CreateContext("world");
    }

    public SimulatedTime Time { get; }

    /// <summary>The network's and the harness's context; never killed.</summary>
    public SimContext World { get; }

    /// <summary>Callbacks run so far.</summary>
    public long Steps { get; private set; }

    /// <summary>Callbacks dropped because their context was killed (a crashed silo).</summary>
    public long Dropped { get; private set; }

    /// <summary>Work that reached the scheduler from a thread other than the simulation's (must stay empty).</summary>
    public IReadOnlyList<string> Escapes
    {
        get { lock (_lock) return _escapes.ToList(); }
    }

    /// <summary>Exceptions thrown by callbacks (timer callbacks, posted work); each fails the run.</summary>
    public List<Exception> Faults { get; } = [];

    public SimContext CreateContext(string name) => new(this, name);

    public bool OnSimulationThread => Environment.CurrentManagedThreadId == _thread;

    /// <summary>Records an escape when called from outside the simulation thread.</summary>
    public void CheckThread(string what)
    {
        if (OnSimulationThread) return;
        lock (_lock)
        {
            if (_escapes.Count < 20) _escapes.Add($"{what} on thread {Environment.CurrentManagedThreadId}: {Environment.StackTrace}");
        }
    }

    internal void Enqueue(SimContext context, SendOrPostCallback callback, object? state)
    {
        // A post from another thread is a thread-pool hop coming home (counted by the loop); only
        // simulated code running off the simulation thread (timers, store, network) is an escape.
        lock (_lock) _queue.Enqueue((context, callback, state));
    }

    /// <summary>Runs <paramref name="work"/> inside <paramref name="context"/> (its awaits come back there).</summary>
    public void Spawn(SimContext context, Func<Task> work) => context.Post(static s =>
    {
        var (self, w) = ((SimScheduler, Func<Task>))s!;
        var task = w();
        if (!task.IsCompleted) _ = self.ObserveAsync(task);
        else if (task.IsFaulted) self.Faults.Add(task.Exception!.GetBaseException());
    }, (this, work));

    private async Task ObserveAsync(Task task)
    {
        try
        {
            await task;
        }
        catch (Exception e)
        {
            Faults.Add(e);
        }
    }

    /// <summary>
    /// Runs queued work and fires timers in due order until <paramref name="until"/> holds (checked
    /// whenever the queue is empty) or simulated time reaches <paramref name="deadline"/>.
    /// </summary>
    public bool RunUntil(Func<bool> until, DateTimeOffset deadline, long maxSteps = 200_000_000)
    {
        var saved = SynchronizationContext.Current;
        try
        {
            while (true)
            {
                Drain(maxSteps);
                if (WaitForThreadPoolHops()) continue;
                if (until()) return true;
                if (!Time.FireNext(deadline)) return until();
            }
        }
        finally
        {
            SynchronizationContext.SetSynchronizationContext(saved);
        }
    }

    /// <summary>Runs for <paramref name="span"/> of simulated time.</summary>
    public void RunFor(TimeSpan span)
    {
        var end = Time.GetUtcNow() + span;
        RunUntil(() => false, end);
    }

    /// <summary>Continuations that reached the queue from a thread-pool hop (see <see cref="WaitForThreadPoolHops"/>).</summary>
    public long Hops { get; private set; }

    /// <summary>Times the wait for the thread pool to go quiet gave up (a hop might then land late: nondeterminism).</summary>
    public long QuiescenceTimeouts { get; private set; }

    /// <summary>
    /// Some framework code completes a task through the thread pool even though every continuation of
    /// ours comes back to a <see cref="SimContext"/>: a contended <c>SemaphoreSlim.WaitAsync(token)</c>
    /// or <c>task.WaitAsync(token)</c> on a task that runs its continuations asynchronously hops
    /// through a pool thread, which then posts here. Before time moves on, wait until the pool is idle
    /// (nothing queued, no worker busy), so such a hop always lands before the next timer: the order
    /// of work stays a function of the seed. Returns true when work arrived meanwhile.
    /// </summary>
    private bool WaitForThreadPoolHops()
    {
        int self = Thread.CurrentThread.IsThreadPoolThread ? 1 : 0;
        long giveUp = 0;
        var spin = new SpinWait();
        while (true)
        {
            lock (_lock)
            {
                if (_queue.Count > 0)
                {
                    Hops++;
                    return true;
                }
            }
            ThreadPool.GetAvailableThreads(out int available, out _);
            ThreadPool.GetMaxThreads(out int max, out _);
            int others = max - available - self;
            int idle = Volatile.Read(ref s_idleOthers);
            if (others < idle) Interlocked.CompareExchange(ref s_idleOthers, others, idle);
            if (ThreadPool.PendingWorkItemCount == 0 && others <= Volatile.Read(ref s_idleOthers)) return false;
            if (giveUp == 0) giveUp = System.Diagnostics.Stopwatch.GetTimestamp() + System.Diagnostics.Stopwatch.Frequency / 4;
            else if (System.Diagnostics.Stopwatch.GetTimestamp() > giveUp)
            {
                // Some other pool thread stays busy (the test host blocks a few): that is the new idle level.
                QuiescenceTimeouts++;
                Volatile.Write(ref s_idleOthers, others);
                return false;
            }
            spin.SpinOnce(sleep1Threshold: -1);
        }
    }

    /// <summary>
    /// Pool threads busy when nothing of ours is in flight (the test host keeps a few blocked): the
    /// lowest count seen in this process, raised again when a wait for quiet times out. Shared by
    /// all simulations in the process on purpose: it describes the process, not a run.
    /// </summary>
    private static int s_idleOthers = int.MaxValue;

    private void Drain(long maxSteps)
    {
        while (true)
        {
            (SimContext Context, SendOrPostCallback Callback, object? State) item;
            lock (_lock)
            {
                if (!_queue.TryDequeue(out item)) return;
            }
            if (!item.Context.Alive)
            {
                Dropped++;
                continue;
            }
            if (item.Context.Paused)
            {
                item.Context.Held.Enqueue((item.Callback, item.State));
                continue;
            }
            if (++Steps > maxSteps) throw new InvalidOperationException($"the simulation ran more than {maxSteps} steps: livelock?");
            SynchronizationContext.SetSynchronizationContext(item.Context);
            try
            {
                item.Callback(item.State);
            }
            catch (Exception e)
            {
                Faults.Add(e);
            }
            SynchronizationContext.SetSynchronizationContext(null);
        }
    }
}
