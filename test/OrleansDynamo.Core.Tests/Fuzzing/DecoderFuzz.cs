using Xunit;

namespace OrleansDynamo.Core.Tests.Fuzzing;

/// <summary>
/// Runs a decoder on bytes from the network or disk: it returns a value or throws its documented format exception
/// (any other exception escapes and fails the property, naming its type), and allocates no more than a fixed
/// allowance plus a small multiple of the input, so no declared length or count can make it reserve memory the
/// input does not back.
/// </summary>
internal static class DecoderFuzz
{
    /// <summary>What one decode may allocate beside what its input justifies (an exception and its message included).</summary>
    public const long AllowanceBytes = 1 << 20;

    /// <summary>Bytes a decoder may allocate per input byte: values copied out, strings widened, a tree's interior rebuilt.</summary>
    public const long BytesPerInputByte = 16;

    /// <summary>The decoded value, or null when the decoder refused the bytes with <typeparamref name="TFormatException"/>.</summary>
    public static T? Decode<T, TFormatException>(byte[] input, Func<byte[], T> decode)
        where T : class
        where TFormatException : Exception
    {
        T? result = null;
        long before = GC.GetAllocatedBytesForCurrentThread();
        try
        {
            result = decode(input);
        }
        catch (TFormatException e)
        {
            Assert.False(string.IsNullOrWhiteSpace(e.Message));
        }
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        long limit = AllowanceBytes + BytesPerInputByte * input.Length;
        Assert.True(allocated <= limit, $"decoding {input.Length} bytes allocated {allocated} bytes (limit {limit})");
        return result;
    }

    /// <summary>Runs <paramref name="action"/> and returns the bytes it allocated on this thread.</summary>
    public static long Allocated(Action action)
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        action();
        return GC.GetAllocatedBytesForCurrentThread() - before;
    }
}
