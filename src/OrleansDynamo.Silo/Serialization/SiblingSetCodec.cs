using System.Buffers;
using Orleans;
using Orleans.Serialization.Buffers;
using Orleans.Serialization.Cloning;
using Orleans.Serialization.Codecs;
using Orleans.Serialization.GeneratedCodeHelpers;
using Orleans.Serialization.WireProtocol;
using OrleansDynamo.Core.Versioning;
using VersionCodec = OrleansDynamo.Core.Versioning.VersionCodec;

namespace OrleansDynamo.Silo.Serialization;

/// <summary>
/// A sibling set on the wire: the core's binary encoding (<see cref="VersionCodec"/>) written straight into Orleans' message
/// buffer and decoded straight from it. Every replica write and most answers carry one, so neither side makes an array of
/// the encoding to copy: a surrogate holding the bytes did, on each side, which was about a sixth of a silo's allocated
/// bytes under load.
/// <para>
/// The bytes are those the earlier surrogate (<see cref="VersionBytesSurrogate"/> with a converter) put on the wire, so
/// silos of either release understand each other during a rolling upgrade: an object whose field 0 holds the encoding,
/// length-prefixed. Its reference numbering is kept too: the surrogate's array took a reference id on both sides, so this
/// codec takes one as well, or every later reference in the same message would name the wrong object.
/// <c>GrainMessageSerializationTests</c> compares the bytes with the surrogate's.
/// </para>
/// </summary>
[RegisterSerializer]
public sealed class SiblingSetCodec : IFieldCodec<SiblingSet>
{
    /// <summary>
    /// The largest encoding for which a contiguous piece of buffer is asked; a writer may still give less (a pipe gives
    /// its own piece size), and then the encoding is made apart and copied in.
    /// </summary>
    private const int InPlaceAtMost = 4096;

    public void WriteField<TBufferWriter>(ref Writer<TBufferWriter> writer, uint fieldIdDelta, Type? expectedType, SiblingSet? value)
        where TBufferWriter : IBufferWriter<byte>
    {
        if (ReferenceCodec.TryWriteReferenceField(ref writer, fieldIdDelta, expectedType, value)) return;
        writer.WriteStartObject(fieldIdDelta, expectedType, typeof(SiblingSet));
        ReferenceCodec.MarkValueField(writer.Session); // the id the surrogate's array took
        writer.WriteFieldHeaderExpected(0, WireType.LengthPrefixed);
        int length = VersionCodec.EncodedLength(value!);
        writer.WriteVarUInt32((uint)length);
        if (length <= InPlaceAtMost) writer.EnsureContiguous(length);
        if (writer.WritableSpan.Length >= length)
        {
            VersionCodec.EncodeSiblingSet(value!, writer.WritableSpan[..length]);
            writer.AdvanceSpan(length);
        }
        else
        {
            // Larger than the buffer's pieces (a connection's pipe hands out 4 KiB whatever is asked): encoded apart
            // into a pooled array, which Orleans copies in piece by piece.
            byte[] encoding = ArrayPool<byte>.Shared.Rent(length);
            try
            {
                VersionCodec.EncodeSiblingSet(value!, encoding.AsSpan(0, length));
                writer.Write(encoding.AsSpan(0, length));
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(encoding);
            }
        }
        writer.WriteEndObject();
    }

    [return: System.Diagnostics.CodeAnalysis.MaybeNull]
    public SiblingSet ReadValue<TInput>(ref Reader<TInput> reader, Field field)
    {
        if (field.WireType == WireType.Reference) return ReferenceCodec.ReadReference<SiblingSet, TInput>(ref reader, field)!; // null: a field holding none
        if (field.FieldType is not null && field.FieldType != typeof(SiblingSet)) return reader.DeserializeUnexpectedType<TInput, SiblingSet>(ref field);
        field.EnsureWireTypeTagDelimited();
        uint placeholder = ReferenceCodec.CreateRecordPlaceholder(reader.Session);
        SiblingSet? set = null;
        uint id = 0;
        while (true)
        {
            var header = reader.ReadFieldHeader();
            if (header.IsEndBaseOrEndObject) break;
            id += header.FieldIdDelta;
            if (id == 0 && set is null) set = ReadEncoding(ref reader, header);
            else reader.ConsumeUnknownField(header);
        }
        if (set is null) throw new VersionFormatException("sibling set is missing from its message");
        ReferenceCodec.RecordObject(reader.Session, set, placeholder);
        return set;
    }

    private static SiblingSet ReadEncoding<TInput>(ref Reader<TInput> reader, Field header)
    {
        if (header.WireType != WireType.LengthPrefixed) return VersionCodec.DecodeSiblingSet(ByteArrayCodec.ReadValue(ref reader, header));
        uint length = reader.ReadVarUInt32();
        ReferenceCodec.MarkValueField(reader.Session); // the id the surrogate's array took
        if (length > int.MaxValue) throw new VersionFormatException($"sibling set declares {length} bytes");
        return reader.TryReadBytes((int)length, out var bytes)
            ? VersionCodec.DecodeSiblingSet(bytes)
            : VersionCodec.DecodeSiblingSet(reader.ReadBytes(length));
    }
}

/// <summary>A sibling set is immutable (its values are never written to once made), so a local call shares it.</summary>
[RegisterCopier]
public sealed class SiblingSetCopier : ShallowCopier<SiblingSet>;
