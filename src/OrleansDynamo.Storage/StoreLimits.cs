using System.Text;
using OrleansDynamo.Core.Keys;
using OrleansDynamo.Core.Versioning;

namespace OrleansDynamo.Storage;

/// <summary>Size limits every engine checks before writing anything (ARCHITECTURE: bad input).</summary>
public sealed record StoreLimits(int MaxKeyBytes = DynamoKey.MaxKeyBytes, int MaxValueBytes = StoreLimits.DefaultMaxValueBytes)
{
    public const int DefaultMaxValueBytes = 1024 * 1024;

    public static readonly StoreLimits Default = new();

    /// <summary>Throws <see cref="StorageLimitException"/> when the key or any sibling value is over its limit.</summary>
    public void Check(DynamoKey key, SiblingSet siblings)
    {
        ArgumentNullException.ThrowIfNull(key.Bucket, nameof(key));
        ArgumentNullException.ThrowIfNull(key.Key, nameof(key));
        ArgumentNullException.ThrowIfNull(siblings);
        int keyBytes = Encoding.UTF8.GetByteCount(key.Key);
        if (keyBytes > MaxKeyBytes)
            throw new StorageLimitException($"key is {keyBytes} bytes; the limit is {MaxKeyBytes} bytes");
        foreach (var s in siblings.Siblings)
        {
            if (s.Value.Length > MaxValueBytes)
                throw new StorageLimitException($"a value of {key} is {s.Value.Length} bytes; the limit is {MaxValueBytes} bytes");
        }
    }
}
