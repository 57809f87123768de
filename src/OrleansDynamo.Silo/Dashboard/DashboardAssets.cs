using System.Reflection;
using Microsoft.AspNetCore.Http;

namespace OrleansDynamo.Silo.Dashboard;

/// <summary>
/// The dashboard's static files, embedded in the silo assembly from Dashboard/wwwroot (resource names
/// "dashboard/FILE"), so a silo serves its page with nothing else on disk and no build step.
/// </summary>
public static class DashboardAssets
{
    private const string Prefix = "dashboard/";

    private static readonly Assembly Assembly = typeof(DashboardAssets).Assembly;

    /// <summary>Every embedded file name (without the prefix).</summary>
    public static IReadOnlyList<string> Files =>
        [.. Assembly.GetManifestResourceNames().Where(n => n.StartsWith(Prefix, StringComparison.Ordinal)).Select(n => n[Prefix.Length..])];

    public static string ContentTypeOf(string file) => Path.GetExtension(file).ToLowerInvariant() switch
    {
        ".html" => "text/html; charset=utf-8",
        ".js" => "text/javascript; charset=utf-8",
        ".css" => "text/css; charset=utf-8",
        ".svg" => "image/svg+xml",
        ".png" => "image/png",
        ".ico" => "image/x-icon",
        ".json" => "application/json",
        _ => "application/octet-stream",
    };

    public static async Task WriteAsync(HttpContext http, string file)
    {
        if (file.Contains("..", StringComparison.Ordinal) || file.Contains('\\'))
        {
            http.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }
        await using var stream = Assembly.GetManifestResourceStream(Prefix + file);
        if (stream is null)
        {
            http.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }
        http.Response.ContentType = ContentTypeOf(file);
        http.Response.ContentLength = stream.Length;
        http.Response.Headers.CacheControl = "no-cache";
        await stream.CopyToAsync(http.Response.Body, http.RequestAborted);
    }
}
