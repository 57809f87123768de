using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace OrleansDynamo.Cluster.Tests;

/// <summary>How a raw HTTP/2 request ended, as the client saw it.</summary>
public enum RawHttp2End
{
    /// <summary>The server reset the stream (RST_STREAM).</summary>
    StreamReset,
    /// <summary>The server sent GOAWAY.</summary>
    GoAway,
    /// <summary>The server closed the TCP connection.</summary>
    Closed,
    /// <summary>The client's own bound passed first.</summary>
    StillOpen,
}

/// <summary>
/// An HTTP/2 client written frame by frame over a plain socket (prior knowledge, no TLS), for requests no real client
/// sends: a request whose body stalls or trickles. It answers SETTINGS and PING as a client must, so the server has
/// no reason to drop it other than the request itself. Loopback only.
/// </summary>
public sealed class RawHttp2Client : IAsyncDisposable
{
    private const byte Data = 0x0, Headers = 0x1, RstStream = 0x3, Settings = 0x4, Ping = 0x6, GoAwayFrame = 0x7;
    private const byte EndHeaders = 0x4, Ack = 0x1;

    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly TaskCompletionSource<RawHttp2End> _end = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _stop = new();
    private Task? _reader;

    private RawHttp2Client(Socket socket)
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: false);
    }

    /// <summary>Connects from 127.0.0.1 to 127.0.0.1:<paramref name="port"/> and sends the connection preface and empty SETTINGS.</summary>
    public static async Task<RawHttp2Client> ConnectAsync(int port, CancellationToken ct)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), ct);
        var client = new RawHttp2Client(socket);
        await client.WriteAsync(Encoding.ASCII.GetBytes("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"), ct);
        await client.WriteFrameAsync(Settings, 0, 0, ReadOnlyMemory<byte>.Empty, ct);
        client._reader = client.ReadLoopAsync();
        return client;
    }

    /// <summary>How the request ended; completes when the server resets stream 1, sends GOAWAY or closes the connection.</summary>
    public Task<RawHttp2End> Ended => _end.Task;

    /// <summary>Opens stream 1 with a gRPC request's headers (POST, <paramref name="path"/>, application/grpc), without ending it.</summary>
    public Task SendGrpcHeadersAsync(string path, int port, CancellationToken ct)
    {
        var block = new List<byte>();
        foreach (var (name, value) in new[]
        {
            (":method", "POST"), (":scheme", "http"), (":path", path), (":authority", $"127.0.0.1:{port}"),
            ("content-type", "application/grpc"), ("te", "trailers"),
        })
        {
            // HPACK: a literal header field without indexing, with a literal name (RFC 7541 §6.2.2), no Huffman.
            block.Add(0x00);
            AddString(block, name);
            AddString(block, value);
        }
        return WriteFrameAsync(Headers, EndHeaders, 1, block.ToArray(), ct);
    }

    /// <summary>Sends part of stream 1's body (never ending the stream).</summary>
    public Task SendDataAsync(ReadOnlyMemory<byte> data, CancellationToken ct) => WriteFrameAsync(Data, 0, 1, data, ct);

    private static void AddString(List<byte> block, string s)
    {
        var bytes = Encoding.ASCII.GetBytes(s);
        if (bytes.Length >= 127) throw new ArgumentException("only short header strings", nameof(s));
        block.Add((byte)bytes.Length);
        block.AddRange(bytes);
    }

    private async Task WriteFrameAsync(byte type, byte flags, int streamId, ReadOnlyMemory<byte> payload, CancellationToken ct)
    {
        var frame = new byte[9 + payload.Length];
        frame[0] = (byte)(payload.Length >> 16);
        frame[1] = (byte)(payload.Length >> 8);
        frame[2] = (byte)payload.Length;
        frame[3] = type;
        frame[4] = flags;
        BinaryPrimitives.WriteInt32BigEndian(frame.AsSpan(5), streamId);
        payload.CopyTo(frame.AsMemory(9));
        await WriteAsync(frame, ct);
    }

    private async Task WriteAsync(byte[] bytes, CancellationToken ct)
    {
        await _writeLock.WaitAsync(ct);
        try
        {
            await _stream.WriteAsync(bytes, ct);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    private async Task ReadLoopAsync()
    {
        var header = new byte[9];
        try
        {
            while (true)
            {
                await _stream.ReadExactlyAsync(header, _stop.Token);
                int length = (header[0] << 16) | (header[1] << 8) | header[2];
                byte type = header[3], flags = header[4];
                int stream = BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(5)) & 0x7fffffff;
                var payload = new byte[length];
                await _stream.ReadExactlyAsync(payload, _stop.Token);
                switch (type)
                {
                    case Settings when (flags & Ack) == 0:
                        await WriteFrameAsync(Settings, Ack, 0, ReadOnlyMemory<byte>.Empty, _stop.Token);
                        break;
                    case Ping when (flags & Ack) == 0:
                        await WriteFrameAsync(Ping, Ack, 0, payload, _stop.Token);
                        break;
                    case RstStream when stream == 1:
                        _end.TrySetResult(RawHttp2End.StreamReset);
                        break;
                    case GoAwayFrame:
                        _end.TrySetResult(RawHttp2End.GoAway);
                        break;
                }
            }
        }
        catch (Exception e) when (e is EndOfStreamException or IOException or SocketException or ObjectDisposedException)
        {
            _end.TrySetResult(RawHttp2End.Closed);
        }
        catch (OperationCanceledException)
        {
            _end.TrySetResult(RawHttp2End.StillOpen);
        }
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _socket.Dispose();
        if (_reader is not null) await _reader;
        _stream.Dispose();
        _stop.Dispose();
    }
}
