namespace OrleansDynamo.Protocol.Limits;

/// <summary>
/// How large a client API request may be, as the silo and the SDK both compute it: the largest value a silo takes
/// (<c>Silo:Limits:MaxValueBytes</c>) plus a stated overhead for everything else a put carries. The gRPC service reads
/// no request above <see cref="MaxRequestBytes"/>, the SDK sends none, and the client API grain refuses one.
/// </summary>
public static class RequestSize
{
    /// <summary>
    /// The longest context (base64 characters) a request may carry: 64 KiB, about 48 KiB of clock. A silo's contexts
    /// hold at most <c>Silo:MaxClockEntries</c> entries (default 50) of a name and two numbers, a few KiB.
    /// </summary>
    public const int MaxContextChars = 64 * 1024;

    /// <summary>
    /// The rest of a request besides value and context: the key (at most 1 KiB), the bucket name (at most 64
    /// characters), R/W/PR/PW and hops, and the protobuf tags and lengths: 4 KiB.
    /// </summary>
    public const int FieldsOverheadBytes = 4 * 1024;

    /// <summary>What a request carries besides its value, at most: 68 KiB.</summary>
    public const int OverheadBytes = MaxContextChars + FieldsOverheadBytes;

    /// <summary>The largest request a silo whose largest value is <paramref name="maxValueBytes"/> accepts.</summary>
    public static int MaxRequestBytes(int maxValueBytes) => checked(maxValueBytes + OverheadBytes);

    /// <summary>A size for messages: bytes, KiB or MiB, whichever reads best (<c>16 MiB</c>, <c>68 KiB</c>, <c>300 bytes</c>).</summary>
    public static string Describe(long bytes) => bytes switch
    {
        >= 1024 * 1024 when bytes % (1024 * 1024) == 0 => $"{bytes / (1024 * 1024)} MiB",
        >= 1024 when bytes % 1024 == 0 => $"{bytes / 1024} KiB",
        _ => $"{bytes} bytes",
    };
}
