using System.Collections.Immutable;
using OrleansDynamo.Core.Versioning;

namespace OrleansDynamo.Core.Coordination;

/// <summary>One stale or missing replica and the reconciled set to merge into it.</summary>
public sealed record ReadRepair(string Replica, SiblingSet ToSend);

/// <summary>The background writes that bring a get's stale replicas up to date (Dynamo §4.8 read repair).</summary>
public sealed record ReadRepairPlan(ImmutableArray<ReadRepair> Repairs)
{
    public static readonly ReadRepairPlan None = new(ImmutableArray<ReadRepair>.Empty);

    public bool IsEmpty => Repairs.IsEmpty;

    public bool Equals(ReadRepairPlan? other) =>
        other is not null && Repairs.AsSpan().SequenceEqual(other.Repairs.AsSpan());

    public override int GetHashCode() => Repairs.Length;
}
