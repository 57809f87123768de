using System.Collections.Immutable;
using OrleansDynamo.Core.Buckets;
using OrleansDynamo.Core.Versioning;
using OrleansDynamo.Silo.Diagnostics;

namespace OrleansDynamo.Silo.Api;

/// <summary>
/// One member as the answering silo sees it. <paramref name="Status"/>: up, unreachable, joining, leaving or left;
/// <paramref name="Partitions"/>: the ring positions (tokens) it owns.
/// </summary>
/// <summary><paramref name="Replicas"/>: partition replicas the silo holds, in the top N (the default bucket's) of a preference list.</summary>
/// <summary><paramref name="GatewayAddress"/>: host:port of its Orleans gateway, null when the ring does not record one.</summary>
public sealed record MemberSummary(string Name, string GrpcAddress, string? HttpAddress, string? Zone, string Status, int Partitions, int Replicas = 0,
    string? GatewayAddress = null);

/// <summary>
/// The ring a client routes by: the active members, the owner of each partition (an index into
/// <see cref="Silos"/>), and the buckets. <see cref="Owners"/> is empty before the first ring. <see cref="AnsweredByGateway"/>
/// is the answering silo's own gateway (it may not be in <see cref="Silos"/> yet: a silo that has not joined).
/// </summary>
public sealed record RingSummary(
    string ClusterName, long Version, int PartitionCount, ImmutableArray<MemberSummary> Silos, ImmutableArray<int> Owners,
    ImmutableArray<BucketSettings> Buckets, string AnsweredBy, string? AnsweredByGateway = null, int MaxRequestBytes = 0);

/// <summary>
/// One silo's status: every member as it sees them, the partition transfers of every silo it reached and each silo's part
/// in the ring change under way (<paramref name="TransferSummaries"/>), hints waiting here per target, its counters,
/// and its process (null without the metrics feature).
/// </summary>
public sealed record SiloStatusSnapshot(
    string Silo, ImmutableArray<MemberSummary> Silos, ImmutableArray<TransferProgress> Transfers,
    IReadOnlyDictionary<string, long> HintsWaiting, IReadOnlyDictionary<string, long> Counters, ProcessStats? Process = null,
    ImmutableArray<SiloTransfers> TransferSummaries = default);

/// <summary>
/// A bucket to create or change, as an operator asked for it: zero for <see cref="N"/>, <see cref="R"/>, <see cref="W"/>
/// or <see cref="MaxValueBytes"/> takes the default bucket's value; a null or empty <see cref="Policy"/> means siblings.
/// <see cref="Force"/> allows changing an existing bucket's N or policy.
/// </summary>
public sealed record BucketRequest(string Name, int N = 0, int R = 0, int W = 0, string? Policy = null, int MaxValueBytes = 0, int PR = 0, int PW = 0,
    bool Force = false, string? Type = null);

/// <summary>What each primary replica of a key holds, unreconciled: the key's partition and preference list.</summary>
public sealed record KeyReplicasSnapshot(int Partition, ImmutableArray<string> PreferenceList, ImmutableArray<ReplicaHolding> Replicas);

/// <summary>
/// One replica's copy of a key: <paramref name="Reachable"/> false (with <paramref name="Error"/>) when it did not answer;
/// <paramref name="Siblings"/> includes tombstones.
/// </summary>
public sealed record ReplicaHolding(string Silo, bool Reachable, bool Found, ImmutableArray<Sibling> Siblings, string? Error);
