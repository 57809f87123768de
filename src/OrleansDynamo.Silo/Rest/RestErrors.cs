using System.Text.Json;
using Microsoft.AspNetCore.Http;
using OrleansDynamo.Storage;

namespace OrleansDynamo.Silo.Rest;

/// <summary>
/// How the REST API answers a failure: an HTTP status and the JSON body <c>{"error": "...", "code": "..."}</c>. The codes
/// are stable (docs/rest.md lists them); the messages are for people and may change.
/// </summary>
public static class RestErrors
{
    public const string InvalidArgument = "invalid_argument";
    public const string NotFound = "not_found";
    public const string FailedPrecondition = "failed_precondition";
    public const string Unavailable = "unavailable";
    public const string Timeout = "timeout";
    public const string Unauthenticated = "unauthenticated";
    public const string PermissionDenied = "permission_denied";
    public const string TooLarge = "too_large";
    public const string UnsupportedMediaType = "unsupported_media_type";
    public const string Internal = "internal";

    /// <summary>The status and code of a <see cref="DynamoErrorKind"/>.</summary>
    public static (int Status, string Code) Of(DynamoErrorKind kind) => kind switch
    {
        DynamoErrorKind.InvalidArgument => (StatusCodes.Status400BadRequest, InvalidArgument),
        DynamoErrorKind.NotFound => (StatusCodes.Status404NotFound, NotFound),
        DynamoErrorKind.FailedPrecondition => (StatusCodes.Status409Conflict, FailedPrecondition),
        DynamoErrorKind.Unavailable => (StatusCodes.Status503ServiceUnavailable, Unavailable),
        DynamoErrorKind.Timeout => (StatusCodes.Status504GatewayTimeout, Timeout),
        DynamoErrorKind.Unauthenticated => (StatusCodes.Status401Unauthorized, Unauthenticated),
        DynamoErrorKind.PermissionDenied => (StatusCodes.Status403Forbidden, PermissionDenied),
        _ => (StatusCodes.Status500InternalServerError, Internal),
    };

    /// <summary>The status, code and message a failure is answered with (null: the caller went away, nothing to answer).</summary>
    public static (int Status, string Code, string Message)? Of(Exception e, HttpContext http) => e switch
    {
        DynamoException d => With(Of(d.Kind), d.Message),
        StorageLimitException l => (StatusCodes.Status400BadRequest, InvalidArgument, l.Message),
        StorageFullException f => (StatusCodes.Status503ServiceUnavailable, Unavailable, f.Message),
        BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge } => (StatusCodes.Status413PayloadTooLarge, TooLarge, e.Message),
        BadHttpRequestException b => (b.StatusCode, InvalidArgument, b.Message),
        JsonException j => (StatusCodes.Status400BadRequest, InvalidArgument, "the body is not valid JSON: " + j.Message),
        OperationCanceledException when http.RequestAborted.IsCancellationRequested => null,
        OperationCanceledException => (StatusCodes.Status504GatewayTimeout, Timeout, "the request's deadline passed"),
        _ => (StatusCodes.Status500InternalServerError, Internal, e.GetType().Name + ": " + e.Message),
    };

    private static (int, string, string) With((int Status, string Code) kind, string message) => (kind.Status, kind.Code, message);

    /// <summary>Writes the JSON error (a 401 also carries the Bearer challenge).</summary>
    public static Task WriteAsync(HttpContext http, int status, string code, string message)
    {
        http.Response.StatusCode = status;
        if (status == StatusCodes.Status401Unauthorized) http.Response.Headers.WWWAuthenticate = "Bearer";
        http.Response.ContentType = "application/json; charset=utf-8";
        return http.Response.Body.WriteAsync(JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, string> { ["error"] = message, ["code"] = code }, Json)).AsTask();
    }

    /// <summary>JSON as people read it: quotes and non-ASCII letters as they are (the body is UTF-8, never HTML).</summary>
    public static readonly JsonWriterOptions Writer = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static readonly JsonSerializerOptions Json = new() { Encoder = Writer.Encoder };
}
