using System.Buffers;
using System.Text;

namespace OrleansDynamo.Core.Versioning;

/// <summary>Thrown when bytes that should hold a context or a sibling set do not decode.</summary>
public sealed class VersionFormatException(string message) : FormatException(message);

/// <summary>Little writer for the versioned binary formats: LEB128 varints and length-prefixed bytes.</summary>
internal sealed class FormatWriter(int capacity = 64)
{
    private byte[] _buffer = new byte[Math.Max(16, capacity)];
    private int _length;

    public void Byte(byte b)
    {
        Ensure(1);
        _buffer[_length++] = b;
    }

    public void VarUInt(ulong v)
    {
        Ensure(10);
        _length += FormatLength.WriteVarUInt(_buffer.AsSpan(_length), v);
    }

    /// <summary>Zig-zag signed varint (timestamps may be negative under simulated skew).</summary>
    public void VarInt(long v) => VarUInt(FormatLength.ZigZag(v));

    public void Bytes(ReadOnlySpan<byte> bytes)
    {
        VarUInt((ulong)bytes.Length);
        Ensure(bytes.Length);
        bytes.CopyTo(_buffer.AsSpan(_length));
        _length += bytes.Length;
    }

    public void String(string s)
    {
        int max = Encoding.UTF8.GetMaxByteCount(s.Length);
        Ensure(max + 5);
        int n = Encoding.UTF8.GetByteCount(s);
        VarUInt((ulong)n);
        _length += Encoding.UTF8.GetBytes(s, _buffer.AsSpan(_length));
    }

    public byte[] ToArray() => _buffer.AsSpan(0, _length).ToArray();

    private void Ensure(int more)
    {
        if (_length + more <= _buffer.Length) return;
        Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, _length + more));
    }
}

/// <summary>
/// Writes the same encoding as <see cref="FormatWriter"/> into a span sized beforehand (by <see cref="FormatLength"/>), so
/// an encoding of known length is made in place: in the array that is stored or sent, not in a buffer copied there.
/// </summary>
internal ref struct SpanFormatWriter(Span<byte> destination)
{
    private readonly Span<byte> _span = destination;
    private int _length;

    public readonly int Length => _length;

    public void Byte(byte b) => _span[_length++] = b;

    public void VarUInt(ulong v) => _length += FormatLength.WriteVarUInt(_span[_length..], v);

    public void VarInt(long v) => VarUInt(FormatLength.ZigZag(v));

    public void Bytes(ReadOnlySpan<byte> bytes)
    {
        VarUInt((ulong)bytes.Length);
        bytes.CopyTo(_span[_length..]);
        _length += bytes.Length;
    }

    public void String(string s)
    {
        VarUInt((ulong)Encoding.UTF8.GetByteCount(s));
        _length += Encoding.UTF8.GetBytes(s, _span[_length..]);
    }
}

/// <summary>The number of bytes each item of the formats takes, for sizing a <see cref="SpanFormatWriter"/>.</summary>
internal static class FormatLength
{
    public static ulong ZigZag(long v) => (ulong)((v << 1) ^ (v >> 63));

    /// <summary>Writes <paramref name="v"/> as LEB128 at the start of <paramref name="destination"/>; returns the bytes written.</summary>
    public static int WriteVarUInt(Span<byte> destination, ulong v)
    {
        int n = 0;
        while (v >= 0x80)
        {
            destination[n++] = (byte)(v | 0x80);
            v >>= 7;
        }
        destination[n++] = (byte)v;
        return n;
    }

    public static int VarUInt(ulong v) => v < 0x80 ? 1 : (70 - System.Numerics.BitOperations.LeadingZeroCount(v)) / 7;

    public static int VarInt(long v) => VarUInt(ZigZag(v));

    public static int Bytes(int length) => VarUInt((ulong)length) + length;

    public static int String(string s) => Bytes(Encoding.UTF8.GetByteCount(s));
}

/// <summary>Strict reader: every overrun, overlong varint or trailing byte is a <see cref="VersionFormatException"/>.</summary>
internal ref struct FormatReader(ReadOnlySpan<byte> data, string what)
{
    private readonly ReadOnlySpan<byte> _data = data;
    private int _pos;

    public readonly bool AtEnd => _pos == _data.Length;

    /// <summary>Bytes not yet read.</summary>
    public readonly int Remaining => _data.Length - _pos;

    public byte Byte()
    {
        if (_pos >= _data.Length) throw Fail("ends early");
        return _data[_pos++];
    }

    public ulong VarUInt()
    {
        ulong result = 0;
        for (int shift = 0; shift < 64; shift += 7)
        {
            byte b = Byte();
            if (shift == 63 && b > 1) throw Fail("has an overlong number"); // bits past 64
            result |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0)
            {
                if (b == 0 && shift > 0) throw Fail("has an overlong number"); // not the shortest form
                return result;
            }
        }
        throw Fail("has an overlong number");
    }

    public long VarInt()
    {
        ulong z = VarUInt();
        return (long)(z >> 1) ^ -(long)(z & 1);
    }

    /// <summary>
    /// The number of items that follow, each taking at least <paramref name="minBytesEach"/> bytes: refused when above
    /// <paramref name="max"/> or when the rest of the input cannot hold that many, so a count set huge costs nothing.
    /// </summary>
    public int Count(int max, int minBytesEach, string items)
    {
        ulong n = VarUInt();
        if (n > (ulong)max) throw Fail($"has too many {items}");
        if (n * (ulong)minBytesEach > (ulong)(_data.Length - _pos)) throw Fail($"declares {n} {items}, more than its remaining {_data.Length - _pos} bytes hold");
        return (int)n;
    }

    public int Length(int max)
    {
        ulong n = VarUInt();
        if (n > (ulong)max || n > (ulong)(_data.Length - _pos)) throw Fail("has a length past its end");
        return (int)n;
    }

    public byte[] Bytes(int max)
    {
        int n = Length(max);
        var result = _data.Slice(_pos, n).ToArray();
        _pos += n;
        return result;
    }

    /// <summary>UTF-8 that throws on invalid bytes; thread-safe, shared.</summary>
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public string String(int maxBytes)
    {
        int n = Length(maxBytes);
        try
        {
            var s = StrictUtf8.GetString(_data.Slice(_pos, n));
            _pos += n;
            return s;
        }
        catch (DecoderFallbackException)
        {
            throw Fail("holds a name that is not UTF-8");
        }
    }

    public readonly void End()
    {
        if (!AtEnd) throw Fail("has trailing bytes");
    }

    public readonly VersionFormatException Fail(string why) => new($"{what} {why}");
}
