using System.Text.Json;
using Microsoft.AspNetCore.Http;
using OrleansDynamo.Protocol.Security;
using OrleansDynamo.Silo.Hosting;
using OrleansDynamo.Silo.Security;

namespace OrleansDynamo.Silo.Dashboard;

/// <summary>
/// Who the dashboard and its JSON API answer. Every request must name this silo in its Host header (its
/// <c>Silo:Host</c>, a name of <see cref="AuthOptions.HttpHosts"/>, or on a loopback silo a loopback name): a page of
/// another site cannot reach the API through DNS rebinding. With API keys configured, the views need a key of any role
/// and the key lookup an admin key, in the <c>Authorization: Bearer KEY</c> header, checked by the same
/// <see cref="ApiAuthorizer"/> as the client API. The per-silo answers the silos fetch from each other
/// (<c>scope=raw</c> and <c>scope=silo</c>) carry only counts, as <c>/metrics</c> does, and need no key. The Orleans
/// dashboard's page cannot send a bearer key: there the key may also come as the password of HTTP Basic authentication,
/// which a browser asks for itself when the answer is 401 with a Basic challenge.
/// </summary>
public sealed class DashboardAccess
{
    private readonly HashSet<string> _hosts = new(StringComparer.OrdinalIgnoreCase);
    private readonly ApiAuthorizer _auth;
    private readonly JsonSerializerOptions _json;

    public DashboardAccess(SiloOptions options, ApiAuthorizer auth, JsonSerializerOptions json)
    {
        _auth = auth;
        _json = json;
        _hosts.Add(options.Host);
        _hosts.UnionWith(options.Auth.HttpHosts);
        if (TlsOptions.IsLoopback(options.Host)) _hosts.UnionWith(["localhost", "127.0.0.1", "[::1]"]);
    }

    /// <summary>
    /// Null when <paramref name="http"/> may have what it asks for (<paramref name="verb"/>: what the route needs a key
    /// for, null for none), else the answer: 400 for a Host not of this silo, 401 without a known key, 403 for a key
    /// whose role does not allow the verb.
    /// </summary>
    /// <param name="basic">Also take the key as the password of HTTP Basic authentication, and challenge for it.</param>
    public IResult? Refusal(HttpContext http, ApiVerb? verb, string? what = null, bool basic = false)
    {
        if (!_hosts.Contains(http.Request.Host.Host))
            return Error(StatusCodes.Status400BadRequest, Rest.RestErrors.InvalidArgument, $"this silo does not answer to Host '{http.Request.Host.Host}'");
        if (verb is not { } v) return null;
        try
        {
            string? authorization = http.Request.Headers.Authorization;
            _auth.Authorize(ApiKeys.FromBearer(authorization) ?? (basic ? FromBasic(authorization) : null), v, what);
            return null;
        }
        catch (DynamoException e) when (e.Kind == DynamoErrorKind.Unauthenticated)
        {
            http.Response.Headers.WWWAuthenticate = basic ? "Basic realm=\"OrleansDynamo\", charset=\"UTF-8\"" : "Bearer";
            return Error(StatusCodes.Status401Unauthorized, Rest.RestErrors.Unauthenticated, e.Message);
        }
        catch (DynamoException e) when (e.Kind == DynamoErrorKind.PermissionDenied)
        {
            return Error(StatusCodes.Status403Forbidden, Rest.RestErrors.PermissionDenied, e.Message);
        }
    }

    /// <summary>The password of <c>Authorization: Basic base64(user:password)</c> (the user name is not read), or null.</summary>
    public static string? FromBasic(string? value)
    {
        const string prefix = "Basic ";
        if (value is null || !value.StartsWith(prefix, StringComparison.OrdinalIgnoreCase)) return null;
        try
        {
            string pair = System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(value[prefix.Length..].Trim()));
            int colon = pair.IndexOf(':', StringComparison.Ordinal);
            return colon < 0 || colon == pair.Length - 1 ? null : pair[(colon + 1)..];
        }
        catch (FormatException)
        {
            return null;
        }
    }

    private IResult Error(int status, string code, string message) => Results.Json(new ErrorView(message, code), _json, statusCode: status);
}
