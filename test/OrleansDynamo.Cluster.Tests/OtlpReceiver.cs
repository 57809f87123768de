using System.Net;
using System.Net.Sockets;
using System.Text;

namespace OrleansDynamo.Cluster.Tests;

/// <summary>
/// A stand-in OTLP collector for http/protobuf on a free loopback port: keeps the body of every POST to /v1/metrics
/// and answers 200. A protobuf string field is its UTF-8 bytes, so a meter's name can be looked for in the bodies.
/// </summary>
public sealed class OtlpReceiver : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly List<byte[]> _bodies = [];
    private readonly Task _serving;

    public OtlpReceiver()
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        int port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        Endpoint = $"http://127.0.0.1:{port}/";
        _listener.Prefixes.Add(Endpoint);
        _listener.Start();
        _serving = Task.Run(ServeAsync);
    }

    /// <summary>The base address, ending in a slash.</summary>
    public string Endpoint { get; }

    /// <summary>True once a metrics export naming <paramref name="text"/> (a meter or an instrument) has arrived.</summary>
    public bool Received(string text)
    {
        var needle = Encoding.UTF8.GetBytes(text);
        lock (_bodies) return _bodies.Any(b => b.AsSpan().IndexOf(needle) >= 0);
    }

    private async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }
            using var body = new MemoryStream();
            await context.Request.InputStream.CopyToAsync(body);
            if (context.Request.HttpMethod == "POST" && context.Request.Url?.AbsolutePath == "/v1/metrics")
            {
                lock (_bodies) _bodies.Add(body.ToArray());
            }
            context.Response.StatusCode = 200;
            context.Response.Close();
        }
    }

    public void Dispose()
    {
        _listener.Stop();
        _listener.Close();
        _serving.Wait(TimeSpan.FromSeconds(5));
    }
}
