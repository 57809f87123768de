using Google.Protobuf;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using OrleansDynamo.Protocol.Grpc;

namespace OrleansDynamo.Protocol;

/// <summary>Maps unary gRPC methods onto Kestrel endpoints, without the grpc-dotnet runtime.</summary>
public static class GrpcEndpointRouteBuilderExtensions
{
    /// <summary>
    /// Maps <c>POST /{service}/{method}</c> (e.g. <c>/orleansdynamo.v1.Dynamo/Put</c>) to <paramref name="handler"/>.
    /// Throw <see cref="RpcException"/> from the handler to answer with a status; an
    /// <see cref="OperationCanceledException"/> after the deadline becomes DEADLINE_EXCEEDED; any other exception INTERNAL.
    /// Uses <see cref="GrpcServerOptions"/> and <see cref="TimeProvider"/> from the services when registered.
    /// </summary>
    public static IEndpointConventionBuilder MapGrpcUnary<TRequest, TResponse>(this IEndpointRouteBuilder endpoints,
        string service, string method, Func<TRequest, GrpcCallContext, Task<TResponse>> handler)
        where TRequest : IMessage<TRequest>, new()
        where TResponse : IMessage<TResponse>
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentException.ThrowIfNullOrEmpty(service);
        ArgumentException.ThrowIfNullOrEmpty(method);
        ArgumentNullException.ThrowIfNull(handler);
        var services = endpoints.ServiceProvider;
        var options = services.GetService<IOptions<GrpcServerOptions>>()?.Value ?? new GrpcServerOptions();
        options.Validate();
        var time = services.GetService<TimeProvider>() ?? TimeProvider.System;
        var logger = services.GetService<ILoggerFactory>()?.CreateLogger(typeof(GrpcEndpointRouteBuilderExtensions).FullName!)
            ?? NullLogger.Instance;
        var call = new GrpcUnaryMethod<TRequest, TResponse>($"/{service}/{method}", handler, options, time, logger);
        services.GetService<GrpcMethodRegistry>()?.Add(call);
        return endpoints.MapPost(call.Path, (RequestDelegate)call.HandleAsync).WithDisplayName("gRPC " + call.Path);
    }

    /// <summary>
    /// Maps <c>/{service}/Batch</c>: a <see cref="BatchRequest"/> carries several calls of that service's unary
    /// methods (mapped before or after this), which run concurrently; the <see cref="BatchResponse"/> holds each
    /// call's status and response in order. A call of an unknown method (or of Batch itself) gets UNIMPLEMENTED
    /// without failing the others. The calls share the batch's cancellation (client gone, or the batch's
    /// deadline, which the client sets to the latest of its calls' deadlines); each call's own deadline is
    /// enforced by the client and passed to its handler as <see cref="GrpcCallContext.Deadline"/>.
    /// Needs a <see cref="GrpcMethodRegistry"/> in the services.
    /// </summary>
    public static IEndpointConventionBuilder MapGrpcBatch(this IEndpointRouteBuilder endpoints, string service)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentException.ThrowIfNullOrEmpty(service);
        var registry = endpoints.ServiceProvider.GetService<GrpcMethodRegistry>()
            ?? throw new InvalidOperationException("MapGrpcBatch needs a GrpcMethodRegistry service: services.AddSingleton<GrpcMethodRegistry>()");
        var time = endpoints.ServiceProvider.GetService<TimeProvider>() ?? TimeProvider.System;
        var prefix = $"/{service}/";
        var batchPath = prefix + GrpcBatching.MethodName;
        return endpoints.MapGrpcUnary<BatchRequest, BatchResponse>(service, GrpcBatching.MethodName, async (batch, call) =>
        {
            var calls = batch.Calls;
            var replies = new Task<BatchReply>[calls.Count];
            var now = time.GetUtcNow().UtcDateTime;
            for (var i = 0; i < replies.Length; i++)
            {
                var c = calls[i];
                var path = prefix + c.Method;
                if (path == batchPath || !registry.TryGet(path, out var method))
                {
                    replies[i] = Task.FromResult(new BatchReply { Status = (uint)StatusCode.Unimplemented, Detail = $"Method {path} is unimplemented." });
                    continue;
                }
                DateTime? deadline = c.TimeoutMicros is 0 or > GrpcBatching.MaxTimeoutMicros ? call.Deadline : now.AddTicks((long)c.TimeoutMicros * 10);
                replies[i] = method.InvokeAsync(c.Message, call.HttpContext, deadline, call.CancellationToken);
            }
            var response = new BatchResponse();
            foreach (var reply in replies)
                response.Replies.Add(await reply.ConfigureAwait(false));
            return response;
        });
    }
}
