namespace OrleansDynamo.Simulation.World;

/// <summary>
/// A place where simulated code runs (one per silo incarnation, one per client, one for the network
/// and the nemesis). Every await inside it posts its continuation back here, so all work enters the
/// scheduler's single FIFO queue. A killed context drops its work (a crashed process runs nothing
/// more); a paused one keeps its work aside until resumed (a stopped process).
/// </summary>
public sealed class SimContext : SynchronizationContext
{
    private readonly SimScheduler _scheduler;

    internal SimContext(SimScheduler scheduler, string name)
    {
        _scheduler = scheduler;
        Name = name;
    }

    public string Name { get; }

    /// <summary>The scheduler this context posts to (its clock times simulated I/O).</summary>
    internal SimScheduler Scheduler => _scheduler;

    public bool Alive { get; private set; } = true;

    public bool Paused { get; private set; }

    internal Queue<(SendOrPostCallback Callback, object? State)> Held { get; } = new();

    public void Kill()
    {
        Alive = false;
        Held.Clear();
    }

    public void Pause() => Paused = true;

    public void Resume()
    {
        Paused = false;
        while (Held.Count > 0)
        {
            var (callback, state) = Held.Dequeue();
            _scheduler.Enqueue(this, callback, state);
        }
    }

    public override void Post(SendOrPostCallback d, object? state) => _scheduler.Enqueue(this, d, state);

    public override void Send(SendOrPostCallback d, object? state) =>
        throw new NotSupportedException("synchronous Send would block the simulation's only thread");

    public override SynchronizationContext CreateCopy() => this;

    public override string ToString() => Name;
}
