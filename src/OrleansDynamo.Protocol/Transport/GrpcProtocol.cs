using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace OrleansDynamo.Protocol;

/// <summary>
/// Wire-level constants and helpers of the gRPC-over-HTTP/2 protocol
/// (https://github.com/grpc/grpc/blob/master/doc/PROTOCOL-HTTP2.md) shared by server and client.
/// </summary>
public static class GrpcProtocol
{
    /// <summary>The content type of every gRPC request and response.</summary>
    public const string ContentType = "application/grpc";
    /// <summary>Header carrying the call timeout, e.g. <c>250m</c>.</summary>
    public const string TimeoutHeader = "grpc-timeout";
    /// <summary>Trailer (or trailers-only header) carrying the numeric status.</summary>
    public const string StatusTrailer = "grpc-status";
    /// <summary>Trailer (or trailers-only header) carrying the percent-encoded status message.</summary>
    public const string MessageTrailer = "grpc-message";
    /// <summary>Size of the message prefix: 1 compressed-flag byte plus a 4-byte big-endian length.</summary>
    public const int FrameHeaderSize = 5;

    /// <summary>Writes the 5-byte prefix of an uncompressed message of <paramref name="length"/> bytes.</summary>
    public static void WriteFrameHeader(Span<byte> destination, int length)
    {
        destination[0] = 0;
        BinaryPrimitives.WriteUInt32BigEndian(destination.Slice(1, 4), (uint)length);
    }

    /// <summary>Reads a 5-byte prefix: whether the message is compressed and its length.</summary>
    public static (bool Compressed, uint Length) ReadFrameHeader(ReadOnlySpan<byte> source) =>
        (source[0] != 0, BinaryPrimitives.ReadUInt32BigEndian(source.Slice(1, 4)));

    /// <summary>
    /// Parses a <c>grpc-timeout</c> value (1 to 8 digits followed by H, M, S, m, u or n).
    /// Returns null when the value is malformed.
    /// </summary>
    public static TimeSpan? ParseTimeout(ReadOnlySpan<char> value)
    {
        if (value.Length < 2 || value.Length > 9)
            return null;
        if (!long.TryParse(value[..^1], NumberStyles.None, CultureInfo.InvariantCulture, out var amount))
            return null;
        return value[^1] switch
        {
            'H' => TimeSpan.FromHours(amount),
            'M' => TimeSpan.FromMinutes(amount),
            'S' => TimeSpan.FromSeconds(amount),
            'm' => TimeSpan.FromMilliseconds(amount),
            'u' => TimeSpan.FromTicks(amount * TimeSpan.TicksPerMicrosecond),
            'n' => TimeSpan.FromTicks(amount / TimeSpan.NanosecondsPerTick),
            _ => null,
        };
    }

    /// <summary>Formats a timeout for <c>grpc-timeout</c>, rounding up to the finest unit that fits in 8 digits.</summary>
    public static string FormatTimeout(TimeSpan timeout)
    {
        const long MaxAmount = 99_999_999;
        var ticks = Math.Max(0, timeout.Ticks);
        ReadOnlySpan<(long TicksPerUnit, char Unit)> units =
        [
            (TimeSpan.TicksPerMicrosecond, 'u'), (TimeSpan.TicksPerMillisecond, 'm'), (TimeSpan.TicksPerSecond, 'S'),
            (TimeSpan.TicksPerMinute, 'M'), (TimeSpan.TicksPerHour, 'H'),
        ];
        foreach (var (perUnit, unit) in units)
        {
            var amount = (ticks + perUnit - 1) / perUnit;
            if (amount <= MaxAmount)
                return string.Create(CultureInfo.InvariantCulture, $"{amount}{unit}");
        }
        return "99999999H";
    }

    /// <summary>
    /// Percent-encodes a status message as the spec requires: UTF-8 bytes outside 0x20..0x7E, and '%', become %XX.
    /// </summary>
    public static string EncodeMessage(string message)
    {
        if (!NeedsEncoding(message))
            return message;
        var bytes = Encoding.UTF8.GetBytes(message);
        var builder = new StringBuilder(bytes.Length * 3);
        foreach (var b in bytes)
        {
            if (b is >= 0x20 and <= 0x7E && b != (byte)'%')
                builder.Append((char)b);
            else
                builder.Append('%').Append(HexDigit(b >> 4)).Append(HexDigit(b & 0xF));
        }
        return builder.ToString();
    }

    /// <summary>Decodes a percent-encoded status message; a malformed escape is kept literally.</summary>
    public static string DecodeMessage(string? encoded)
    {
        if (string.IsNullOrEmpty(encoded) || !encoded.Contains('%', StringComparison.Ordinal))
            return encoded ?? string.Empty;
        var bytes = new List<byte>(encoded.Length);
        for (var i = 0; i < encoded.Length; i++)
        {
            var c = encoded[i];
            if (c == '%' && i + 2 < encoded.Length && TryHex(encoded[i + 1], out var hi) && TryHex(encoded[i + 2], out var lo))
            {
                bytes.Add((byte)((hi << 4) | lo));
                i += 2;
            }
            else if (c < 0x80)
            {
                bytes.Add((byte)c);
            }
            else
            {
                // Not valid in an encoded message, but keep it rather than lose it.
                var length = char.IsHighSurrogate(c) && i + 1 < encoded.Length ? 2 : 1;
                bytes.AddRange(Encoding.UTF8.GetBytes(encoded.Substring(i, length)));
                i += length - 1;
            }
        }
        return Encoding.UTF8.GetString(bytes.ToArray());
    }

    /// <summary>Maps an HTTP status without a <c>grpc-status</c> to a gRPC status, per the spec's table.</summary>
    public static StatusCode FromHttpStatus(int httpStatus) => httpStatus switch
    {
        400 => StatusCode.Internal,
        401 => StatusCode.Unauthenticated,
        403 => StatusCode.PermissionDenied,
        404 => StatusCode.Unimplemented,
        429 or 502 or 503 or 504 => StatusCode.Unavailable,
        _ => StatusCode.Unknown,
    };

    private static bool NeedsEncoding(string message)
    {
        foreach (var c in message)
        {
            if (c < 0x20 || c > 0x7E || c == '%')
                return true;
        }
        return false;
    }

    private static char HexDigit(int value) => (char)(value < 10 ? '0' + value : 'A' + value - 10);

    private static bool TryHex(char c, out int value)
    {
        value = c switch
        {
            >= '0' and <= '9' => c - '0',
            >= 'A' and <= 'F' => c - 'A' + 10,
            >= 'a' and <= 'f' => c - 'a' + 10,
            _ => -1,
        };
        return value >= 0;
    }
}
