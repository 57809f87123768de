using System.Globalization;
using Microsoft.AspNetCore.Http;

namespace OrleansDynamo.Protocol;

/// <summary>Writing gRPC statuses on a Kestrel response, shared by mapped methods and the unimplemented fallback.</summary>
internal static class GrpcServerResponses
{
    /// <summary>True when the request's content type is <c>application/grpc</c> or <c>application/grpc+...</c>.</summary>
    public static bool IsGrpcRequest(HttpRequest request)
    {
        var contentType = request.ContentType;
        if (contentType is null || !contentType.StartsWith(GrpcProtocol.ContentType, StringComparison.OrdinalIgnoreCase))
            return false;
        if (contentType.Length == GrpcProtocol.ContentType.Length)
            return true;
        var next = contentType[GrpcProtocol.ContentType.Length];
        return next is '+' or ';';
    }

    /// <summary>
    /// Writes the status: as trailers after a message, or in the headers of a "trailers-only" response
    /// (no body) when <paramref name="trailersOnly"/> is set.
    /// </summary>
    public static void WriteStatus(HttpResponse response, StatusCode code, string? detail, bool trailersOnly)
    {
        var status = ((int)code).ToString(CultureInfo.InvariantCulture);
        var message = string.IsNullOrEmpty(detail) ? null : GrpcProtocol.EncodeMessage(detail);
        if (trailersOnly)
        {
            response.Headers[GrpcProtocol.StatusTrailer] = status;
            if (message is not null)
                response.Headers[GrpcProtocol.MessageTrailer] = message;
            return;
        }
        if (!response.SupportsTrailers())
            return;
        response.AppendTrailer(GrpcProtocol.StatusTrailer, status);
        if (message is not null)
            response.AppendTrailer(GrpcProtocol.MessageTrailer, message);
    }
}
