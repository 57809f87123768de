using Google.Protobuf;
using Microsoft.AspNetCore.Routing;
using OrleansDynamo.Protocol;

namespace OrleansDynamo.Silo.Transport.Grpc;

/// <summary>A silo-to-silo method on the wire: mapped on the server, called from the client.</summary>
public interface ISiloWireMethod
{
    Type RequestType { get; }

    string Method { get; }

    void Map(IEndpointRouteBuilder endpoints, SiloRequestDispatcher dispatcher);
}

/// <summary>The client half, typed by the domain response.</summary>
public interface ISiloWireClient<TResponse>
{
    Task<TResponse> CallAsync(GrpcCallBatcher calls, ISiloRequest<TResponse> request, TimeSpan timeout, CancellationToken cancellationToken);
}

/// <summary>
/// Maps one domain request/response pair to protobuf messages and the gRPC method
/// <c>/orleansdynamo.v1.Silo/{Method}</c>. Generated types stay inside these mappings.
/// </summary>
public sealed class SiloWireMethod<TRequest, TResponse, TRequestProto, TResponseProto>(
    string method,
    Func<TRequest, TRequestProto> encodeRequest,
    Func<TRequestProto, TRequest> decodeRequest,
    Func<TResponse, TResponseProto> encodeResponse,
    Func<TResponseProto, TResponse> decodeResponse) : ISiloWireMethod, ISiloWireClient<TResponse>
    where TRequest : ISiloRequest<TResponse>
    where TRequestProto : IMessage<TRequestProto>, new()
    where TResponseProto : IMessage<TResponseProto>, new()
{
    private static readonly MessageParser<TResponseProto> Parser = new(() => new TResponseProto());

    public Type RequestType => typeof(TRequest);

    public string Method { get; } = method;

    public void Map(IEndpointRouteBuilder endpoints, SiloRequestDispatcher dispatcher) =>
        endpoints.MapGrpcUnary<TRequestProto, TResponseProto>(SiloWireMethods.Service, Method, (proto, call) =>
            GrpcErrors.Guard(async () => encodeResponse(await dispatcher.DispatchAsync(decodeRequest(proto), call.CancellationToken))));

    public async Task<TResponse> CallAsync(GrpcCallBatcher calls, ISiloRequest<TResponse> request, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var response = await calls.UnaryAsync(Method, encodeRequest((TRequest)request), Parser, timeout, cancellationToken);
        return decodeResponse(response);
    }
}
