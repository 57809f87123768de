using OrleansDynamo.Core.Versioning;
using OrleansDynamo.Storage.Memory;
using OrleansDynamo.Storage.Sqlite;
using Xunit;
using static OrleansDynamo.Storage.Tests.TestData;

namespace OrleansDynamo.Storage.Tests;

/// <summary>
/// A hint's version is a sibling set in <see cref="VersionCodec"/>'s format. A hint whose counter is at the maximum
/// goes into either hint log and comes back out; a stored hint blob that does not decode is refused as damage
/// naming the hint, never with another exception and never with an allocation its bytes do not back.
/// </summary>
public sealed class HintDecodingTests : IDisposable
{
    private readonly string _dir = TempDirectory();

    public void Dispose() => DeleteDirectory(_dir);

    /// <summary>A hint version whose dot is the last a coordinator can ever make for its key: {silo-a: 2^53}.</summary>
    private static SiblingSet AtTheMaximum() =>
        SiblingSet.Empty.Update(VectorClock.Empty.WithEntry("silo-a", VectorClock.MaxCounter - 1, Now), "silo-a", [1, 2, 3], tombstone: false, Now);

    [Fact]
    public async Task A_hint_at_the_counter_maximum_is_stored_and_listed_back_by_both_hint_logs()
    {
        var set = AtTheMaximum();
        Assert.Equal(new Dot("silo-a", VectorClock.MaxCounter), Assert.Single(set.Siblings).Dot);
        await using var sqlite = SqlitePartitionStore.Open(new SqliteStoreOptions { DataDirectory = _dir });
        await using var memory = new InMemoryPartitionStore();
        foreach (IPartitionStore store in new IPartitionStore[] { sqlite, memory })
        {
            await store.Hints.AppendAsync(new Hint("silo-b", 3, Key("k"), set, Now));
            var listed = Assert.Single(await store.Hints.ListAsync("silo-b", 0, 10));
            Assert.Equal(set, listed.Hint.Siblings);
        }
    }

    [Fact]
    public void A_hint_blob_with_an_overflowing_counter_is_refused_naming_the_counter()
    {
        // {silo-a: 2^63-1} with a sibling at that dot: what a context of 2^63-1 used to leave in the hint log.
        byte[] blob = Convert.FromHexString("01" + "01" + "0673696C6F2D61" + "FFFFFFFFFFFFFFFF7F" + "00" + "01" + "0673696C6F2D61" + "FFFFFFFFFFFFFFFF7F" + "00" + "00" + "00");
        // Delivery quarantines such a row with this reason (HintQuarantine) instead of stopping on it.
        Assert.False(SqliteRows.TryDecodeHint(blob, BlobChecksum.Compute(default, blob), out _, out string reason));
        Assert.Contains($"entry 'silo-a' has counter {long.MaxValue}, above the maximum {VectorClock.MaxCounter}", reason);
    }

    /// <summary>
    /// Seeded mutations of real hint blobs, their checksums made to match so the decoder sees them (a failing seed is
    /// named): each is refused with a reason or decodes to a set that encodes to the same bytes, within bounded allocation.
    /// </summary>
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Mutated_hint_blobs_are_refused_as_damage_or_decode_to_themselves(int seed)
    {
        var rng = new Random(seed);
        SiblingSet[] sources = [Value("hint"), Tombstone(), ValueAndTombstone(), AtTheMaximum()];
        for (int round = 0; round < 500; round++)
        {
            byte[] blob = VersionCodec.EncodeSiblingSet(sources[rng.Next(sources.Length)]);
            for (int edits = rng.Next(1, 4); edits > 0; edits--) blob = Mutate(rng, blob);
            long before = GC.GetAllocatedBytesForCurrentThread();
            if (SqliteRows.TryDecodeHint(blob, BlobChecksum.Compute(default, blob), out var set, out string reason))
                Assert.Equal(Convert.ToHexString(blob), Convert.ToHexString(VersionCodec.EncodeSiblingSet(set)));
            else
                Assert.False(string.IsNullOrWhiteSpace(reason), $"seed {seed} round {round}: refused without a reason");
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            Assert.True(allocated < (1 << 20) + 16L * blob.Length, $"seed {seed} round {round}: {blob.Length} bytes allocated {allocated}");
        }
    }

    /// <summary>A bit flip, a truncation, inserted or appended bytes, or a number (often huge) written over a varint.</summary>
    private static byte[] Mutate(Random rng, byte[] blob)
    {
        if (blob.Length == 0) return [(byte)rng.Next(256)];
        int at = rng.Next(blob.Length);
        switch (rng.Next(5))
        {
            case 0:
                var flipped = (byte[])blob.Clone();
                flipped[at] ^= (byte)(1 << rng.Next(8));
                return flipped;
            case 1:
                return blob[..at];
            case 2:
                var extra = new byte[rng.Next(1, 8)];
                rng.NextBytes(extra);
                return [.. blob[..at], .. extra, .. blob[at..]];
            case 3:
                return [.. blob, (byte)rng.Next(256)];
            default:
                ulong[] numbers = [0, 1, 255, 4096, 65536, 1 << 26, int.MaxValue, (ulong)VectorClock.MaxCounter + 1, long.MaxValue, ulong.MaxValue];
                var planted = new List<byte>(blob[..at]);
                for (ulong v = numbers[rng.Next(numbers.Length)]; ; v >>= 7)
                {
                    if (v < 0x80) { planted.Add((byte)v); break; }
                    planted.Add((byte)(v | 0x80));
                }
                return [.. planted, .. blob[Math.Min(blob.Length, at + 1)..]];
        }
    }
}
