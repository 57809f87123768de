using OrleansDynamo.Core.Keys;

namespace OrleansDynamo.Core.AntiEntropy;

/// <summary>
/// Key hash → version digest, the index behind a replica's Merkle tree (the digest each key last gave the tree, so a
/// change can take it out again). A silo holds one entry per key it stores, so this is sized for memory: an open-addressing
/// table of 24-byte slots (the hash's two halves and the digest, no per-entry links or cached hash codes), linear probing
/// over a capacity kept at most three-quarters full and grown by half (not doubled: a table just grown is half empty
/// rather than five-eighths, and a silo holds a thousand of them), and deletion by shifting the following run back
/// (no tombstones, so lookups never slow down after removals). About 38 bytes a key on average against
/// <see cref="Dictionary{TKey,TValue}"/>'s 48-byte entries plus buckets and slack (measured: 101 bytes a key at a million
/// keys, docs/performance.md).
/// <para>The all-zero hash marks an empty slot; the one key whose MD5 is all zeros (if ever) is kept beside the table.</para>
/// Not thread-safe: the owner locks.
/// </summary>
public sealed class KeyDigestMap
{
    private const int MinCapacity = 16;

    private struct Slot
    {
        public ulong High;
        public ulong Low;
        public ulong Digest;

        public readonly bool IsEmpty => High == 0 && Low == 0;
    }

    private Slot[] _slots = new Slot[MinCapacity];
    private int _tableCount;
    private bool _hasZeroKey;
    private ulong _zeroDigest;

    /// <summary>Keys held.</summary>
    public int Count => _tableCount + (_hasZeroKey ? 1 : 0);

    /// <summary>Slots allocated (for tests and memory accounting).</summary>
    public int Capacity => _slots.Length;

    /// <summary>Grows the table once to hold <paramref name="count"/> keys (a tree restored from a snapshot knows how many).</summary>
    public void EnsureCapacity(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        int capacity = _slots.Length;
        while (count * 4L > capacity * 3L) capacity += capacity / 2;
        if (capacity == _slots.Length) return;
        var old = _slots;
        _slots = new Slot[capacity];
        foreach (var slot in old)
        {
            if (!slot.IsEmpty) Insert(_slots, slot.High, slot.Low, slot.Digest);
        }
    }

    public bool TryGetValue(KeyHash key, out ulong digest)
    {
        var (high, low) = Split(key);
        if (high == 0 && low == 0)
        {
            digest = _zeroDigest;
            return _hasZeroKey;
        }
        int index = Find(_slots, high, low);
        digest = index >= 0 ? _slots[index].Digest : 0;
        return index >= 0;
    }

    public bool ContainsKey(KeyHash key) => TryGetValue(key, out _);

    /// <summary>Sets the key's digest, adding the key when it is new.</summary>
    public void Set(KeyHash key, ulong digest)
    {
        var (high, low) = Split(key);
        if (high == 0 && low == 0)
        {
            _hasZeroKey = true;
            _zeroDigest = digest;
            return;
        }
        int capacity = _slots.Length;
        for (int i = Home(high, low, capacity); ; i = Next(i, capacity))
        {
            ref var slot = ref _slots[i];
            if (slot.IsEmpty)
            {
                if ((_tableCount + 1) * 4L > _slots.Length * 3L)
                {
                    Grow();
                    Insert(_slots, high, low, digest);
                }
                else
                {
                    slot = new Slot { High = high, Low = low, Digest = digest };
                }
                _tableCount++;
                return;
            }
            if (slot.High == high && slot.Low == low)
            {
                slot.Digest = digest;
                return;
            }
        }
    }

    /// <summary>Removes the key; false when it was not there.</summary>
    public bool Remove(KeyHash key)
    {
        var (high, low) = Split(key);
        if (high == 0 && low == 0)
        {
            bool had = _hasZeroKey;
            _hasZeroKey = false;
            _zeroDigest = 0;
            return had;
        }
        int hole = Find(_slots, high, low);
        if (hole < 0) return false;
        int capacity = _slots.Length;
        // Backward-shift deletion: every slot of the run after the hole moves into it unless its home lies
        // cyclically in (hole, j], where a lookup starting at its home would never pass the hole.
        for (int j = Next(hole, capacity); !_slots[j].IsEmpty; j = Next(j, capacity))
        {
            int home = Home(_slots[j].High, _slots[j].Low, capacity);
            bool stays = hole <= j ? hole < home && home <= j : hole < home || home <= j;
            if (stays) continue;
            _slots[hole] = _slots[j];
            hole = j;
        }
        _slots[hole] = default;
        _tableCount--;
        return true;
    }

    /// <summary>Every key and its digest, in no particular order. The map must not change while this is enumerated.</summary>
    public IEnumerable<KeyValuePair<KeyHash, ulong>> Entries()
    {
        if (_hasZeroKey) yield return new(default, _zeroDigest);
        var slots = _slots;
        for (int i = 0; i < slots.Length; i++)
        {
            if (!slots[i].IsEmpty) yield return new(new KeyHash(new UInt128(slots[i].High, slots[i].Low)), slots[i].Digest);
        }
    }

    private void Grow() => EnsureCapacity(_slots.Length);

    private static void Insert(Slot[] slots, ulong high, ulong low, ulong digest)
    {
        int capacity = slots.Length;
        int i = Home(high, low, capacity);
        while (!slots[i].IsEmpty) i = Next(i, capacity);
        slots[i] = new Slot { High = high, Low = low, Digest = digest };
    }

    private static int Find(Slot[] slots, ulong high, ulong low)
    {
        int capacity = slots.Length;
        for (int i = Home(high, low, capacity); ; i = Next(i, capacity))
        {
            ref readonly var slot = ref slots[i];
            if (slot.IsEmpty) return -1;
            if (slot.High == high && slot.Low == low) return i;
        }
    }

    private static (ulong High, ulong Low) Split(KeyHash key) => ((ulong)(key.Value >> 64), (ulong)key.Value);

    /// <summary>
    /// A key's home slot. Keys of one partition share the hash's top bits, so both halves are mixed (Fibonacci hashing)
    /// rather than trusting any one range of bits; the mixed 32 bits are scaled onto the capacity (a multiply and a shift,
    /// as the capacity need not be a power of two).
    /// </summary>
    private static int Home(ulong high, ulong low, int capacity) =>
        (int)(((((high ^ (low * 0x9E3779B97F4A7C15UL)) * 0x9E3779B97F4A7C15UL) >> 32) * (ulong)capacity) >> 32);

    private static int Next(int i, int capacity) => ++i == capacity ? 0 : i;
}
