namespace OrleansDynamo.Silo.Replicas;

/// <summary>
/// One turn at a time per key: callers for the same key queue (first come, first served), callers for
/// different keys do not wait for each other. Entries exist only while someone holds or waits for a key.
/// </summary>
/// <remarks>
/// Keys spread over <see cref="Stripes"/> independently locked tables, so turns on different keys rarely
/// meet on one monitor. A free key is taken without allocating (entries are pooled per stripe); only a
/// caller that has to wait allocates its waiter. A released turn passes straight to the oldest waiter,
/// whose continuation is posted to the context it awaited in (never run inline inside the release, never
/// through a thread-pool hop), so the deterministic simulation schedules handovers like any other work.
/// </remarks>
internal sealed class KeyedLock<TKey> where TKey : notnull
{
    /// <summary>Number of independently locked tables (a power of two).</summary>
    public const int Stripes = 64;

    /// <summary>Free entries kept per stripe for reuse.</summary>
    private const int PoolPerStripe = 16;

    private readonly Stripe[] _stripes;
    private readonly IEqualityComparer<TKey> _comparer;

    public KeyedLock(IEqualityComparer<TKey>? comparer = null)
    {
        _comparer = comparer ?? EqualityComparer<TKey>.Default;
        _stripes = new Stripe[Stripes];
        for (int i = 0; i < _stripes.Length; i++) _stripes[i] = new Stripe(_comparer);
    }

    /// <summary>Keys held or waited for right now.</summary>
    public int ActiveKeys
    {
        get
        {
            int n = 0;
            foreach (var stripe in _stripes)
            {
                lock (stripe) n += stripe.Entries.Count;
            }
            return n;
        }
    }

    /// <summary>Waits for the key's turn; dispose the result to pass the turn on.</summary>
    public ValueTask<Releaser> AcquireAsync(TKey key, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var stripe = StripeOf(key);
        lock (stripe)
        {
            if (!stripe.Entries.TryGetValue(key, out var entry))
            {
                entry = stripe.Rent();
                stripe.Entries.Add(key, entry);
                return new ValueTask<Releaser>(new Releaser(stripe, key, entry));
            }
            var waiter = new Waiter(stripe, key, entry);
            (entry.Waiters ??= new Queue<Waiter>()).Enqueue(waiter);
            // Registered under the lock, so a grant (which dequeues under it) always sees the registration.
            // A token cancelled meanwhile runs Cancel here (the monitor is reentrant).
            if (cancellationToken.CanBeCanceled)
                waiter.Registration = cancellationToken.UnsafeRegister(static (state, token) => ((Waiter)state!).Cancel(token), waiter);
            return new ValueTask<Releaser>(waiter.Task);
        }
    }

    private Stripe StripeOf(TKey key)
    {
        uint h = (uint)_comparer.GetHashCode(key);
        h ^= h >> 15;
        h *= 0x2c1b3c6d;
        h ^= h >> 12;
        return _stripes[h & (Stripes - 1)];
    }

    internal sealed class Stripe(IEqualityComparer<TKey> comparer)
    {
        public readonly Dictionary<TKey, Entry> Entries = new(comparer);
        private readonly Stack<Entry> _free = new();

        public Entry Rent() => _free.TryPop(out var entry) ? entry : new Entry();

        /// <summary>Passes the turn to the oldest live waiter, or frees the key; returns the waiter to complete (outside the lock).</summary>
        public Waiter? Release(TKey key, Entry entry)
        {
            lock (this)
            {
                if (entry.Waiters is { } waiters)
                {
                    while (waiters.TryDequeue(out var next))
                    {
                        if (!next.Cancelled) return next;
                    }
                }
                Entries.Remove(key);
                if (_free.Count < PoolPerStripe) _free.Push(entry);
                return null;
            }
        }
    }

    internal sealed class Entry
    {
        /// <summary>Callers waiting for the key, oldest first (cancelled ones are skipped when the turn passes).</summary>
        public Queue<Waiter>? Waiters;
    }

    internal sealed class Waiter(Stripe stripe, TKey key, Entry entry) : TaskCompletionSource<Releaser>(TaskCreationOptions.RunContinuationsAsynchronously)
    {
        public CancellationTokenRegistration Registration;

        /// <summary>Set under the stripe's lock; a cancelled waiter never gets the turn.</summary>
        public bool Cancelled;

        public void Grant()
        {
            // Unregister does not wait for a cancellation callback running meanwhile: that callback takes
            // the stripe's lock, sees the waiter already dequeued, and leaves it alone.
            Registration.Unregister();
            TrySetResult(new Releaser(stripe, key, entry));
        }

        public void Cancel(CancellationToken token)
        {
            lock (stripe)
            {
                // Already dequeued: the turn is (being) handed to this waiter, which must take it.
                if (Cancelled || entry.Waiters is null || !entry.Waiters.Contains(this)) return;
                Cancelled = true;
            }
            TrySetCanceled(token);
        }
    }

    public readonly struct Releaser : IDisposable
    {
        private readonly Stripe? _stripe;
        private readonly TKey _key;
        private readonly Entry? _entry;

        internal Releaser(Stripe stripe, TKey key, Entry entry)
        {
            _stripe = stripe;
            _key = key;
            _entry = entry;
        }

        /// <summary>Passes the turn on. Dispose exactly once.</summary>
        public void Dispose()
        {
            if (_stripe is null) return;
            _stripe.Release(_key, _entry!)?.Grant();
        }
    }
}
