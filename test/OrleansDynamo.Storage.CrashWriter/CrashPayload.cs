using System.Security.Cryptography;
using System.Text;
using OrleansDynamo.Core.Keys;
using OrleansDynamo.Core.Versioning;

namespace OrleansDynamo.Storage.CrashWriter;

/// <summary>What the crash writer writes and prints, shared with the test that checks it.</summary>
public static class CrashPayload
{
    public const string Bucket = "crash";
    public const long Timestamp = 1_700_000_000_000;

    /// <summary>Data file size of the log engine in the crash writer: small, so a run rolls over several times.</summary>
    public const long LogFileSizeBytes = 64 * 1024;

    /// <summary>The value of a key: 100..1123 bytes derived from its name, so the checker can recompute it.</summary>
    public static byte[] ValueOf(string key)
    {
        byte[] seed = SHA256.HashData(Encoding.UTF8.GetBytes(key));
        var value = new byte[100 + (seed[0] << 2 | seed[1] & 3)];
        for (int i = 0; i < value.Length; i++) value[i] = (byte)(seed[i % seed.Length] ^ i);
        return value;
    }

    public static SiblingSet SetOf(string key) =>
        SiblingSet.Empty.Update(VectorClock.Empty, "crash-writer", ValueOf(key), tombstone: false, Timestamp);

    public static int PartitionOf(string key) => (int)(KeyHash.Of(Bucket, key).Value % 8);

    /// <summary>The line printed once a write was acknowledged; <see cref="TryParseAck"/> reads it back.</summary>
    public static string AckLine(string key) => $"ack {key} ok";

    public static bool TryParseAck(string line, out string key)
    {
        key = "";
        var parts = line.Split(' ');
        if (parts is not ["ack", var k, "ok"]) return false;
        key = k;
        return true;
    }
}
