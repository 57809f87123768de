using System.Buffers.Binary;
using OrleansDynamo.Storage;

namespace OrleansDynamo.Silo.Grains;

/// <summary>
/// The name this silo signs new versions with (the actor of its dots). A dot's counter is one past the
/// coordinator's own entry in the key's stored context, which is only sound while the silo still holds
/// every version it ever made of that key. A silo that forgets some of its own data (tombstone GC, stray
/// copies removed after handoff, a partition dropped after transfer, a crash in Normal durability) moves
/// to a new epoch first and signs as <c>name~epoch</c> from then on, so it can never issue a dot twice
/// (riak_kv's vnode epochs; found by the simulation, FoundBugsRegressionTests.A_coordinator_never_reuses_a_dot).
/// </summary>
public sealed class DotEpoch
{
    internal const string MetadataKey = "dot-epoch";

    private readonly SemaphoreSlim _gate = new(1, 1);
    private IMetadataStore? _metadata;
    private readonly string _siloName;
    private volatile string _actor;
    private long _epoch;

    public DotEpoch(string siloName)
    {
        _siloName = siloName;
        _actor = siloName;
    }

    /// <summary>The actor name of dots made now.</summary>
    public string Actor => _actor;

    public long Epoch => Interlocked.Read(ref _epoch);

    /// <summary>Loads the persisted epoch; moves to a new one at once when the last run may have lost writes.</summary>
    public async Task LoadAsync(IMetadataStore metadata, bool mayHaveLostWrites, CancellationToken cancellationToken)
    {
        _metadata = metadata;
        var stored = await metadata.GetAsync(MetadataKey, cancellationToken);
        Set(stored is { Length: 8 } ? BinaryPrimitives.ReadInt64BigEndian(stored) : 0);
        if (mayHaveLostWrites) await BumpAsync(cancellationToken);
    }

    /// <summary>Moves to a new epoch, durably, before the caller forgets any of this silo's data.</summary>
    public async Task BumpAsync(CancellationToken cancellationToken)
    {
        // No token on the wait: a contended WaitAsync(token) resumes on the thread pool, which the
        // deterministic simulation cannot schedule; bumps are rare and short.
        await _gate.WaitAsync();
        try
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
        finally
        {
            _gate.Release();
        }
    }

    private void Set(long epoch)
    {
        Interlocked.Exchange(ref _epoch, epoch);
        _actor = epoch == 0 ? _siloName : $"{_siloName}~{epoch}";
    }
}
