namespace OrleansDynamo.Silo.Grains;

/// <summary>
/// One turn at a time per key: callers for the same key queue, callers for different keys do not
/// wait for each other. Entries exist only while someone holds or waits for them.
/// </summary>
internal sealed class KeyedLock<TKey> where TKey : notnull
{
    private readonly Dictionary<TKey, Entry> _entries = new();

    public int ActiveKeys
    {
        get { lock (_entries) return _entries.Count; }
    }

    public async ValueTask<Releaser> AcquireAsync(TKey key, CancellationToken cancellationToken)
    {
        Entry entry;
        lock (_entries)
        {
            if (!_entries.TryGetValue(key, out entry!))
            {
                entry = new Entry();
                _entries[key] = entry;
            }
            entry.References++;
        }
        try
        {
            await entry.Semaphore.WaitAsync(cancellationToken);
        }
        catch
        {
            Dereference(key, entry);
            throw;
        }
        return new Releaser(this, key, entry);
    }

    private void Dereference(TKey key, Entry entry)
    {
        lock (_entries)
        {
            if (--entry.References == 0) _entries.Remove(key);
        }
    }

    internal sealed class Entry
    {
        public readonly SemaphoreSlim Semaphore = new(1, 1);
        public int References;
    }

    public readonly struct Releaser : IDisposable
    {
        private readonly KeyedLock<TKey> _owner;
        private readonly TKey _key;
        private readonly Entry _entry;

        internal Releaser(KeyedLock<TKey> owner, TKey key, Entry entry)
        {
            _owner = owner;
            _key = key;
            _entry = entry;
        }

        public void Dispose()
        {
            _entry.Semaphore.Release();
            _owner.Dereference(_key, _entry);
        }
    }
}
