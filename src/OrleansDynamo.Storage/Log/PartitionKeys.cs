namespace OrleansDynamo.Storage.Log;

/// <summary>
/// The key directory of one partition: its keys in scan order (<see cref="EntryOrder"/>) in a list of sorted chunks of
/// at most <see cref="MaxChunk"/> slots (a two-level B-tree: binary search over the chunks' first keys, then inside the
/// chunk), behind one lock. Lookups, inserts and removals are O(log n) searches plus a shift inside one chunk; there is
/// no hash map beside it. Pages are cut under the lock, so a scan resuming strictly after its cursor sees every key
/// present throughout exactly once (as <c>MemoryPartition</c>). Also keeps the partition's key count and value bytes.
/// <para>Memory is the point (a silo holds a million keys in its budget): a key costs its 48-byte slot, over a chunk
/// fill of about 90 % (arrays grow by a quarter, not by doubling, and a split trims both halves), plus its UTF-8 bytes in
/// its chunk's key arena (one array per chunk, not one per key: a 14-byte key in its own array would take 40 bytes).
/// Removed keys' bytes stay in the arena until they are half of it, then it is compacted. Measured: about 70 bytes a key
/// for 14-byte keys.</para>
/// </summary>
internal sealed class PartitionKeys(BucketNames buckets)
{
    public const int MaxChunk = 128;
    private const int FirstChunk = 4;

    private readonly Lock _lock = new();
    private readonly List<Chunk> _chunks = [];
    private long _count;
    private long _bytes;

    /// <summary>Sorted slots and the arena holding their keys' bytes.</summary>
    private sealed class Chunk(int capacity, int keyCapacity)
    {
        public KeySlot[] Items = new KeySlot[capacity];
        public int Count;
        public byte[] Keys = new byte[keyCapacity];
        public int KeysUsed;
        public int KeysDead;

        public ReadOnlySpan<byte> KeyOf(in KeySlot slot) => Keys.AsSpan(slot.KeyOffset, slot.KeyLength);
    }

    public (long Count, long Bytes) Summary
    {
        get
        {
            lock (_lock) return (_count, _bytes);
        }
    }

    public bool TryGet(in KeyProbe probe, out KeySlot slot)
    {
        lock (_lock)
        {
            var (c, i, found) = Locate(probe);
            slot = found ? _chunks[c].Items[i] : default;
            return found;
        }
    }

    /// <summary>
    /// The key's slot and a reference to the file holding its record, taken under this partition's lock so a merge
    /// cannot retire the file in between (see <see cref="DataFile"/>).
    /// </summary>
    public bool TryGetAndAcquire(in KeyProbe probe, DataFiles files, out KeySlot slot, out DataFile? file)
    {
        lock (_lock)
        {
            var (c, i, found) = Locate(probe);
            slot = found ? _chunks[c].Items[i] : default;
            file = found ? files.Acquire(slot.FileId) : null;
            return found;
        }
    }

    /// <summary>Points the key at a new record; returns the slot it replaces, if any (to count its bytes dead).</summary>
    public bool Put(in KeyProbe probe, long location, long seq, int valueLength, out KeySlot old)
    {
        if (probe.Key.Length > KeySlot.MaxKeyBytes) throw new StorageLimitException($"a key of {probe.Key.Length} bytes is over the key directory's {KeySlot.MaxKeyBytes}");
        lock (_lock)
        {
            var (c, i, found) = Locate(probe);
            if (found)
            {
                ref var slot = ref _chunks[c].Items[i];
                old = slot;
                slot.Location = location;
                slot.Seq = seq;
                slot.ValueLength = valueLength;
                _bytes += valueLength - old.ValueLength;
                return true;
            }
            old = default;
            var added = new KeySlot
            {
                HashHigh = probe.HashHigh,
                HashLow = probe.HashLow,
                Bucket = probe.Bucket,
                Location = location,
                Seq = seq,
                ValueLength = valueLength,
            };
            Insert(c, i, added, probe.Key);
            _count++;
            _bytes += valueLength;
            return false;
        }
    }

    public bool Remove(in KeyProbe probe, out KeySlot removed)
    {
        lock (_lock)
        {
            var (c, i, found) = Locate(probe);
            removed = found ? _chunks[c].Items[i] : default;
            if (found) RemoveAt(c, i);
            return found;
        }
    }

    /// <summary>
    /// A merge's swap: points the key at <paramref name="to"/> only while it still points at <paramref name="from"/>
    /// (a key written, removed or dropped since the merge copied it keeps what it has now).
    /// </summary>
    public bool CompareAndSwap(in KeyProbe probe, long from, long to)
    {
        lock (_lock)
        {
            var (c, i, found) = Locate(probe);
            if (!found || _chunks[c].Items[i].Location != from) return false;
            _chunks[c].Items[i].Location = to;
            return true;
        }
    }

    /// <summary>Whether the key's record is the one at <paramref name="location"/> (a merge copies only those).</summary>
    public bool PointsAt(in KeyProbe probe, long location)
    {
        lock (_lock)
        {
            var (c, i, found) = Locate(probe);
            return found && _chunks[c].Items[i].Location == location;
        }
    }

    /// <summary>Removes every key with a sequence number below <paramref name="seq"/> (all of them: <see cref="long.MaxValue"/>); calls <paramref name="removed"/> for each.</summary>
    public void RemoveOlderThan(long seq, Action<KeySlot> removed)
    {
        lock (_lock)
        {
            for (int c = _chunks.Count - 1; c >= 0; c--)
            {
                var chunk = _chunks[c];
                int kept = 0;
                for (int i = 0; i < chunk.Count; i++)
                {
                    var slot = chunk.Items[i];
                    if (slot.Seq < seq)
                    {
                        removed(slot);
                        _count--;
                        _bytes -= slot.ValueLength;
                        chunk.KeysDead += slot.KeyLength;
                    }
                    else
                    {
                        chunk.Items[kept++] = slot;
                    }
                }
                chunk.Count = kept;
                if (kept == 0) _chunks.RemoveAt(c);
                else if (chunk.KeysDead > 0) Compact(chunk, chunk.Count);
            }
        }
    }

    /// <summary>Calls <paramref name="visit"/> for every key, in order, under the lock (recovery's accounting).</summary>
    public void ForEach(Action<KeySlot> visit)
    {
        lock (_lock)
        {
            foreach (var chunk in _chunks)
            {
                for (int i = 0; i < chunk.Count; i++) visit(chunk.Items[i]);
            }
        }
    }

    /// <summary>How many keys have their record in one of <paramref name="fileIds"/>.</summary>
    public int CountIn(IReadOnlySet<int> fileIds)
    {
        lock (_lock)
        {
            int n = 0;
            foreach (var chunk in _chunks)
            {
                for (int i = 0; i < chunk.Count; i++)
                {
                    if (fileIds.Contains(chunk.Items[i].FileId)) n++;
                }
            }
            return n;
        }
    }

    /// <summary>
    /// Up to <paramref name="max"/> keys strictly after <paramref name="after"/> (from the start when
    /// <paramref name="fromStart"/>), each with its key and a reference to its record's file taken under the lock, and
    /// whether more follow.
    /// </summary>
    public bool Page(in KeyProbe after, bool fromStart, int max, DataFiles files, List<(KeySlot Slot, string Key, DataFile File)> rows)
    {
        lock (_lock)
        {
            int c = 0, i = 0;
            if (!fromStart)
            {
                (c, i, bool found) = Locate(after);
                if (found) i++;
            }
            for (; c < _chunks.Count; c++, i = 0)
            {
                var chunk = _chunks[c];
                for (; i < chunk.Count; i++)
                {
                    if (rows.Count == max) return true;
                    ref var slot = ref chunk.Items[i];
                    rows.Add((slot, System.Text.Encoding.UTF8.GetString(chunk.KeyOf(slot)), files.Acquire(slot.FileId)));
                }
            }
            return false;
        }
    }

    /// <summary>Where the probe is, or would be inserted: the chunk, the index in it, and whether it is there.</summary>
    private (int Chunk, int Index, bool Found) Locate(in KeyProbe probe)
    {
        int n = _chunks.Count;
        if (n == 0) return (0, 0, false);
        // The last chunk whose first key is not after the probe (chunk 0 when the probe precedes everything).
        int lo = 1, hi = n - 1, c = 0;
        while (lo <= hi)
        {
            int mid = (lo + hi) >>> 1;
            var first = _chunks[mid];
            if (KeyProbe.Compare(first.Items[0], first.KeyOf(first.Items[0]), probe, buckets) <= 0)
            {
                c = mid;
                lo = mid + 1;
            }
            else
            {
                hi = mid - 1;
            }
        }
        var chunk = _chunks[c];
        int l = 0, h = chunk.Count - 1;
        while (l <= h)
        {
            int m = (l + h) >>> 1;
            int cmp = KeyProbe.Compare(chunk.Items[m], chunk.KeyOf(chunk.Items[m]), probe, buckets);
            if (cmp == 0) return (c, m, true);
            if (cmp < 0) l = m + 1;
            else h = m - 1;
        }
        return (c, l, false);
    }

    private void Insert(int c, int i, KeySlot slot, ReadOnlySpan<byte> key)
    {
        if (_chunks.Count == 0) _chunks.Add(new Chunk(FirstChunk, FirstChunk * 16));
        var chunk = _chunks[c];
        if (chunk.Count == MaxChunk)
        {
            var right = Split(c);
            if (i > chunk.Count)
            {
                i -= chunk.Count;
                chunk = right;
            }
        }
        if (chunk.Count == chunk.Items.Length) Array.Resize(ref chunk.Items, Math.Min(MaxChunk, chunk.Count + Math.Max(4, chunk.Count / 4)));
        slot.KeyOffset = AppendKey(chunk, key);
        slot.KeyLength = (ushort)key.Length;
        Array.Copy(chunk.Items, i, chunk.Items, i + 1, chunk.Count - i);
        chunk.Items[i] = slot;
        chunk.Count++;
    }

    /// <summary>Moves the upper half of chunk <paramref name="c"/> into a new chunk after it; both get trimmed arrays.</summary>
    private Chunk Split(int c)
    {
        var left = _chunks[c];
        int half = left.Count / 2;
        var right = new Chunk(Slack(left.Count - half), 0) { Count = left.Count - half };
        Array.Copy(left.Items, half, right.Items, 0, right.Count);
        Compact(right, right.Count, left.Keys);
        var kept = new KeySlot[Slack(half)];
        Array.Copy(left.Items, kept, half);
        left.Items = kept;
        left.Count = half;
        Compact(left, half);
        _chunks.Insert(c + 1, right);
        return right;
    }

    private static int Slack(int count) => Math.Min(MaxChunk, count + Math.Max(4, count / 4));

    /// <summary>Copies a key to the end of the chunk's arena (compacting or growing it first when full); returns its offset.</summary>
    private static int AppendKey(Chunk chunk, ReadOnlySpan<byte> key)
    {
        if (chunk.KeysUsed + key.Length > chunk.Keys.Length)
        {
            if (chunk.KeysDead > 0) Compact(chunk, chunk.Count);
            if (chunk.KeysUsed + key.Length > chunk.Keys.Length)
                Array.Resize(ref chunk.Keys, chunk.KeysUsed + key.Length + Math.Max(16, chunk.KeysUsed / 4));
        }
        int offset = chunk.KeysUsed;
        key.CopyTo(chunk.Keys.AsSpan(offset));
        chunk.KeysUsed += key.Length;
        return offset;
    }

    /// <summary>
    /// Rewrites the arena of the chunk's first <paramref name="count"/> slots without the bytes of removed keys
    /// (reading the keys from <paramref name="from"/>, the arena they are in now, when it is another chunk's).
    /// </summary>
    private static void Compact(Chunk chunk, int count, byte[]? from = null)
    {
        from ??= chunk.Keys;
        int live = 0;
        for (int i = 0; i < count; i++) live += chunk.Items[i].KeyLength;
        var keys = new byte[live + Math.Max(16, live / 8)];
        int used = 0;
        for (int i = 0; i < count; i++)
        {
            ref var slot = ref chunk.Items[i];
            from.AsSpan(slot.KeyOffset, slot.KeyLength).CopyTo(keys.AsSpan(used));
            slot.KeyOffset = used;
            used += slot.KeyLength;
        }
        chunk.Keys = keys;
        chunk.KeysUsed = used;
        chunk.KeysDead = 0;
    }

    private void RemoveAt(int c, int i)
    {
        var chunk = _chunks[c];
        var slot = chunk.Items[i];
        Array.Copy(chunk.Items, i + 1, chunk.Items, i, chunk.Count - i - 1);
        chunk.Items[--chunk.Count] = default;
        chunk.KeysDead += slot.KeyLength;
        _count--;
        _bytes -= slot.ValueLength;
        if (chunk.Count == 0)
        {
            _chunks.RemoveAt(c);
            return;
        }
        if (chunk.Items.Length > 2 * FirstChunk && chunk.Count <= chunk.Items.Length / 2) Array.Resize(ref chunk.Items, Slack(chunk.Count));
        if (chunk.KeysDead > chunk.KeysUsed / 2) Compact(chunk, chunk.Count);
    }
}
