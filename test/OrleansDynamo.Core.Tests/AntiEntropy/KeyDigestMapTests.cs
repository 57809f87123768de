using FsCheck.Xunit;
using OrleansDynamo.Core.AntiEntropy;
using OrleansDynamo.Core.Keys;
using Xunit;

namespace OrleansDynamo.Core.Tests.AntiEntropy;

/// <summary>
/// The Merkle tree's key → digest index against <see cref="Dictionary{TKey,TValue}"/>: any sequence of sets and removals
/// leaves the same contents, including the all-zero hash (the table's empty marker), keys of one partition (sharing their
/// top bits), and long probe runs that wrap around the table's end and are shifted back on removal.
/// </summary>
public sealed class KeyDigestMapTests
{
    private static KeyHash[] Universe(Random rng, int size, bool samePartition)
    {
        var keys = new KeyHash[size];
        keys[0] = default; // the all-zero hash
        ulong partitionBits = (ulong)rng.NextInt64() & 0xFFF0_0000_0000_0000UL;
        for (int i = 1; i < size; i++)
        {
            ulong high = samePartition ? partitionBits | ((ulong)rng.NextInt64() >> 12) : (ulong)rng.NextInt64();
            // some keys differ from another only in the low half, some only in the high half
            ulong low = i % 5 == 0 ? (ulong)i : (ulong)rng.NextInt64();
            keys[i] = new KeyHash(new UInt128(i % 7 == 0 ? partitionBits : high, low));
        }
        return keys;
    }

    private static void SameAs(Dictionary<KeyHash, ulong> model, KeyDigestMap map, KeyHash[] universe)
    {
        Assert.Equal(model.Count, map.Count);
        foreach (var key in universe)
        {
            Assert.Equal(model.TryGetValue(key, out var expected), map.TryGetValue(key, out var actual));
            Assert.Equal(expected, actual);
            Assert.Equal(model.ContainsKey(key), map.ContainsKey(key));
        }
        var entries = map.Entries().ToList();
        Assert.Equal(model.Count, entries.Count);
        Assert.Equal(model.OrderBy(kv => kv.Key), entries.OrderBy(kv => kv.Key));
    }

    [Property(MaxTest = 300)]
    public void Sets_and_removals_leave_what_a_dictionary_would(int seed, byte universeSize, bool samePartition, ushort operations)
    {
        var rng = new Random(seed);
        var universe = Universe(rng, 2 + universeSize, samePartition);
        var model = new Dictionary<KeyHash, ulong>();
        var map = new KeyDigestMap();
        for (int i = 0; i < operations % 2000; i++)
        {
            var key = universe[rng.Next(universe.Length)];
            if (rng.Next(3) == 0)
            {
                Assert.Equal(model.Remove(key), map.Remove(key));
            }
            else
            {
                ulong digest = (ulong)rng.NextInt64();
                model[key] = digest;
                map.Set(key, digest);
            }
            if (i % 97 == 0) SameAs(model, map, universe);
        }
        SameAs(model, map, universe);
    }

    [Fact]
    public void Probe_runs_that_wrap_around_the_end_survive_removals_in_any_order()
    {
        // 12 keys in a 16-slot table: long runs, and some wrap past the last slot
        var rng = new Random(7);
        for (int round = 0; round < 500; round++)
        {
            var keys = Enumerable.Range(0, 12).Select(_ => new KeyHash(new UInt128((ulong)rng.NextInt64(), (ulong)rng.NextInt64()))).ToArray();
            var map = new KeyDigestMap();
            for (int i = 0; i < keys.Length; i++) map.Set(keys[i], (ulong)i + 1);
            Assert.Equal(16, map.Capacity);
            var order = keys.Select((k, i) => (k, i)).OrderBy(_ => rng.Next()).ToArray();
            var left = new HashSet<int>(Enumerable.Range(0, keys.Length));
            foreach (var (key, index) in order)
            {
                Assert.True(map.Remove(key));
                Assert.False(map.Remove(key));
                left.Remove(index);
                foreach (int i in left) Assert.True(map.TryGetValue(keys[i], out var d) && d == (ulong)i + 1, $"round {round}: key {i} lost");
            }
            Assert.Equal(0, map.Count);
        }
    }

    [Fact]
    public void A_hundred_thousand_keys_fit_in_a_table_at_most_three_quarters_full_and_at_least_half_grown_or_sized_up_front()
    {
        var rng = new Random(11);
        var map = new KeyDigestMap();
        var keys = Enumerable.Range(0, 100_000).Select(_ => new KeyHash(new UInt128((ulong)rng.NextInt64(), (ulong)rng.NextInt64()))).ToArray();
        foreach (var key in keys) map.Set(key, (ulong)key.Value.GetHashCode());
        Assert.Equal(keys.Length, map.Count);
        Assert.InRange(map.Count, map.Capacity / 2, map.Capacity * 3 / 4);
        Assert.All(keys, key => Assert.True(map.TryGetValue(key, out var d) && d == (ulong)key.Value.GetHashCode()));

        // sized once up front (a restored tree), the table never grows while it is filled
        var presized = new KeyDigestMap();
        presized.EnsureCapacity(keys.Length);
        int capacity = presized.Capacity;
        Assert.Equal(map.Capacity, capacity);
        foreach (var key in keys) presized.Set(key, 1);
        Assert.Equal(capacity, presized.Capacity);
        Assert.Equal(keys.Length, presized.Count);

        foreach (var key in keys.Take(50_000)) Assert.True(map.Remove(key));
        Assert.Equal(50_000, map.Count);
        Assert.All(keys.Skip(50_000), key => Assert.True(map.ContainsKey(key)));
        Assert.All(keys.Take(50_000), key => Assert.False(map.ContainsKey(key)));
    }
}
