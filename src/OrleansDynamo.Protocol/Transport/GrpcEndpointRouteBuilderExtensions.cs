using Google.Protobuf;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

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
        return endpoints.MapPost(call.Path, (RequestDelegate)call.HandleAsync).WithDisplayName("gRPC " + call.Path);
    }

    /// <summary>
    /// Answers any other gRPC call (<c>POST /{service}/{method}</c> with an <c>application/grpc</c> body) with
    /// UNIMPLEMENTED, at the lowest routing priority. Non-gRPC requests get 404.
    /// </summary>
    public static IEndpointConventionBuilder MapGrpcUnimplemented(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        return endpoints.MapPost("/{service}/{method}", (RequestDelegate)(http =>
        {
            if (!GrpcServerResponses.IsGrpcRequest(http.Request))
            {
                http.Response.StatusCode = StatusCodes.Status404NotFound;
                return Task.CompletedTask;
            }
            http.Response.ContentType = GrpcProtocol.ContentType;
            GrpcServerResponses.WriteStatus(http.Response, StatusCode.Unimplemented,
                $"Method {http.Request.Path.Value} is unimplemented.", trailersOnly: true);
            return Task.CompletedTask;
        })).WithOrder(int.MaxValue).WithDisplayName("gRPC unimplemented");
    }
}
