namespace OrleansDynamo.Protocol.Gateway;

/// <summary>A <see cref="DynamoException"/> as it crosses a grain call (silo to silo, or silo to the client SDK): its kind (by value, only ever appended) and message.</summary>
[GenerateSerializer, Immutable]
public readonly struct DynamoExceptionSurrogate(int kind, string message)
{
    [Id(0)] public readonly int Kind = kind;
    [Id(1)] public readonly string Message = message;
}

[RegisterConverter]
public sealed class DynamoExceptionConverter : IConverter<DynamoException, DynamoExceptionSurrogate>
{
    public DynamoException ConvertFromSurrogate(in DynamoExceptionSurrogate surrogate) =>
        new(Enum.IsDefined((DynamoErrorKind)surrogate.Kind) ? (DynamoErrorKind)surrogate.Kind : DynamoErrorKind.Internal, surrogate.Message);

    public DynamoExceptionSurrogate ConvertToSurrogate(in DynamoException value) => new((int)value.Kind, value.Message);
}
