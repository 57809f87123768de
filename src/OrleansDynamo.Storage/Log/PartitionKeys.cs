namespace OrleansDynamo.Storage.Log;

/// <summary>
/// The key directory of one partition: its keys in scan order (<see cref="EntryOrder"/>) in a list of sorted chunks of
/// at most <see cref="MaxChunk"/> slots (a two-level B-tree: binary search over the chunks' first keys, then inside the
/// chunk), behind one lock. Lookups, inserts and removals are O(log n) searches plus a shift inside one chunk; there is
/// no hash map beside it, so a key costs its 48-byte slot (over a chunk fill of about 70 %) and its key bytes. Pages are
/// cut under the lock, so a scan resuming strictly after its cursor sees every key present throughout exactly once
/// (as <c>MemoryPartition</c>). Also keeps the partition's key count and value bytes for summaries.
/// </summary>
internal sealed class PartitionKeys(BucketNames buckets)
{
    public const int MaxChunk = 128;
    private const int FirstChunk = 4;

    private readonly Lock _lock = new();
    private readonly List<Chunk> _chunks = [];
    private long _count;
    private long _bytes;

    private sealed class Chunk(int capacity)
    {
        public KeySlot[] Items = new KeySlot[capacity];
        public int Count;
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
            Insert(c, i, new KeySlot
            {
                HashHigh = probe.HashHigh,
                HashLow = probe.HashLow,
                Key = probe.Key.ToArray(),
                Bucket = probe.Bucket,
                Location = location,
                Seq = seq,
                ValueLength = valueLength,
            });
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
                    }
                    else
                    {
                        chunk.Items[kept++] = slot;
                    }
                }
                Array.Clear(chunk.Items, kept, chunk.Count - kept);
                chunk.Count = kept;
                if (kept == 0) _chunks.RemoveAt(c);
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

    /// <summary>
    /// Up to <paramref name="max"/> keys strictly after <paramref name="after"/> (from the start when null), each with a
    /// reference to its record's file taken under the lock, and whether more follow.
    /// </summary>
    public bool Page(in KeyProbe after, bool fromStart, int max, DataFiles files, List<(KeySlot Slot, DataFile File)> rows)
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
                    rows.Add((chunk.Items[i], files.Acquire(chunk.Items[i].FileId)));
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
            if (KeyProbe.Compare(_chunks[mid].Items[0], probe, buckets) <= 0)
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
            int cmp = KeyProbe.Compare(chunk.Items[m], probe, buckets);
            if (cmp == 0) return (c, m, true);
            if (cmp < 0) l = m + 1;
            else h = m - 1;
        }
        return (c, l, false);
    }

    private void Insert(int c, int i, in KeySlot slot)
    {
        if (_chunks.Count == 0) _chunks.Add(new Chunk(FirstChunk));
        var chunk = _chunks[c];
        if (chunk.Count == MaxChunk)
        {
            const int half = MaxChunk / 2;
            var right = new Chunk(MaxChunk) { Count = MaxChunk - half };
            Array.Copy(chunk.Items, half, right.Items, 0, right.Count);
            Array.Clear(chunk.Items, half, right.Count);
            chunk.Count = half;
            _chunks.Insert(c + 1, right);
            if (i > half)
            {
                chunk = right;
                i -= half;
            }
        }
        if (chunk.Count == chunk.Items.Length) Array.Resize(ref chunk.Items, Math.Min(MaxChunk, chunk.Items.Length * 2));
        Array.Copy(chunk.Items, i, chunk.Items, i + 1, chunk.Count - i);
        chunk.Items[i] = slot;
        chunk.Count++;
    }

    private void RemoveAt(int c, int i)
    {
        var chunk = _chunks[c];
        var slot = chunk.Items[i];
        Array.Copy(chunk.Items, i + 1, chunk.Items, i, chunk.Count - i - 1);
        chunk.Items[--chunk.Count] = default;
        _count--;
        _bytes -= slot.ValueLength;
        if (chunk.Count == 0) _chunks.RemoveAt(c);
        else if (chunk.Items.Length > 2 * FirstChunk && chunk.Count <= chunk.Items.Length / 4) Array.Resize(ref chunk.Items, chunk.Items.Length / 2);
    }
}
