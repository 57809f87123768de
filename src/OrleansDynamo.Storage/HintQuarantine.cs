using System.Diagnostics.CodeAnalysis;
using OrleansDynamo.Core.Keys;
using OrleansDynamo.Core.Versioning;

namespace OrleansDynamo.Storage;

/// <summary>
/// A row of the hint log whose bytes do not decode (a flipped bit, a version the codec refuses): kept as it was
/// found, with why. Delivery moves it into the quarantine (<see cref="IHintLog.QuarantineAsync"/>) so it cannot stop
/// the hints behind it; anti-entropy repairs the key it carried.
/// </summary>
public sealed record UndecodableHint(long Id, string TargetSilo, int Partition, DynamoKey Key, byte[] Blob, long CreatedAtMs, string Reason);

/// <summary>A hint moved out of the log because it did not decode: its row as stored, why, and when it was moved.</summary>
public sealed record QuarantinedHint(long Id, string TargetSilo, int Partition, DynamoKey Key, byte[] Blob, long CreatedAtMs, string Reason, long QuarantinedAtMs);

/// <summary>One page of a target's hint log, oldest first: the hints that decode and the rows that do not.</summary>
public sealed record HintPage(IReadOnlyList<StoredHint> Hints, IReadOnlyList<UndecodableHint> Undecodable)
{
    /// <summary>Rows read, decodable or not.</summary>
    public int Count => Hints.Count + Undecodable.Count;

    /// <summary>The largest id on the page (the next page starts after it); 0 when empty.</summary>
    public long LastId => Math.Max(Hints.Count > 0 ? Hints[^1].Id : 0, Undecodable.Count > 0 ? Undecodable[^1].Id : 0);
}

/// <summary>Decodes a stored sibling set without throwing: why it does not decode instead.</summary>
internal static class StoredBlob
{
    public static bool TryDecode(ReadOnlySpan<byte> blob, [NotNullWhen(true)] out SiblingSet? set, out string reason)
    {
        try
        {
            set = VersionCodec.DecodeSiblingSet(blob);
            reason = "";
            return true;
        }
        catch (Exception e) when (e is FormatException or OverflowException or ArgumentException)
        {
            set = null;
            reason = $"the sibling set does not decode ({e.Message})";
            return false;
        }
    }
}
