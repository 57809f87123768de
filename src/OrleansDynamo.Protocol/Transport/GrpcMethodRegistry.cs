using System.Collections.Concurrent;
using Google.Protobuf;
using Microsoft.AspNetCore.Http;
using OrleansDynamo.Protocol.Grpc;

namespace OrleansDynamo.Protocol;

/// <summary>A mapped unary method that can also run as one call of a batch.</summary>
internal interface IGrpcBatchableMethod
{
    string Path { get; }

    Task<BatchReply> InvokeAsync(ByteString message, HttpContext http, DateTime? deadline, CancellationToken token);
}

/// <summary>
/// The unary methods mapped on one server, by path, so that <c>/{service}/Batch</c> can run them. Register one
/// instance in the server's services (<c>services.AddSingleton&lt;GrpcMethodRegistry&gt;()</c>); every
/// <see cref="GrpcEndpointRouteBuilderExtensions.MapGrpcUnary{TRequest,TResponse}"/> then records its method here.
/// </summary>
public sealed class GrpcMethodRegistry
{
    private readonly ConcurrentDictionary<string, IGrpcBatchableMethod> _methods = new(StringComparer.Ordinal);

    /// <summary>The paths registered, e.g. <c>/orleansdynamo.v1.Silo/ReplicaWrite</c>.</summary>
    public IReadOnlyCollection<string> Paths => (IReadOnlyCollection<string>)_methods.Keys;

    internal void Add(IGrpcBatchableMethod method)
    {
        if (!_methods.TryAdd(method.Path, method))
            throw new InvalidOperationException($"gRPC method {method.Path} is mapped twice");
    }

    internal bool TryGet(string path, out IGrpcBatchableMethod method) => _methods.TryGetValue(path, out method!);
}
