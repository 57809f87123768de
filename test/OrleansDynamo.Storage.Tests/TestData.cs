using System.Text;
using OrleansDynamo.Core.Keys;
using OrleansDynamo.Core.Versioning;

namespace OrleansDynamo.Storage.Tests;

/// <summary>Sibling sets, keys and temp directories for storage tests.</summary>
internal static class TestData
{
    public const long Now = 1_700_000_000_000;

    /// <summary>A set with one live value written by <paramref name="node"/>.</summary>
    public static SiblingSet Value(string text, string node = "silo-a") => Value(Encoding.UTF8.GetBytes(text), node);

    public static SiblingSet Value(byte[] value, string node = "silo-a") =>
        SiblingSet.Empty.Update(VectorClock.Empty, node, value, tombstone: false, Now);

    /// <summary>Two concurrent values, one with <paramref name="contentType"/> and one without (stored as format v2).</summary>
    public static SiblingSet TypedAndUntyped(string contentType = "application/json") =>
        SiblingSet.Empty.Update(VectorClock.Empty, "silo-a", Encoding.UTF8.GetBytes("{}"), tombstone: false, Now, contentType)
            .Merge(Value("plain", "silo-b"));

    /// <summary>A set holding only a delete marker.</summary>
    public static SiblingSet Tombstone(string node = "silo-a") =>
        SiblingSet.Empty.Update(VectorClock.Empty, node, [], tombstone: true, Now);

    /// <summary>A set with two concurrent siblings, one of them a tombstone.</summary>
    public static SiblingSet ValueAndTombstone() =>
        Value("left", "silo-a").Update(VectorClock.Empty, "silo-b", [], tombstone: true, Now + 1);

    public static DynamoKey Key(string key, string bucket = "default") => new(bucket, key);

    public static string TempDirectory()
    {
        string dir = Path.Combine(Path.GetTempPath(), "od-storage-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        return dir;
    }

    public static void DeleteDirectory(string dir)
    {
        try
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a temp directory left behind is harmless.
        }
    }

    /// <summary>The scan order, computed independently of the engines.</summary>
    public static int CompareScanOrder(StoredEntry a, StoredEntry b)
    {
        int c = a.Hash.CompareTo(b.Hash);
        if (c != 0) return c;
        c = Utf8Compare(a.Key.Bucket, b.Key.Bucket);
        return c != 0 ? c : Utf8Compare(a.Key.Key, b.Key.Key);
    }

    private static int Utf8Compare(string a, string b) =>
        Encoding.UTF8.GetBytes(a).AsSpan().SequenceCompareTo(Encoding.UTF8.GetBytes(b));
}
