using OrleansDynamo.Core.Keys;

namespace OrleansDynamo.Storage;

/// <summary>
/// The scan order shared by every engine: key hash, then bucket, then key, the strings compared
/// as UTF-8 bytes (SQLite's BINARY collation), which is Unicode code-point order.
/// </summary>
public static class EntryOrder
{
    public static int Compare(KeyHash hash, string bucket, string key, in ScanCursor other)
    {
        int c = hash.CompareTo(other.Hash);
        if (c != 0) return c;
        c = CompareCodePoints(bucket, other.Bucket);
        return c != 0 ? c : CompareCodePoints(key, other.Key);
    }

    public static int Compare(in ScanCursor a, in ScanCursor b) => Compare(a.Hash, a.Bucket, a.Key, b);

    /// <summary>Ordinal comparison in code-point (= UTF-8 byte) order rather than UTF-16 unit order.</summary>
    public static int CompareCodePoints(string a, string b)
    {
        int n = Math.Min(a.Length, b.Length);
        for (int i = 0; i < n; i++)
        {
            char x = a[i], y = b[i];
            if (x == y) continue;
            return Fix(x) - Fix(y);
        }
        return a.Length - b.Length;
    }

    // Surrogates (D800-DFFF) encode code points above FFFF, so they sort after E000-FFFF.
    private static int Fix(char c) => c >= 0xE000 ? c - 0x800 : c >= 0xD800 ? c + 0x2000 : c;
}
