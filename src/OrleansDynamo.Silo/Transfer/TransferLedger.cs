using System.Text;
using OrleansDynamo.Storage;

namespace OrleansDynamo.Silo.Transfer;

/// <summary>
/// Which partitions this silo finished sending to their new owners under its current ring, and which
/// it finished receiving, per ring (<see cref="RingTransition.Id"/>): a sender may report a partition
/// complete under a ring the receiver does not know yet, so the last <see cref="RingsKept"/> rings'
/// sets are kept. Persisted in the metadata store (key "transfer-ledger") so a restarted silo neither
/// streams a finished partition again nor waits for it. Format v1: byte 1, u64 ring id, i32 count,
/// i32 partitions (sent); i32 ring count, then per ring u64 id, i32 count, i32 partitions (received).
/// Little-endian.
/// </summary>
public sealed class TransferLedger(IMetadataStore metadata)
{
    /// <summary>Rings whose received sets are kept (oldest dropped first).</summary>
    public const int RingsKept = 4;

    private const string Name = "transfer-ledger";
    private const byte FormatV1 = 1;

    private readonly SemaphoreSlim _lock = new(1, 1);
    private readonly object _gate = new();
    private ulong _sentRing;
    private HashSet<int> _sent = [];
    private readonly List<(ulong Ring, HashSet<int> Partitions)> _received = [];
    private bool _loaded;
    private long _revision;

    /// <summary>Grows with every change, so views built on the ledger know when to rebuild.</summary>
    public long Revision => Interlocked.Read(ref _revision);

    public bool IsLoaded => Volatile.Read(ref _loaded);

    public async ValueTask EnsureLoadedAsync(CancellationToken ct)
    {
        if (IsLoaded) return;
        await _lock.WaitAsync(ct);
        try
        {
            if (_loaded) return;
            var bytes = await metadata.GetAsync(Name, ct);
            if (bytes is not null) Decode(bytes);
            Volatile.Write(ref _loaded, true);
            Interlocked.Increment(ref _revision);
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <summary>Partitions sent (a complete pass acknowledged by every new owner) under ring <paramref name="ring"/>.</summary>
    public IReadOnlySet<int> Sent(ulong ring)
    {
        lock (_gate) return _sentRing == ring ? _sent.ToHashSet() : [];
    }

    /// <summary>Partitions whose inbound transfer completed under ring <paramref name="ring"/>.</summary>
    public IReadOnlySet<int> Received(ulong ring)
    {
        lock (_gate) return _received.FirstOrDefault(r => r.Ring == ring).Partitions?.ToHashSet() ?? [];
    }

    public Task MarkSentAsync(ulong ring, IReadOnlyCollection<int> partitions, CancellationToken ct) => MarkAsync(ring, partitions, sent: true, ct);

    public Task MarkReceivedAsync(ulong ring, IReadOnlyCollection<int> partitions, CancellationToken ct) => MarkAsync(ring, partitions, sent: false, ct);

    private async Task MarkAsync(ulong ring, IReadOnlyCollection<int> partitions, bool sent, CancellationToken ct)
    {
        await EnsureLoadedAsync(ct);
        await _lock.WaitAsync(ct);
        try
        {
            byte[] bytes;
            lock (_gate)
            {
                HashSet<int> set;
                if (sent)
                {
                    if (_sentRing != ring)
                    {
                        _sentRing = ring;
                        _sent = [];
                    }
                    set = _sent;
                }
                else
                {
                    int at = _received.FindIndex(r => r.Ring == ring);
                    if (at < 0)
                    {
                        if (_received.Count >= RingsKept) _received.RemoveAt(0);
                        _received.Add((ring, []));
                        at = _received.Count - 1;
                    }
                    set = _received[at].Partitions;
                }
                int added = partitions.Count(set.Add);
                if (added == 0) return;
                bytes = Encode();
            }
            await metadata.SetAsync(Name, bytes, ct);
            Interlocked.Increment(ref _revision);
        }
        finally
        {
            _lock.Release();
        }
    }

    private byte[] Encode()
    {
        using var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true))
        {
            writer.Write(FormatV1);
            writer.Write(_sentRing);
            WriteSet(writer, _sent);
            writer.Write(_received.Count);
            foreach (var (ring, partitions) in _received)
            {
                writer.Write(ring);
                WriteSet(writer, partitions);
            }
        }
        return stream.ToArray();
    }

    private static void WriteSet(BinaryWriter writer, HashSet<int> set)
    {
        writer.Write(set.Count);
        foreach (int p in set.Order()) writer.Write(p);
    }

    private static HashSet<int> ReadSet(BinaryReader reader)
    {
        int count = reader.ReadInt32();
        if (count < 0 || count > 1 << 24) throw new IOException($"a ledger set of {count} partitions");
        var set = new HashSet<int>(count);
        for (int j = 0; j < count; j++) set.Add(reader.ReadInt32());
        return set;
    }

    private void Decode(byte[] bytes)
    {
        try
        {
            using var reader = new BinaryReader(new MemoryStream(bytes), Encoding.UTF8);
            if (reader.ReadByte() != FormatV1) return;
            ulong sentRing = reader.ReadUInt64();
            var sent = ReadSet(reader);
            int rings = reader.ReadInt32();
            if (rings < 0 || rings > RingsKept) return;
            var received = new List<(ulong, HashSet<int>)>();
            for (int i = 0; i < rings; i++) received.Add((reader.ReadUInt64(), ReadSet(reader)));
            lock (_gate)
            {
                _sentRing = sentRing;
                _sent = sent;
                _received.Clear();
                _received.AddRange(received);
            }
        }
        catch (Exception e) when (e is EndOfStreamException or IOException)
        {
            // an unreadable ledger only costs finished transfers being sent or awaited again
        }
    }
}
