using OrleansDynamo.Storage.Log;
using Xunit;

namespace OrleansDynamo.Storage.Tests;

/// <summary>
/// The log engine's key directory against a sorted model, under seeded random inserts, overwrites, removes, partial
/// drops and pages: chunk splits, arena growth and compaction must keep every key, its bytes and the scan order.
/// Some keys share a hash, so the bucket and key tie-breaks are exercised too.
/// </summary>
public sealed class PartitionKeysTests
{
    private sealed record ModelKey(ulong High, ulong Low, string Bucket, byte[] Key);

    private static readonly Comparer<ModelKey> Order = Comparer<ModelKey>.Create((a, b) =>
    {
        int c = a.High.CompareTo(b.High);
        if (c != 0) return c;
        c = a.Low.CompareTo(b.Low);
        if (c != 0) return c;
        c = EntryOrder.CompareCodePoints(a.Bucket, b.Bucket);
        return c != 0 ? c : a.Key.AsSpan().SequenceCompareTo(b.Key);
    });

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Agrees_with_a_sorted_model_through_random_changes(int seed)
    {
        var random = new Random(seed);
        var buckets = new BucketNames();
        var keys = new PartitionKeys(buckets);
        var model = new SortedDictionary<ModelKey, (long Location, long Seq, int Length)>(Order);
        var universe = Enumerable.Range(0, 3000).Select(i =>
        {
            // Every tenth key shares its hash with its neighbour, so order falls to the bucket, then the key bytes.
            ulong high = (ulong)(i / 10 * 10 == i ? i + 1 : i) * 0x9E3779B97F4A7C15UL;
            string[] pieces = ["a", "Z", "0", "é", "\uE000", "😀", "key-"];
            var key = System.Text.Encoding.UTF8.GetBytes(string.Concat(Enumerable.Range(0, 1 + random.Next(12)).Select(_ => pieces[random.Next(pieces.Length)])));
            return new ModelKey(high, (ulong)i % 7, i % 3 == 0 ? "b1" : "bucket-two", key);
        }).ToArray();
        long seq = 0;
        for (int step = 0; step < 40_000; step++)
        {
            var k = universe[random.Next(universe.Length)];
            var probe = Probe(buckets, k);
            int what = random.Next(100);
            if (what < 60)
            {
                long location = KeySlot.Pack(random.Next(1, 100), random.Next(1_000_000));
                int length = random.Next(5000);
                bool existed = keys.Put(probe, location, ++seq, length, out var old);
                Assert.Equal(model.TryGetValue(k, out var before), existed);
                if (existed) Assert.Equal(before, (old.Location, old.Seq, old.ValueLength));
                model[k] = (location, seq, length);
            }
            else if (what < 95)
            {
                Assert.Equal(model.Remove(k), keys.Remove(probe, out _));
            }
            else if (what < 96)
            {
                long below = seq - random.Next(2000);
                keys.RemoveOlderThan(below, _ => { });
                foreach (var gone in model.Where(kv => kv.Value.Seq < below).Select(kv => kv.Key).ToList()) model.Remove(gone);
            }
            if (step % 4000 == 0 || step == 39_999) AssertSame(keys, buckets, model, random);
        }
    }

    private static void AssertSame(PartitionKeys keys, BucketNames buckets, SortedDictionary<ModelKey, (long Location, long Seq, int Length)> model, Random random)
    {
        Assert.Equal((model.Count, model.Values.Sum(v => (long)v.Length)), keys.Summary);
        var listed = new List<KeySlot>();
        keys.ForEach(listed.Add);
        Assert.Equal(model.Values.Select(v => v.Seq), listed.Select(s => s.Seq));
        foreach (var (k, v) in model)
        {
            Assert.True(keys.TryGet(Probe(buckets, k), out var slot));
            Assert.Equal((v.Location, v.Seq, v.Length, k.Key.Length), (slot.Location, slot.Seq, slot.ValueLength, (int)slot.KeyLength));
        }
        // Pages of a random size, resumed strictly after the last key: every key once, in order, with its bytes.
        var files = new DataFiles(Path.GetTempPath(), 0);
        for (int id = 1; id < 100; id++) files.Add(new DataFile(id, DataFileKind.Write, "", new Microsoft.Win32.SafeHandles.SafeFileHandle(IntPtr.Zero, ownsHandle: false), 0));
        int pageSize = 1 + random.Next(150);
        var seen = new List<(KeySlot Slot, string Key, DataFile File)>();
        var page = new List<(KeySlot Slot, string Key, DataFile File)>();
        bool more = true;
        ModelKey? after = null;
        while (more)
        {
            page.Clear();
            more = after is null
                ? keys.Page(default, fromStart: true, pageSize, files, page)
                : keys.Page(Probe(buckets, after), fromStart: false, pageSize, files, page);
            seen.AddRange(page);
            if (page.Count > 0)
            {
                var last = page[^1];
                after = new ModelKey(last.Slot.HashHigh, last.Slot.HashLow, buckets.Name(last.Slot.Bucket), System.Text.Encoding.UTF8.GetBytes(last.Key));
            }
        }
        Assert.Equal(model.Keys.Select(k => System.Text.Encoding.UTF8.GetString(k.Key)), seen.Select(s => s.Key));
        Assert.Equal(model.Values.Select(v => v.Seq), seen.Select(s => s.Slot.Seq));
    }

    private static KeyProbe Probe(BucketNames buckets, ModelKey k) => new(k.High, k.Low, buckets.Intern(k.Bucket), k.Bucket, k.Key);
}
