using System.Text;
using OrleansDynamo.Core.Versioning;

namespace OrleansDynamo.Core.DataTypes;

/// <summary>
/// The bounds of the data types. Per-item bounds (a name's length, a register's size, the nesting depth, a counter's
/// range) hold for every state any operation makes, and merging never breaks them, so the decoder refuses anything
/// past them. How many items a state holds is not bounded here: merges add up what replicas did, so the decoder only
/// checks that a count is backed by the bytes that follow; an operation touches at most <see cref="MaxItemsPerOperation"/>.
/// </summary>
public static class DataTypeLimits
{
    /// <summary>The longest set element, in UTF-8 bytes (the key limit).</summary>
    public const int MaxElementBytes = 1024;

    /// <summary>The longest map field name, in UTF-8 bytes.</summary>
    public const int MaxFieldNameBytes = 256;

    /// <summary>The longest actor name, in UTF-8 bytes: a clock's node name (<see cref="VectorClock.MaxNodeNameBytes"/>).</summary>
    public const int MaxActorBytes = VectorClock.MaxNodeNameBytes;

    /// <summary>The largest register value: a bucket's default value limit (the whole value is checked at the edge too).</summary>
    public const int MaxRegisterBytes = 1024 * 1024;

    /// <summary>How deep maps nest: a bucket's map is level 1, a map field in it level 2, and so on.</summary>
    public const int MaxMapDepth = 8;

    /// <summary>The most elements and field operations (at every level) one operation may carry.</summary>
    public const int MaxItemsPerOperation = 1000;

    /// <summary>
    /// The most removes a state may hold waiting for the updates they observed (<see cref="DeferredRemove"/>) before an
    /// operation adds one more: such removes wait only until the replica catches up, so many of them mean clients send
    /// contexts from elsewhere. Merges may carry a state past it; only new removes are refused.
    /// </summary>
    public const int MaxDeferredRemoves = 1000;

    /// <summary>
    /// A counter's bound: an actor's increments and decrements each stay within 0..2^53, and an increment that would take
    /// the counter's value (as the coordinator sees it) outside ±2^53 is refused, so a value stays exact as a double in
    /// JSON. Increments made concurrently through several replicas may still add up past it once merged: the value
    /// (<see cref="Int128"/>) stays exact.
    /// </summary>
    public const long MaxCounter = VectorClock.MaxCounter;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>A coordinator's actor name: not empty, well-formed, at most <see cref="MaxActorBytes"/> UTF-8 bytes.</summary>
    public static void CheckActor(string actor)
    {
        if (actor is null) throw new DataTypeOperationException("an operation needs an actor");
        if (actor.Length == 0) throw new DataTypeOperationException("an actor name must not be empty");
        CheckText(actor, MaxActorBytes, "actor name");
    }

    public static void CheckElement(string element, string where)
    {
        if (element is null) throw new DataTypeOperationException($"{where}: a set element must not be null");
        CheckText(element, MaxElementBytes, $"{where}: set element");
    }

    public static void CheckFieldName(string name, string where)
    {
        if (name is null) throw new DataTypeOperationException($"{where}: a field name must not be null");
        if (name.Length == 0) throw new DataTypeOperationException($"{where}: a field name must not be empty");
        CheckText(name, MaxFieldNameBytes, $"{where}: field name");
    }

    /// <summary>Text the codec writes and reads back unchanged: valid UTF-16 (no lone surrogate), at most <paramref name="maxBytes"/> in UTF-8.</summary>
    private static void CheckText(string text, int maxBytes, string what)
    {
        int bytes;
        try
        {
            bytes = StrictUtf8.GetByteCount(text);
        }
        catch (EncoderFallbackException)
        {
            throw new DataTypeOperationException($"{what} '{Shorten(text)}' is not valid Unicode (a lone surrogate)");
        }
        if (bytes > maxBytes) throw new DataTypeOperationException($"{what} '{Shorten(text)}' is {bytes} UTF-8 bytes; the limit is {maxBytes}");
    }

    /// <summary>At most 32 characters of <paramref name="text"/>, for messages.</summary>
    internal static string Shorten(string text) => text.Length <= 32 ? text : text[..32] + "…";
}
