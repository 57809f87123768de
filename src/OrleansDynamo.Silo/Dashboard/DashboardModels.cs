using System.Text.Json.Serialization;
using OrleansDynamo.Silo.Diagnostics;

namespace OrleansDynamo.Silo.Dashboard;

/// <summary>The HTTP routes of the dashboard and its JSON API, one place.</summary>
public static class DashboardRoutes
{
    public const string Page = "/";
    public const string Assets = "/dashboard/{file}";
    public const string Cluster = "/api/cluster";
    public const string Ring = "/api/ring";
    public const string Stats = "/api/stats";
    public const string RawStats = "/api/stats?scope=raw";
    public const string Partitions = "/api/partitions";
    public const string LocalPartitions = "/api/partitions?scope=silo";
    public const string Hints = "/api/hints";
    public const string LocalHints = "/api/hints?scope=silo";
    public const string Key = "/api/key";
    public const string Transfers = "/api/transfers";
    public const string ApiFallback = "/api/{**path}";
    /// <summary>The Orleans dashboard (Microsoft.Orleans.Dashboard): grains, activations, calls, silo CPU and memory.</summary>
    public const string Orleans = "/orleans";
}

/// <summary>
/// /api/transfers: every active silo's part in the ring change under way (asked by the serving silo) and every transfer
/// started; <paramref name="Complete"/> when every silo that answered has nothing to send or receive (one that did not
/// answer is listed with answered false and does not count).
/// </summary>
public sealed record TransfersView(string Self, Diagnostics.SiloTransfers[] Silos, Diagnostics.TransferProgress[] Transfers, bool Complete);

/// <summary>
/// /api/cluster: the silos as the serving silo sees them, and the cluster's load balance. <see cref="Processes"/>: each
/// silo's process (uptime, version, CPU, memory, GC), for the serving silo and the peers that answered;
/// <see cref="OrleansDashboard"/>: the path of the Orleans dashboard, null when it is off.
/// </summary>
public sealed record ClusterView(
    string Self, string ClusterName, long MembershipVersion, int PartitionCount, int PageRefreshMs,
    SiloView[] Silos, LoadBalanceView LoadBalance, BucketView[] Buckets,
    IReadOnlyDictionary<string, ProcessStats>? Processes = null, string? OrleansDashboard = null);

/// <summary>
/// One silo. <see cref="Status"/> is the serving silo's judgement (up, unreachable, leaving, left);
/// <see cref="Partitions"/> the ring positions it owns, <see cref="Replicas"/> the partitions it
/// holds a replica of (N of the default bucket); <see cref="LoadPerSecond"/> every request it handled per second over
/// the stats window, <see cref="CoordinatedPerSecond"/> those it coordinated and <see cref="ReplicaPerSecond"/> those it
/// served as a replica (null when not heard from). With N equal to the number of silos every silo is a replica of every
/// key, so the totals are alike and the coordinated share is where they differ.
/// </summary>
public sealed record SiloView(
    string Name, string Address, string? HttpAddress, string? Zone, string Status, bool IsSelf,
    int Partitions, int Replicas, double? LoadPerSecond, bool? OutOfBalance,
    double? CoordinatedPerSecond = null, double? ReplicaPerSecond = null);

/// <summary>
/// The paper's load-balance metric over the silos whose load is known, and what it means now (<see cref="State"/>:
/// balanced, idle, recovering or unbalanced; <see cref="Reason"/> says why for idle and recovering, see
/// <see cref="MetricsStatsBuilder.BalanceState"/>).
/// </summary>
public sealed record LoadBalanceView(double MeanLoadPerSecond, double Threshold, double OutOfBalanceFraction, int SilosMeasured,
    string State = "balanced", string? Reason = null);

public sealed record BucketView(string Name, int N, int R, int W, string Policy);

/// <summary>/api/ring: the owner of each of the Q equal partitions, as an index into <see cref="Silos"/>.</summary>
public sealed record RingView(long Version, int PartitionCount, int N, string[] Silos, int[] Owners);

/// <summary>One partition: its preference list and fallbacks, keys and bytes on each replica that answered.</summary>
public sealed record PartitionView(
    int Partition, string[] PreferenceList, string[] Fallbacks, Dictionary<string, long> Keys, Dictionary<string, long> Bytes, DateTimeOffset? LastExchange);

public sealed record PartitionsView(string Silo, string Scope, int N, string[] Silos, string[] Missing, PartitionView[] Partitions);

/// <summary>One silo's own key counts, as peers send them for the cluster view.</summary>
public sealed record LocalPartitionsView(string Silo, LocalPartition[] Partitions);

public sealed record LocalPartition(int Partition, long Keys, long Bytes);

/// <summary>/api/hints: hints waiting on each silo per target, and the hint counters.</summary>
public sealed record HintsView(string Silo, string Scope, HintsOfSilo[] Silos, string[] Missing);

public sealed record HintsOfSilo(string Silo, Dictionary<string, long> Waiting, long Stored, long Delivered, long Dropped);

/// <summary>/api/key: a key's preference list and what each primary replica holds.</summary>
public sealed record KeyView(string Bucket, string Key, int Partition, string[] PreferenceList, ReplicaView[] Replicas);

public sealed record ReplicaView(string Silo, bool Reachable, bool Found, string? Error, SiblingView[] Siblings);

/// <summary>A sibling: its value as text when it is UTF-8, else base64.</summary>
public sealed record SiblingView(string Value, bool Base64, bool Deleted, long TimestampMs, int Bytes);

/// <summary>An error answer; <see cref="Code"/> names its kind where a client may act on it (<c>not_found</c>).</summary>
public sealed record ErrorView(string Error, [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Code = null);
