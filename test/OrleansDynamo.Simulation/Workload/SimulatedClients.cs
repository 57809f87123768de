using OrleansDynamo.Simulation.World;

namespace OrleansDynamo.Simulation.Workload;

/// <summary>A workload's clients: each runs on its own scheduler context until the load ends.</summary>
public abstract class SimulatedClients(SimulatedCluster cluster, int clients, string name)
{
    private int _running;

    protected SimulatedCluster Cluster { get; } = cluster;

    public bool Finished => _running == 0;

    /// <summary>Starts every client; each stops issuing operations at <paramref name="until"/>.</summary>
    public void Start(DateTimeOffset until)
    {
        for (int c = 0; c < clients; c++)
        {
            int client = c;
            var context = Cluster.Scheduler.CreateContext(name + c);
            _running++;
            Cluster.Scheduler.Spawn(context, async () =>
            {
                try
                {
                    await RunClientAsync(client, until);
                }
                finally
                {
                    _running--;
                }
            });
        }
    }

    protected abstract Task RunClientAsync(int client, DateTimeOffset until);
}
