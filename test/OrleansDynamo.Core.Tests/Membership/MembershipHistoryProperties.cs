using FsCheck;
using FsCheck.Xunit;
using OrleansDynamo.Core.Membership;
using OrleansDynamo.Core.Versioning;
using Xunit;

namespace OrleansDynamo.Core.Tests.Membership;

/// <summary>
/// Membership histories merge as a join-semilattice (set union), so gossip in any order converges; and
/// the meaning of a history (members, ring, buckets) depends only on its events, not on how they arrived.
/// </summary>
[Properties(Arbitrary = [typeof(MembershipGenerators)], MaxTest = MembershipGenerators.MaxTest)]
public class MembershipHistoryProperties
{
    private static void SameHistory(MembershipHistory expected, MembershipHistory actual)
    {
        Assert.Equal(expected.Events.ToArray(), actual.Events.ToArray());
        Assert.Equal(expected.Digest, actual.Digest);
    }

    private static void SameState(ClusterState expected, ClusterState actual)
    {
        Assert.Equal(expected.Version, actual.Version);
        Assert.Equal(expected.Members.ToArray(), actual.Members.ToArray());
        Assert.Equal(expected.Buckets.ToArray(), actual.Buckets.ToArray());
        Assert.Equal(expected.Ring is null, actual.Ring is null);
        if (expected.Ring is { } ring)
        {
            Assert.Equal(ring.Owners.ToArray(), actual.Ring!.Owners.ToArray());
            Assert.Equal(ring.Version, actual.Ring.Version);
        }
        Assert.Equal(expected.PreviousRing is null, actual.PreviousRing is null);
        if (expected.PreviousRing is { } before)
        {
            Assert.Equal(before.Owners.ToArray(), actual.PreviousRing!.Owners.ToArray());
            Assert.Equal(before.Version, actual.PreviousRing.Version);
        }
    }

    /// <summary>The same events replayed by a history that shares nothing with any other (no ring taken from memory).</summary>
    private static MembershipHistory Fresh(MembershipHistory h) => new(h.ClusterName, h.PartitionCount, h.DefaultBucket, h.Events);

    [Property]
    public void Merge_is_commutative(HistoryTriple t) => SameHistory(t.A.Merge(t.B), t.B.Merge(t.A));

    [Property]
    public void Merge_is_associative(HistoryTriple t) => SameHistory(t.A.Merge(t.B).Merge(t.C), t.A.Merge(t.B.Merge(t.C)));

    [Property]
    public void Merge_is_idempotent(MembershipHistory h)
    {
        SameHistory(h, h.Merge(h));
        Assert.Same(h, h.Merge(h));
    }

    [Property]
    public void Merge_keeps_both_sides_but_superseded_bucket_definitions_and_nothing_else(HistoryTriple t)
    {
        var merged = t.A.Merge(t.B);
        var union = t.A.Events.Union(t.B.Events);
        Assert.True(merged.Events.IsSubsetOf(union));
        foreach (var e in union.Except(merged.Events))
        {
            // Left out only when a later definition of the same bucket is kept.
            Assert.Equal(MembershipEventKind.Bucket, e.Kind);
            Assert.Contains(merged.Events, later => later.Kind == MembershipEventKind.Bucket && later.Bucket!.Name == e.Bucket!.Name && MembershipEvent.CompareDefinitions(later, e) > 0);
        }
        Assert.Equal(union.Where(e => e.Kind != MembershipEventKind.Bucket), merged.Events.Where(e => e.Kind != MembershipEventKind.Bucket));
    }

    [Property]
    public void A_history_holds_one_definition_per_bucket_and_its_version_grows_with_every_merge_that_changes_it(HistoryTriple t)
    {
        var merged = t.A.Merge(t.B);
        var definitions = merged.Events.Where(e => e.Kind == MembershipEventKind.Bucket).Select(e => e.Bucket!.Name).ToList();
        Assert.Equal(definitions.Distinct().Count(), definitions.Count);
        Assert.True(merged.State.Version >= t.A.State.Version);
        if (!merged.Events.SetEquals(t.A.Events)) Assert.True(merged.State.Version > t.A.State.Version, "the history changed but its version did not grow");
    }

    [Property]
    public void Silos_that_received_the_same_events_in_any_order_compute_the_same_ring(MembershipHistory h, int seed)
    {
        // Another silo receives the events one at a time, in a random order, through gossip merges.
        var events = h.Events.ToArray();
        new Random(seed).Shuffle(events);
        var other = new MembershipHistory(h.ClusterName, h.PartitionCount, h.DefaultBucket);
        foreach (var e in events) other = other.Merge(other.Add(e));
        SameHistory(h, other);
        SameState(h.State, other.State);
    }

    [Property]
    public void A_silo_that_reads_its_state_after_every_event_it_learns_means_what_a_fresh_replay_means(MembershipHistory h, int seed)
    {
        // Each step's rings are claimed once and taken from memory by the next step, arriving in any order.
        var events = h.Events.ToArray();
        new Random(seed).Shuffle(events);
        var other = new MembershipHistory(h.ClusterName, h.PartitionCount, h.DefaultBucket);
        foreach (var e in events)
        {
            other = other.Merge(other.Add(e));
            SameState(Fresh(other).State, other.State);
        }
        SameState(Fresh(h).State, other.State);
    }

    [Property]
    public void The_previous_ring_is_the_ring_of_the_longest_prefix_whose_ring_differs(MembershipHistory h)
    {
        var state = h.State;
        if (state.Ring is not { } current)
        {
            Assert.Null(state.PreviousRing);
            return;
        }
        // What ownership transfer replayed before the state carried it: prefixes, longest first.
        var events = h.Events.ToList();
        RingSnapshotView? expected = null;
        for (int k = events.Count - 1; k >= 0; k--)
        {
            var ring = new MembershipHistory(h.ClusterName, h.PartitionCount, h.DefaultBucket, events.Take(k)).State.Ring;
            if (ring is null) break;
            if (ring.Version != current.Version)
            {
                expected = new RingSnapshotView(ring.Version, ring.Owners.ToArray());
                break;
            }
        }
        if (expected is null)
        {
            Assert.Null(state.PreviousRing);
            return;
        }
        Assert.NotNull(state.PreviousRing);
        Assert.Equal(expected.Version, state.PreviousRing!.Version);
        Assert.Equal(expected.Owners, state.PreviousRing.Owners.ToArray());
    }

    private sealed record RingSnapshotView(long Version, string[] Owners);

    [Property]
    public void Gossip_in_any_order_converges_to_one_state(HistoryTriple t)
    {
        var viaAb = t.A.Merge(t.B).Merge(t.C);
        var viaCb = t.C.Merge(t.B).Merge(t.A);
        SameState(viaAb.State, viaCb.State);
    }

    [Property]
    public void Ring_owners_are_up_members_and_every_up_member_is_in_the_ring(MembershipHistory h)
    {
        var state = h.State;
        var up = state.Members.Values.Where(m => m.Status == MemberStatus.Up).Select(m => m.Name).ToHashSet();
        if (up.Count == 0)
        {
            Assert.Null(state.Ring);
            return;
        }
        Assert.NotNull(state.Ring);
        Assert.Equal(up.Order(StringComparer.Ordinal), state.Ring!.Members.Select(m => m.Name));
        Assert.All(state.Ring.Owners, o => Assert.Contains(o, up));
    }

    [Property]
    public void Codec_round_trips(MembershipHistory h)
    {
        var decoded = MembershipCodec.Decode(MembershipCodec.Encode(h));
        SameHistory(h, decoded);
        Assert.Equal(h.ClusterName, decoded.ClusterName);
        Assert.Equal(h.PartitionCount, decoded.PartitionCount);
        Assert.Equal(h.DefaultBucket, decoded.DefaultBucket);
        SameState(h.State, decoded.State);
    }

    [Property]
    public void A_truncated_encoding_never_decodes(MembershipHistory h, PositiveInt cut)
    {
        var bytes = MembershipCodec.Encode(h);
        int length = cut.Get % bytes.Length;
        Assert.Throws<VersionFormatException>(() => MembershipCodec.Decode(bytes.AsSpan(0, length)));
    }

    [Property]
    public void Trailing_bytes_are_refused(MembershipHistory h, byte extra)
    {
        byte[] bytes = [.. MembershipCodec.Encode(h), extra];
        Assert.Throws<VersionFormatException>(() => MembershipCodec.Decode(bytes));
    }
}
