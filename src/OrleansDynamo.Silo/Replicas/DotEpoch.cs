using System.Buffers.Binary;
using OrleansDynamo.Storage;

namespace OrleansDynamo.Silo.Replicas;

/// <summary>
/// The name this silo signs new versions with (the actor of its dots). A dot's counter is one past the
/// coordinator's own entry in the key's stored context, which is only sound while the silo still holds
/// every version it ever made of that key. A silo that forgets some of its own data (tombstone GC, stray
/// copies removed after handoff, a partition dropped after transfer, a crash in Normal durability) moves
/// to a new epoch first and signs as <c>name~epoch</c> from then on, so it can never issue a dot twice
/// (riak_kv's vnode epochs; found by the simulation, FoundBugsRegressionTests.A_coordinator_never_reuses_a_dot).
/// </summary>
/// <remarks>
/// <para>
/// A coordinator may send a new version to the other replicas while its own write of it still commits
/// (<see cref="TryBeginEarlySend"/>). Such a version can survive elsewhere while the coordinator loses
/// it, which is the same as forgetting data it signed:
/// </para>
/// <list type="bullet">
/// <item>its local write fails: <see cref="Lost"/> records the epoch it was signed in, and no dot is
/// signed again before the silo has moved past that epoch (<see cref="EnsureSignableAsync"/>);</item>
/// <item>the process dies before the write commits: in Normal durability every start begins a new epoch
/// anyway; in Full durability a marker (<see cref="OpenMarkerKey"/>) is kept while early sends are allowed
/// and removed by a clean <see cref="CloseAsync"/>, and a start that finds it begins a new epoch (riak_kv's
/// unclean-shutdown rule).</item>
/// </list>
/// </remarks>
public sealed class DotEpoch
{
    internal const string MetadataKey = "dot-epoch";

    /// <summary>Present while versions may leave this silo before they are durable here; found at start: the last run did not close cleanly.</summary>
    internal const string OpenMarkerKey = "dot-epoch-open";

    private readonly SemaphoreSlim _gate = new(1, 1);
    private IMetadataStore? _metadata;
    private readonly string _siloName;
    private volatile Signer _signer;
    private long _lostIn = -1;
    private int _earlySends;
    private bool _marked;
    private int _inFlight;
    private TaskCompletionSource? _drained;

    public DotEpoch(string siloName)
    {
        _siloName = siloName;
        _signer = new Signer(0, siloName);
    }

    /// <summary>The actor name of dots made now.</summary>
    public string Actor => _signer.Actor;

    public long Epoch => _signer.Epoch;

    /// <summary>The epoch and actor of dots made now, read together.</summary>
    internal Signer Current => _signer;

    /// <summary>Whether versions may leave before their local write commits (after a load, until closed).</summary>
    public bool AllowsEarlySends => Volatile.Read(ref _earlySends) == 1;

    /// <summary>
    /// Loads the persisted epoch; moves to a new one at once when the last run may have lost writes (Normal
    /// durability) or did not close cleanly. Allows early sends from then on.
    /// </summary>
    public async Task LoadAsync(IMetadataStore metadata, bool mayHaveLostWrites, CancellationToken cancellationToken)
    {
        _metadata = metadata;
        var stored = await metadata.GetAsync(MetadataKey, cancellationToken);
        Set(stored is { Length: 8 } ? BinaryPrimitives.ReadInt64BigEndian(stored) : 0);
        bool unclean = !mayHaveLostWrites && await metadata.GetAsync(OpenMarkerKey, cancellationToken) is not null;
        if (mayHaveLostWrites || unclean) await BumpAsync(cancellationToken);
        if (!mayHaveLostWrites)
        {
            // Normal durability begins a new epoch at every start, so it needs no marker.
            await metadata.SetAsync(OpenMarkerKey, [1], cancellationToken);
            _marked = true;
        }
        Volatile.Write(ref _earlySends, 1);
    }

    /// <summary>
    /// Ends early sends, waits for the ones under way to be durable, and removes the unclean-shutdown
    /// marker. Call when the silo stops cleanly; coordinated writes after it persist before they are sent.
    /// </summary>
    public async Task CloseAsync()
    {
        if (Interlocked.Exchange(ref _earlySends, 0) == 0) return;
        var drained = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Interlocked.Exchange(ref _drained, drained);
        if (Volatile.Read(ref _inFlight) == 0) drained.TrySetResult();
        await drained.Task;
        if (_marked && _metadata is not null && Volatile.Read(ref _lostIn) < Epoch)
        {
            await _metadata.DeleteAsync(OpenMarkerKey);
            _marked = false;
        }
    }

    /// <summary>
    /// Asks to send a version before its local write commits; true: allowed, and the caller must call
    /// <see cref="EndEarlySend"/> once that write finished (either way). False after <see cref="CloseAsync"/>.
    /// </summary>
    internal bool TryBeginEarlySend()
    {
        Interlocked.Increment(ref _inFlight);
        if (Volatile.Read(ref _earlySends) == 1) return true;
        EndEarlySend();
        return false;
    }

    internal void EndEarlySend()
    {
        if (Interlocked.Decrement(ref _inFlight) == 0 && Volatile.Read(ref _earlySends) == 0) Volatile.Read(ref _drained)?.TrySetResult();
    }

    /// <summary>
    /// A version signed in <paramref name="epoch"/> may live on other replicas while its write here failed:
    /// no dot may be signed until the silo has moved past that epoch.
    /// </summary>
    internal void Lost(long epoch)
    {
        long seen = Volatile.Read(ref _lostIn);
        while (seen < epoch)
        {
            long prior = Interlocked.CompareExchange(ref _lostIn, epoch, seen);
            if (prior == seen) return;
            seen = prior;
        }
    }

    /// <summary>Completes at once unless a lost version forces a new epoch first (<see cref="Lost"/>); then moves to it.</summary>
    internal ValueTask EnsureSignableAsync(CancellationToken cancellationToken) =>
        Volatile.Read(ref _lostIn) < Epoch ? ValueTask.CompletedTask : new ValueTask(MovePastLostAsync(cancellationToken));

    private async Task MovePastLostAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync();
        try
        {
            if (Volatile.Read(ref _lostIn) >= Epoch) await BumpLockedAsync(cancellationToken);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// Moves past <paramref name="exhausted"/> (durably) unless another caller already has: a key's clock holds this
    /// silo's counter of that epoch at the maximum, so no dot of it can be signed for the key.
    /// </summary>
    internal async Task MovePastAsync(long exhausted, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync();
        try
        {
            if (Epoch == exhausted) await BumpLockedAsync(cancellationToken);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Moves to a new epoch, durably, before the caller forgets any of this silo's data.</summary>
    public async Task BumpAsync(CancellationToken cancellationToken)
    {
        // No token on the wait: a contended WaitAsync(token) resumes on the thread pool, which the
        // deterministic simulation cannot schedule; bumps are rare and short.
        await _gate.WaitAsync();
        try
        {
            await BumpLockedAsync(cancellationToken);
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task BumpLockedAsync(CancellationToken cancellationToken)
    {
        long next = Epoch + 1;
        if (_metadata is not null)
        {
            var bytes = new byte[8];
            BinaryPrimitives.WriteInt64BigEndian(bytes, next);
            await _metadata.SetAsync(MetadataKey, bytes, cancellationToken);
        }
        Set(next);
    }

    private void Set(long epoch) => _signer = new Signer(epoch, epoch == 0 ? _siloName : $"{_siloName}~{epoch}");

    /// <summary>An epoch and the actor name dots carry in it.</summary>
    internal sealed record Signer(long Epoch, string Actor);
}
