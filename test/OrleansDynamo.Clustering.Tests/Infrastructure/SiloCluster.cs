using Orleans.Runtime;
using OrleansDynamo.Clustering.Tests.Grains;
using OrleansDynamo.Silo.Clustering;

namespace OrleansDynamo.Clustering.Tests.Infrastructure;

/// <summary>
/// N in-process Orleans silos named silo-0..silo-(N-1), each with its own silo and gateway port picked
/// once (a restarted silo comes back on the same ports), all clustered through one <see cref="ClusteringOptions"/>.
/// </summary>
internal sealed class SiloCluster : IAsyncDisposable
{
    private readonly ClusteringOptions _clustering;
    private readonly TestSilo?[] _silos;
    private readonly SiloEndpoints[] _endpoints;

    public SiloCluster(ClusteringOptions clustering, int size)
    {
        _clustering = clustering;
        Identity = new ClusterIdentity("cluster-" + Guid.NewGuid().ToString("N")[..8], "service-" + Guid.NewGuid().ToString("N")[..8]);
        _silos = new TestSilo?[size];
        var ports = FreePorts.Take(2 * size);
        _endpoints = Enumerable.Range(0, size).Select(i => new SiloEndpoints(ports[2 * i], ports[2 * i + 1])).ToArray();
    }

    public ClusterIdentity Identity { get; }

    public ReminderTickLog Ticks { get; } = new();

    public static string NameOf(int index) => $"silo-{index}";

    public TestSilo this[int index] => _silos[index] ?? throw new InvalidOperationException($"{NameOf(index)} is not running");

    public IReadOnlyList<TestSilo> Running => _silos.Where(s => s is { IsRunning: true }).Select(s => s!).ToList();

    public Task StartAllAsync() => Task.WhenAll(Enumerable.Range(0, _silos.Length).Select(StartAsync));

    public async Task<TestSilo> StartAsync(int index)
    {
        if (_silos[index] is { IsRunning: true }) throw new InvalidOperationException($"{NameOf(index)} is already running");
        var silo = await TestSilo.StartAsync(NameOf(index), _clustering, Identity, _endpoints[index], Ticks);
        _silos[index] = silo;
        return silo;
    }

    /// <summary>Stops a silo with an already-cancelled token (Orleans TestingHost's kill); returns the address (incarnation) that died.</summary>
    public async Task<SiloAddress> KillAsync(int index)
    {
        var silo = this[index];
        await silo.KillAsync();
        return silo.Address;
    }

    /// <summary>Waits until every running silo sees every running silo (its current incarnation) as Active, and no other silo as Active.</summary>
    public Task<TimeSpan> WaitUntilAllActiveAsync(TimeSpan timeout) =>
        Eventually.Until("every running silo to see exactly the running silos as Active", timeout, () =>
        {
            var running = Running;
            var expected = running.Select(s => s.Address).ToHashSet();
            foreach (var observer in running)
            {
                var active = observer.Membership.Members.Values.Where(m => m.Status == SiloStatus.Active).Select(m => m.SiloAddress).ToHashSet();
                if (!active.SetEquals(expected))
                    return $"{observer.Name} sees Active [{string.Join(", ", active)}], expected [{string.Join(", ", expected)}]";
            }
            return null;
        });

    /// <summary>Waits until every running silo's membership says <paramref name="dead"/> is Dead.</summary>
    public Task<TimeSpan> WaitUntilDeclaredDeadAsync(SiloAddress dead, TimeSpan timeout) =>
        Eventually.Until($"every running silo to see {dead} as Dead", timeout, () =>
        {
            foreach (var observer in Running)
            {
                var status = observer.Membership.GetSiloStatus(dead);
                if (status != SiloStatus.Dead) return $"{observer.Name} sees it {status}";
            }
            return null;
        });

    public async ValueTask DisposeAsync()
    {
        // Stop in parallel: a graceful stop waits for the others to acknowledge the departure.
        await Task.WhenAll(_silos.Where(s => s is not null).Select(s => s!.DisposeAsync().AsTask()));
    }
}
