using OrleansDynamo.Core.Keys;
using OrleansDynamo.Core.Versioning;

namespace OrleansDynamo.Silo.Limits;

/// <summary>
/// How many keys a silo-to-silo message may carry: as many as the batch setting allows (transfer page, anti-entropy
/// repair batch) while their versions add up to at most half of <see cref="LimitsOptions.EffectiveMaxMessageBytes"/>,
/// and always at least one. A message past the limit makes Orleans close the connection, and the batch would fail on
/// every retry.
/// </summary>
public static class MessageBudget
{
    /// <summary>What one key's versions cost in a message, roughly: values, names and clocks, the key.</summary>
    public static long SizeOf(DynamoKey key, SiblingSet set) =>
        key.Key.Length + key.Bucket.Length + set.ValueBytes + 64L * set.Siblings.Length + 300L * set.Context.Count + 64;

    /// <summary>The bytes of keys one message may carry for a silo with these limits.</summary>
    public static long BytesPerMessage(LimitsOptions limits) => limits.EffectiveMaxMessageBytes / 2;

    /// <summary><paramref name="items"/> in order, cut wherever the next one would take a chunk past <paramref name="budget"/> bytes.</summary>
    public static List<List<T>> Split<T>(IReadOnlyList<T> items, Func<T, long> size, long budget)
    {
        var chunks = new List<List<T>>();
        var current = new List<T>();
        long bytes = 0;
        foreach (var item in items)
        {
            long s = size(item);
            if (current.Count > 0 && bytes + s > budget)
            {
                chunks.Add(current);
                current = [];
                bytes = 0;
            }
            current.Add(item);
            bytes += s;
        }
        if (current.Count > 0 || chunks.Count == 0) chunks.Add(current);
        return chunks;
    }
}
