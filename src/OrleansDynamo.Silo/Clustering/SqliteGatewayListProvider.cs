using Orleans;
using Orleans.Messaging;
using Orleans.Runtime;

namespace OrleansDynamo.Silo.Clustering;

/// <summary>
/// The client's view of the SQLite membership table: the gateway (client) endpoints of the silos
/// that are Active and accept clients. Orleans' client re-reads it every <see cref="MaxStaleness"/>.
/// </summary>
public sealed class SqliteGatewayListProvider : IGatewayListProvider
{
    private readonly SqliteMembershipTable _table;

    public SqliteGatewayListProvider(SqliteMembershipTable table, TimeSpan refreshPeriod)
    {
        ArgumentNullException.ThrowIfNull(table);
        if (refreshPeriod <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(refreshPeriod), refreshPeriod, "must be positive");
        _table = table;
        MaxStaleness = refreshPeriod;
    }

    public TimeSpan MaxStaleness { get; }

    [Obsolete("Orleans no longer reads this; every provider is considered updatable")]
    public bool IsUpdatable => true;

    public Task InitializeGatewayListProviderAsync(CancellationToken cancellationToken = default) =>
        _table.InitializeMembershipTableAsync(tryInitTableVersion: false, cancellationToken);

    public async Task<IList<Uri>> GetGatewaysAsync(CancellationToken cancellationToken = default)
    {
        var data = await _table.ReadAllAsync(cancellationToken);
        return data.Members
            .Select(row => row.Item1)
            .Where(entry => entry.Status == SiloStatus.Active && entry.ProxyPort != 0)
            .Select(entry => SiloAddress.New(entry.SiloAddress.Endpoint.Address, entry.ProxyPort, entry.SiloAddress.Generation).ToGatewayUri())
            .ToList();
    }

    public Task InitializeGatewayListProvider() => InitializeGatewayListProviderAsync();

    public Task<IList<Uri>> GetGateways() => GetGatewaysAsync();
}
