using System.Collections.Concurrent;
using System.Text;
using OrleansDynamo.Core.Keys;

namespace OrleansDynamo.Storage.Log;

/// <summary>
/// Where every key's newest record is (Bitcask's keydir), per partition, with the bucket names interned. Rebuilt from
/// the data files when the store opens; summaries come from it.
/// </summary>
internal sealed class KeyDirectory
{
    /// <summary>Keys up to this many UTF-8 bytes (at most, by their length) are encoded on the stack for a lookup.</summary>
    public const int StackKeyBytes = 4096;

    private readonly ConcurrentDictionary<int, PartitionKeys> _partitions = new();

    public BucketNames Buckets { get; } = new();

    public PartitionKeys? Find(int partition) => _partitions.GetValueOrDefault(partition);

    public PartitionKeys GetOrAdd(int partition) => _partitions.GetOrAdd(partition, static (_, buckets) => new PartitionKeys(buckets), Buckets);

    public IEnumerable<(int Partition, PartitionKeys Keys)> All => _partitions.Select(kv => (kv.Key, kv.Value));

    /// <summary>The probe of a key for a lookup (its bucket id is -1 when no key of the bucket was ever stored).</summary>
    public KeyProbe Probe(DynamoKey key, Span<byte> keyBuffer, out int keyLength)
    {
        keyLength = Encoding.UTF8.GetBytes(key.Key, keyBuffer);
        return KeyProbe.Of(key.Hash, Buckets.Find(key.Bucket), key.Bucket, keyBuffer[..keyLength]);
    }

    /// <summary>A buffer for a key's UTF-8 bytes.</summary>
    public static int MaxKeyBytes(DynamoKey key) => Encoding.UTF8.GetMaxByteCount(key.Key.Length);

    public IReadOnlyList<PartitionSummary> Summaries()
    {
        var list = new List<PartitionSummary>();
        foreach (var (id, keys) in _partitions)
        {
            var (count, bytes) = keys.Summary;
            if (count > 0) list.Add(new PartitionSummary(id, count, bytes));
        }
        list.Sort((a, b) => a.Partition.CompareTo(b.Partition));
        return list;
    }

    public PartitionSummary Summary(int partition)
    {
        var (count, bytes) = Find(partition)?.Summary ?? (0, 0);
        return new PartitionSummary(partition, count, bytes);
    }
}
