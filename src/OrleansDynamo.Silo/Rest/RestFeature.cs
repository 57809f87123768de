using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using OrleansDynamo.Core.Buckets;
using OrleansDynamo.Core.DataTypes;
using OrleansDynamo.Core.Versioning;
using OrleansDynamo.Silo.Api;
using OrleansDynamo.Silo.Coordination;
using OrleansDynamo.Silo.Dashboard;
using OrleansDynamo.Silo.Hosting;
using OrleansDynamo.Silo.Security;

namespace OrleansDynamo.Silo.Rest;

/// <summary>
/// The REST API on every silo's HTTP port, in the spirit of Riak's (docs/rest.md): <c>GET/PUT/DELETE
/// /buckets/{bucket}/keys/{key}</c> with the context in <c>X-Dynamo-Context</c> (300 Multiple Choices for siblings) and
/// the value's content type kept (a PUT's <c>Content-Type</c>, answered by reads: <see cref="ContentTypeOf"/>),
/// <c>GET/POST/DELETE /types/{bucket}/keys/{key}</c> for the typed buckets (JSON operations and values,
/// <see cref="RestDataTypes"/>), <c>GET/PUT /buckets/{bucket}/props</c>. Every call goes to <see cref="SiloApi"/>, as the
/// gRPC service's do, so validation and limits are the same; the Host check and the API keys are the dashboard's
/// (<see cref="DashboardAccess"/>, <see cref="ApiAuthorizer"/>): a data key reads and writes, an admin key changes props.
/// Failures are JSON <c>{"error", "code"}</c> (<see cref="RestErrors"/>). Request bodies are bounded by
/// <see cref="Limits.LimitsOptions.MaxRequestBytes"/> (<see cref="Limits.RequestBoundsMiddleware"/>).
/// </summary>
public sealed class RestFeature : ISiloFeature
{
    /// <summary>The causal context of a value, base64 (the SDK's opaque context), in requests and answers.</summary>
    public const string ContextHeader = "X-Dynamo-Context";

    /// <summary>The silo that coordinated the request.</summary>
    public const string CoordinatorHeader = "X-Dynamo-Coordinator";

    /// <summary>A sibling's timestamp (ms since the epoch) in a multipart answer.</summary>
    public const string TimestampHeader = "X-Dynamo-Timestamp";

    /// <summary>Marks a sibling that is a delete marker in a multipart answer.</summary>
    public const string DeletedHeader = "X-Dynamo-Deleted";

    public const string Keys = "/buckets/{bucket}/keys/{*key}";
    public const string Props = "/buckets/{bucket}/props";
    public const string TypedKeys = "/types/{bucket}/keys/{*key}";

    private const string JsonType = "application/json; charset=utf-8";

    private SiloRuntime _silo = null!;
    private ILogger _log = null!;
    private SiloApi _api = null!;
    private DashboardAccess _access = null!;

    /// <summary>True for a request that may carry a body: a PUT or POST under <c>/buckets/</c> or <c>/types/</c>.</summary>
    public static bool TakesBody(HttpRequest request) =>
        (HttpMethods.IsPut(request.Method) || HttpMethods.IsPost(request.Method))
        && (request.Path.StartsWithSegments("/buckets") || request.Path.StartsWithSegments("/types"));

    public void Install(SiloRuntime silo)
    {
        _silo = silo;
        _api = new SiloApi(silo);
        _log = silo.Loggers.CreateLogger<RestFeature>();
        _access = new DashboardAccess(silo.Options, new ApiAuthorizer(silo.Options.Auth, silo.Loggers.CreateLogger<ApiAuthorizer>()),
            new JsonSerializerOptions(JsonSerializerDefaults.Web));
        silo.EndpointMappers.Add(Map);
    }

    private void Map(IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet(Keys, (HttpContext http, string bucket, string? key) => Run(http, ApiVerb.Get, null, ct => GetAsync(http, bucket, key ?? "", ct)));
        endpoints.MapPut(Keys, (HttpContext http, string bucket, string? key) => Run(http, ApiVerb.Put, null, ct => PutAsync(http, bucket, key ?? "", ct)));
        endpoints.MapDelete(Keys, (HttpContext http, string bucket, string? key) => Run(http, ApiVerb.Delete, null, ct => DeleteAsync(http, bucket, key ?? "", ct)));
        endpoints.MapGet(Props, (HttpContext http, string bucket) => Run(http, ApiVerb.Ring, null, _ => GetPropsAsync(http, bucket)));
        endpoints.MapPut(Props, (HttpContext http, string bucket) => Run(http, ApiVerb.CreateBucket, $"bucket '{bucket}' over REST", ct => PutPropsAsync(http, bucket, ct)));
        endpoints.MapGet(TypedKeys, (HttpContext http, string bucket, string? key) => Run(http, ApiVerb.Get, null, ct => FetchAsync(http, bucket, key ?? "", ct)));
        endpoints.MapPost(TypedKeys, (HttpContext http, string bucket, string? key) => Run(http, ApiVerb.Put, null, ct => UpdateAsync(http, bucket, key ?? "", ct)));
        endpoints.MapDelete(TypedKeys, (HttpContext http, string bucket, string? key) => Run(http, ApiVerb.Delete, null, ct => DeleteTypedAsync(http, bucket, key ?? "", ct)));
        foreach (var fallback in new[] { "/buckets/{**path}", "/types/{**path}" })
        {
            endpoints.MapFallback(fallback, (HttpContext http) => _access.Refusal(http, null) is { } refusal ? refusal.ExecuteAsync(http)
                : RestErrors.WriteAsync(http, StatusCodes.Status404NotFound, RestErrors.NotFound, $"no such route: {http.Request.Method} {http.Request.Path}; see docs/rest.md"));
        }
    }

    /// <summary>Checks the Host and the key for <paramref name="verb"/>, runs the handler, and answers its failure as JSON.</summary>
    private async Task Run(HttpContext http, ApiVerb verb, string? what, Func<CancellationToken, Task> handler)
    {
        if (_access.Refusal(http, verb, what) is { } refusal)
        {
            await refusal.ExecuteAsync(http);
            return;
        }
        try
        {
            await handler(http.RequestAborted);
        }
        catch (Exception e) when (!http.Response.HasStarted && RestErrors.Of(e, http) is { } error)
        {
            if (error.Status == StatusCodes.Status500InternalServerError)
                _log.LogError(e, "REST {Method} {Path} failed", http.Request.Method, http.Request.Path);
            await RestErrors.WriteAsync(http, error.Status, error.Code, error.Message);
        }
    }

    private async Task GetAsync(HttpContext http, string bucket, string key, CancellationToken ct)
    {
        var outcome = await _api.GetAsync(new GetCommand(bucket, key, Quorum(http, "r"), Quorum(http, "pr")), ct);
        SetContext(http, VersionCodec.EncodeContext(outcome.Context), outcome.Coordinator);
        var siblings = outcome.Found ? outcome.Siblings : [];
        if (siblings.Length == 0 || siblings.All(s => s.Tombstone))
        {
            await RestErrors.WriteAsync(http, StatusCodes.Status404NotFound, RestErrors.NotFound, $"key '{key}' not found in bucket '{bucket}'");
            return;
        }
        if (siblings.Length == 1)
        {
            http.Response.ContentType = ContentTypeOf(siblings[0]);
            await http.Response.Body.WriteAsync(siblings[0].Value, ct);
            return;
        }
        http.Response.StatusCode = StatusCodes.Status300MultipleChoices;
        if (AcceptsMultipart(http.Request))
        {
            await WriteMultipartAsync(http, siblings, ct);
            return;
        }
        http.Response.ContentType = JsonType;
        await using var writer = new Utf8JsonWriter(http.Response.Body, RestErrors.Writer);
        writer.WriteStartObject();
        writer.WriteStartArray("siblings");
        foreach (var s in siblings)
        {
            writer.WriteStartObject();
            if (PrintableText.Of(s.Value) is { } text) writer.WriteString("value", text);
            writer.WriteBase64String("value_base64", s.Value);
            writer.WriteString("content_type", ContentTypeOf(s));
            writer.WriteBoolean("deleted", s.Tombstone);
            writer.WriteNumber("timestamp_ms", s.TimestampMs);
            writer.WriteEndObject();
        }
        writer.WriteEndArray();
        writer.WriteString("context", VersionCodec.EncodeContext(outcome.Context));
        writer.WriteEndObject();
    }

    /// <summary>
    /// The type a read answers for a sibling: the one its PUT gave (checked printable ASCII, so it is safe in a header), or
    /// <c>application/octet-stream</c> for a value written without one (through the SDK or gRPC, or a PUT with no
    /// <c>Content-Type</c>) and for a delete marker.
    /// </summary>
    private static string ContentTypeOf(Sibling sibling) => sibling.ContentType ?? ContentTypes.OctetStream;

    private static bool AcceptsMultipart(HttpRequest request) =>
        request.Headers.Accept.Any(a => a is not null && a.Contains("multipart/mixed", StringComparison.OrdinalIgnoreCase));

    /// <summary>Every sibling as one part of a <c>multipart/mixed</c> body, with its content type, timestamp and delete mark.</summary>
    private static async Task WriteMultipartAsync(HttpContext http, IReadOnlyList<Sibling> siblings, CancellationToken ct)
    {
        string boundary = "dynamo-" + Guid.NewGuid().ToString("N");
        http.Response.ContentType = $"multipart/mixed; boundary={boundary}";
        var body = http.Response.Body;
        foreach (var s in siblings)
        {
            var head = new StringBuilder().Append("--").Append(boundary).Append("\r\n")
                .Append("Content-Type: ").Append(ContentTypeOf(s)).Append("\r\n")
                .Append(TimestampHeader).Append(": ").Append(s.TimestampMs.ToString(CultureInfo.InvariantCulture)).Append("\r\n");
            if (s.Tombstone) head.Append(DeletedHeader).Append(": true\r\n");
            await body.WriteAsync(Encoding.ASCII.GetBytes(head.Append("\r\n").ToString()), ct);
            await body.WriteAsync(s.Value, ct);
            await body.WriteAsync("\r\n"u8.ToArray(), ct);
        }
        await body.WriteAsync(Encoding.ASCII.GetBytes($"--{boundary}--\r\n"), ct);
    }

    private async Task PutAsync(HttpContext http, string bucket, string key, CancellationToken ct)
    {
        var value = await ReadBodyAsync(http, ct);
        // The request's Content-Type is kept as sent; the coordinator refuses one that is not a media type (400, nothing written).
        string? contentType = http.Request.ContentType is { Length: > 0 } sent ? sent : null;
        var outcome = await _api.PutAsync(new PutCommand(bucket, key, value, RequestContext(http), false, Quorum(http, "w"), Quorum(http, "pw"),
            ContentType: contentType), ct);
        SetContext(http, VersionCodec.EncodeContext(outcome.Context), outcome.Coordinator);
        http.Response.StatusCode = StatusCodes.Status204NoContent;
    }

    private async Task DeleteAsync(HttpContext http, string bucket, string key, CancellationToken ct)
    {
        var outcome = await _api.PutAsync(new PutCommand(bucket, key, [], RequestContext(http), true, Quorum(http, "w"), Quorum(http, "pw")), ct);
        SetContext(http, VersionCodec.EncodeContext(outcome.Context), outcome.Coordinator);
        http.Response.StatusCode = StatusCodes.Status204NoContent;
    }

    private Task GetPropsAsync(HttpContext http, string bucket)
    {
        if (!_silo.Membership.State.Buckets.TryGetValue(bucket, out var settings))
            throw new DynamoException(DynamoErrorKind.NotFound, $"unknown bucket '{bucket}'; create it with `dynamo bucket create {bucket}` or PUT /buckets/{bucket}/props");
        return WritePropsAsync(http, settings);
    }

    /// <summary>
    /// Creates a bucket or changes it, as <c>dynamo bucket create</c> does: a JSON object of <c>type</c>, <c>n</c>,
    /// <c>r</c>, <c>w</c>, <c>pr</c>, <c>pw</c>, <c>policy</c>, <c>max_value_bytes</c> and <c>force</c>, any left out.
    /// </summary>
    private async Task PutPropsAsync(HttpContext http, string bucket, CancellationToken ct)
    {
        using var doc = await ReadJsonAsync(http, ct);
        var props = doc.RootElement;
        if (props.ValueKind != JsonValueKind.Object) throw DynamoException.Invalid("bucket props are a JSON object");
        int n = 0, r = 0, w = 0, pr = 0, pw = 0, maxValueBytes = 0;
        string? type = null, policy = null;
        bool force = false;
        foreach (var p in props.EnumerateObject())
        {
            switch (p.Name)
            {
                case "n": n = Count(p); break;
                case "r": r = Count(p); break;
                case "w": w = Count(p); break;
                case "pr": pr = Count(p); break;
                case "pw": pw = Count(p); break;
                case "max_value_bytes": maxValueBytes = Count(p); break;
                case "type": type = Text(p); break;
                case "policy": policy = Text(p); break;
                case "force": force = p.Value.ValueKind == JsonValueKind.True || (p.Value.ValueKind != JsonValueKind.False ? throw DynamoException.Invalid("'force' is true or false") : false); break;
                case "name": break;
                default: throw DynamoException.Invalid($"unknown bucket prop '{p.Name}'; use type, n, r, w, pr, pw, policy, max_value_bytes, force");
            }
        }
        var settings = await _api.CreateBucketAsync(new BucketRequest(bucket, n, r, w, policy ?? "siblings", maxValueBytes, pr, pw, force, type), ct);
        await WritePropsAsync(http, settings);

        static int Count(JsonProperty p) => p.Value.ValueKind == JsonValueKind.Number && p.Value.TryGetInt32(out int v) && v >= 0
            ? v : throw DynamoException.Invalid($"'{p.Name}' is a whole number of at least 0");

        static string Text(JsonProperty p) => p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString()! : throw DynamoException.Invalid($"'{p.Name}' is a string");
    }

    private static async Task WritePropsAsync(HttpContext http, BucketSettings b)
    {
        http.Response.ContentType = JsonType;
        await using var writer = new Utf8JsonWriter(http.Response.Body, RestErrors.Writer);
        writer.WriteStartObject();
        writer.WriteString("name", b.Name);
        writer.WriteString("type", b.TypeName);
        writer.WriteNumber("n", b.N);
        writer.WriteNumber("r", b.R);
        writer.WriteNumber("w", b.W);
        writer.WriteNumber("pr", b.PR);
        writer.WriteNumber("pw", b.PW);
        writer.WriteString("policy", BucketSettings.PolicyName(b.Policy));
        writer.WriteNumber("max_value_bytes", b.MaxValueBytes);
        writer.WriteEndObject();
    }

    private async Task FetchAsync(HttpContext http, string bucket, string key, CancellationToken ct)
    {
        var outcome = await _api.FetchAsync(new FetchCommand(bucket, key, Quorum(http, "r"), Quorum(http, "pr")), ct);
        var state = DataTypeCodec.Decode(outcome.State);
        string context = DataTypeCodec.EncodeContext(state.Context);
        SetContext(http, context, outcome.Coordinator);
        if (!outcome.Found)
        {
            await RestErrors.WriteAsync(http, StatusCodes.Status404NotFound, RestErrors.NotFound, $"key '{key}' not found in bucket '{bucket}'");
            return;
        }
        await WriteTypedAsync(http, state, context);
    }

    private async Task UpdateAsync(HttpContext http, string bucket, string key, CancellationToken ct)
    {
        var (settings, _) = _silo.Coordinator.Resolve(_silo.Membership.State, bucket, key);
        var kind = settings.DataType ?? throw new DynamoException(DynamoErrorKind.FailedPrecondition,
            $"bucket '{bucket}' is a key-value bucket (type kv): use /buckets/{bucket}/keys/{{key}}");
        using var doc = await ReadJsonAsync(http, ct);
        var operations = RestDataTypes.Parse(doc.RootElement, kind);
        string? observed = RequestContext(http);
        UpdateOutcome? outcome = null;
        foreach (var op in operations)
        {
            outcome = await _api.UpdateAsync(new UpdateCommand(bucket, key, DataTypeOperationCodec.Encode(op), observed, Quorum(http, "w"), Quorum(http, "pw")), ct);
        }
        var state = DataTypeCodec.Decode(outcome!.State);
        string context = DataTypeCodec.EncodeContext(state.Context);
        SetContext(http, context, outcome.Coordinator);
        await WriteTypedAsync(http, state, context);
    }

    private async Task DeleteTypedAsync(HttpContext http, string bucket, string key, CancellationToken ct)
    {
        var outcome = await _api.UpdateAsync(new UpdateCommand(bucket, key, null, RequestContext(http), Quorum(http, "w"), Quorum(http, "pw")), ct);
        SetContext(http, DataTypeCodec.EncodeContext(DataTypeCodec.Decode(outcome.State).Context), outcome.Coordinator);
        http.Response.StatusCode = StatusCodes.Status204NoContent;
    }

    private static async Task WriteTypedAsync(HttpContext http, DataTypeState state, string context)
    {
        http.Response.ContentType = JsonType;
        await using var writer = new Utf8JsonWriter(http.Response.Body, RestErrors.Writer);
        RestDataTypes.Write(writer, state, context);
    }

    private static void SetContext(HttpContext http, string context, string coordinator)
    {
        http.Response.Headers[ContextHeader] = context;
        http.Response.Headers[CoordinatorHeader] = coordinator;
    }

    /// <summary>The context the request sent (null: none; the coordinator checks it is base64 of a context).</summary>
    private static string? RequestContext(HttpContext http) =>
        http.Request.Headers[ContextHeader].ToString() is { Length: > 0 } context ? context.Trim() : null;

    /// <summary>A quorum query parameter (<c>r</c>, <c>pr</c>, <c>w</c>, <c>pw</c>); 0 when absent: the bucket's.</summary>
    private static int Quorum(HttpContext http, string name)
    {
        string? text = http.Request.Query[name];
        if (string.IsNullOrEmpty(text)) return 0;
        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int n)
            ? n : throw DynamoException.Invalid($"query parameter {name}={text}: expected a whole number of at least 0");
    }

    /// <summary>
    /// The request's body, at most <see cref="Limits.LimitsOptions.MaxRequestBytes"/> (the middleware refused a longer
    /// declared one already; Kestrel stops a longer chunked one, which answers 413).
    /// </summary>
    private async Task<byte[]> ReadBodyAsync(HttpContext http, CancellationToken ct)
    {
        int limit = _silo.Options.Limits.MaxRequestBytes;
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = await http.Request.Body.ReadAsync(chunk, ct)) > 0)
        {
            if (buffer.Length + read > limit)
                throw new BadHttpRequestException(Limits.RequestBoundsMiddleware.TooLargeMessage(buffer.Length + read, _silo.Options, atLeast: true),
                    StatusCodes.Status413PayloadTooLarge);
            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
    }

    private async Task<JsonDocument> ReadJsonAsync(HttpContext http, CancellationToken ct)
    {
        var body = await ReadBodyAsync(http, ct);
        if (body.Length == 0) throw DynamoException.Invalid("the request has no body; send a JSON object");
        return JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = 32 });
    }

}
