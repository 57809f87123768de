using System.Collections.Concurrent;

namespace OrleansDynamo.Faults;

/// <summary>A unique key's one write: acknowledged or not (a failed write may or may not have landed).</summary>
public sealed record UniqueWrite(string Key, string Value, bool Acked, DateTime At);

/// <summary>
/// A key written, then deleted with the context of a read of it. Only a delete whose read saw the value supersedes it: after a
/// read that missed it (a sloppy quorum allows that), the delete is a tombstone concurrent with the value, and both stay.
/// </summary>
public sealed record DeleteRecord(string Key, string Value, bool PutAcked, bool ReadSawValue, bool DeleteAcked, DateTime At);

/// <summary>What the workload did and saw, for the checkers: every value ever sent, every acknowledgement, every delete.</summary>
public sealed class History
{
    /// <summary>Every value a client sent (acknowledged or not): a value read that is not here was never written.</summary>
    public ConcurrentDictionary<string, byte> Sent { get; } = new();

    public ConcurrentDictionary<string, UniqueWrite> Unique { get; } = new();

    /// <summary>Acknowledged blind writes to the hot keys: (key, value).</summary>
    public ConcurrentBag<(string Key, string Value)> AckedBlind { get; } = [];

    /// <summary>A resolving write's value -> the live values of the read whose context it carried (the versions it supersedes).</summary>
    public ConcurrentDictionary<string, string[]> ResolverSaw { get; } = new();

    public ConcurrentDictionary<string, DeleteRecord> Deletes { get; } = new();

    /// <summary>Violations seen during the workload (a read that returned a value never written).</summary>
    public ConcurrentQueue<string> Violations { get; } = new();

    /// <summary>A re-read right after an acknowledged delete still saw the value (allowed by a sloppy quorum; counted).</summary>
    public long StaleReReads;

    public ConcurrentDictionary<string, long> Operations { get; } = new();

    public ConcurrentDictionary<string, long> Errors { get; } = new();

    public void Count(string operation, bool ok) => Operations.AddOrUpdate(operation + (ok ? " ok" : " failed"), 1, (_, n) => n + 1);

    public void Error(string operation, Exception e)
    {
        string text = e is OrleansDynamo.DynamoException d ? $"{d.Kind}: {d.Message}" : $"{e.GetType().Name}: {e.Message}";
        text = text.ReplaceLineEndings(" ");
        if (text.Length > 110) text = text[..110];
        Errors.AddOrUpdate($"{operation}: {text}", 1, (_, n) => n + 1);
    }

    /// <summary>Each live value read must be one some client sent.</summary>
    public void CheckRead(string key, IEnumerable<string> liveValues, string where)
    {
        foreach (var v in liveValues)
        {
            if (!Sent.ContainsKey(v)) Violations.Enqueue($"{where}: key {key} returned '{v}', a value never written");
        }
    }
}
