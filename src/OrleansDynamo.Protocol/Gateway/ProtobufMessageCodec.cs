using System.Buffers;
using Google.Protobuf;
using Orleans.Serialization;
using Orleans.Serialization.Buffers;
using Orleans.Serialization.Cloning;
using Orleans.Serialization.Codecs;
using Orleans.Serialization.WireProtocol;
using OrleansDynamo.Protocol.Grpc;

namespace OrleansDynamo.Protocol.Gateway;

/// <summary>
/// Carries one of the client API's generated protobuf messages in Orleans grain calls, in its own protobuf encoding
/// (a length-prefixed field): the grain calls and the gRPC service share one message set and one mapping. One sealed
/// codec per message of <see cref="IDynamoApi"/> (below), registered with Orleans by the code generator
/// (<c>[RegisterSerializer]</c>, <c>[RegisterCopier]</c>): any Orleans silo or client that loads this assembly knows them.
/// </summary>
public abstract class ProtobufMessageCodec<T> : IFieldCodec<T>, IDeepCopier<T> where T : class, IMessage<T>, new()
{
    private static readonly MessageParser<T> Parser = new(() => new T());

    void IFieldCodec<T>.WriteField<TBufferWriter>(ref Writer<TBufferWriter> writer, uint fieldIdDelta, Type? expectedType, T? value)
    {
        if (ReferenceCodec.TryWriteReferenceField(ref writer, fieldIdDelta, expectedType, value)) return;
        writer.WriteFieldHeader(fieldIdDelta, expectedType, typeof(T), WireType.LengthPrefixed);
        int size = value!.CalculateSize();
        writer.WriteVarUInt32((uint)size);
        byte[] buffer = ArrayPool<byte>.Shared.Rent(Math.Max(size, 1));
        try
        {
            value.WriteTo(buffer.AsSpan(0, size));
            writer.Write(buffer.AsSpan(0, size));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    T IFieldCodec<T>.ReadValue<TInput>(ref Reader<TInput> reader, Field field)
    {
        if (field.WireType == WireType.Reference) return ReferenceCodec.ReadReference<T, TInput>(ref reader, field)!;
        field.EnsureWireType(WireType.LengthPrefixed);
        uint length = reader.ReadVarUInt32();
        if (length > int.MaxValue) throw new InvalidOperationException($"a {typeof(T).Name} of {length} bytes is too large");
        reader.EnsureAvailable(length);
        byte[] buffer = ArrayPool<byte>.Shared.Rent(Math.Max((int)length, 1));
        T result;
        try
        {
            reader.ReadBytes(buffer.AsSpan(0, (int)length));
            result = Parser.ParseFrom(buffer, 0, (int)length);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
        ReferenceCodec.RecordObject(reader.Session, result);
        return result;
    }

    /// <summary>Generated messages are mutable: a copy (for a call that stays in one process) is a clone.</summary>
    public T? DeepCopy(T? input, CopyContext context) => input?.Clone();
}

#pragma warning disable CS1591 // one line each: the codec of the message it names
[RegisterSerializer, RegisterCopier] public sealed class GetRequestCodec : ProtobufMessageCodec<GetRequest>;
[RegisterSerializer, RegisterCopier] public sealed class GetResponseCodec : ProtobufMessageCodec<GetResponse>;
[RegisterSerializer, RegisterCopier] public sealed class PutRequestCodec : ProtobufMessageCodec<PutRequest>;
[RegisterSerializer, RegisterCopier] public sealed class PutResponseCodec : ProtobufMessageCodec<PutResponse>;
[RegisterSerializer, RegisterCopier] public sealed class DeleteRequestCodec : ProtobufMessageCodec<DeleteRequest>;
[RegisterSerializer, RegisterCopier] public sealed class GetRingRequestCodec : ProtobufMessageCodec<GetRingRequest>;
[RegisterSerializer, RegisterCopier] public sealed class RingInfoCodec : ProtobufMessageCodec<RingInfo>;
[RegisterSerializer, RegisterCopier] public sealed class StatusRequestCodec : ProtobufMessageCodec<StatusRequest>;
[RegisterSerializer, RegisterCopier] public sealed class StatusResponseCodec : ProtobufMessageCodec<StatusResponse>;
[RegisterSerializer, RegisterCopier] public sealed class CreateBucketRequestCodec : ProtobufMessageCodec<CreateBucketRequest>;
[RegisterSerializer, RegisterCopier] public sealed class BucketInfoCodec : ProtobufMessageCodec<BucketInfo>;
[RegisterSerializer, RegisterCopier] public sealed class GetReplicasRequestCodec : ProtobufMessageCodec<GetReplicasRequest>;
[RegisterSerializer, RegisterCopier] public sealed class GetReplicasResponseCodec : ProtobufMessageCodec<GetReplicasResponse>;
[RegisterSerializer, RegisterCopier] public sealed class JoinRequestCodec : ProtobufMessageCodec<JoinRequest>;
[RegisterSerializer, RegisterCopier] public sealed class LeaveRequestCodec : ProtobufMessageCodec<LeaveRequest>;
[RegisterSerializer, RegisterCopier] public sealed class RepairRequestCodec : ProtobufMessageCodec<RepairRequest>;
[RegisterSerializer, RegisterCopier] public sealed class AdminResponseCodec : ProtobufMessageCodec<AdminResponse>;
[RegisterSerializer, RegisterCopier] public sealed class UpdateRequestCodec : ProtobufMessageCodec<UpdateRequest>;
[RegisterSerializer, RegisterCopier] public sealed class UpdateResponseCodec : ProtobufMessageCodec<UpdateResponse>;
[RegisterSerializer, RegisterCopier] public sealed class FetchRequestCodec : ProtobufMessageCodec<FetchRequest>;
[RegisterSerializer, RegisterCopier] public sealed class FetchResponseCodec : ProtobufMessageCodec<FetchResponse>;
[RegisterSerializer, RegisterCopier] public sealed class ReadReplicaRequestCodec : ProtobufMessageCodec<ReadReplicaRequest>;
[RegisterSerializer, RegisterCopier] public sealed class ReadReplicaResponseCodec : ProtobufMessageCodec<ReadReplicaResponse>;
#pragma warning restore CS1591
