using System.Text;

namespace OrleansDynamo.Storage.Log;

/// <summary>
/// Bucket names interned to small ids, so the key directory keeps one copy of each name instead of one per key.
/// A silo has a handful of buckets; ids are handed out once and never reused while the store is open.
/// </summary>
internal sealed class BucketNames
{
    private readonly Dictionary<string, int> _ids = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private string[] _names = [];
    private int[] _utf8Lengths = [];
    private byte[][] _utf8 = [];

    /// <summary>The id of <paramref name="bucket"/>, adding it when new.</summary>
    public int Intern(string bucket)
    {
        lock (_lock)
        {
            if (_ids.TryGetValue(bucket, out int id)) return id;
            id = _names.Length;
            // Copy-on-write, so Name and Utf8Length read without the lock.
            _names = [.. _names, bucket];
            _utf8Lengths = [.. _utf8Lengths, Encoding.UTF8.GetByteCount(bucket)];
            _utf8 = [.. _utf8, Encoding.UTF8.GetBytes(bucket)];
            _ids[bucket] = id;
            return id;
        }
    }

    /// <summary>The id of the bucket named by <paramref name="utf8"/> (as a record holds it), adding it when new.</summary>
    public int Intern(ReadOnlySpan<byte> utf8)
    {
        var known = Volatile.Read(ref _utf8);
        for (int i = 0; i < known.Length; i++)
        {
            if (utf8.SequenceEqual(known[i])) return i;
        }
        return Intern(Encoding.UTF8.GetString(utf8));
    }

    /// <summary>The id of <paramref name="bucket"/>, or -1 when no key of it was ever stored.</summary>
    public int Find(string bucket)
    {
        lock (_lock) return _ids.GetValueOrDefault(bucket, -1);
    }

    public string Name(int id) => Volatile.Read(ref _names)[id];

    public int Utf8Length(int id) => Volatile.Read(ref _utf8Lengths)[id];
}
