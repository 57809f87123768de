namespace OrleansDynamo.Protocol;

/// <summary>Settings of a client-side <see cref="GrpcConnection"/> (one per remote address).</summary>
public sealed class GrpcConnectionOptions
{
    /// <summary>Largest response message accepted; a larger one fails with RESOURCE_EXHAUSTED. Default 16 MiB.</summary>
    public int MaxReceiveMessageBytes { get; set; } = GrpcServerOptions.DefaultMaxMessageBytes;

    /// <summary>Largest request message sent; a larger one fails with RESOURCE_EXHAUSTED before sending. Default 16 MiB.</summary>
    public int MaxSendMessageBytes { get; set; } = GrpcServerOptions.DefaultMaxMessageBytes;

    /// <summary>How long a TCP connect may take before the call fails with UNAVAILABLE. Default 5 s.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>An idle pooled HTTP/2 connection is closed after this long. Default 2 min.</summary>
    public TimeSpan PooledConnectionIdleTimeout { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>HTTP/2 PING interval that detects a dead peer on a quiet connection. Default 30 s.</summary>
    public TimeSpan KeepAlivePingDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>A PING unanswered this long closes the connection. Default 20 s.</summary>
    public TimeSpan KeepAlivePingTimeout { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>Open another HTTP/2 connection when one reaches the server's stream limit. Default true.</summary>
    public bool EnableMultipleHttp2Connections { get; set; } = true;

    /// <summary>Throws when a setting is out of range, naming the field.</summary>
    public void Validate()
    {
        if (MaxReceiveMessageBytes <= 0)
            throw new ArgumentOutOfRangeException(nameof(MaxReceiveMessageBytes), MaxReceiveMessageBytes, "must be positive");
        if (MaxSendMessageBytes <= 0)
            throw new ArgumentOutOfRangeException(nameof(MaxSendMessageBytes), MaxSendMessageBytes, "must be positive");
        RequirePositive(ConnectTimeout, nameof(ConnectTimeout));
        RequirePositive(PooledConnectionIdleTimeout, nameof(PooledConnectionIdleTimeout));
        RequirePositive(KeepAlivePingDelay, nameof(KeepAlivePingDelay));
        RequirePositive(KeepAlivePingTimeout, nameof(KeepAlivePingTimeout));
    }

    private static void RequirePositive(TimeSpan value, string name)
    {
        if (value <= TimeSpan.Zero && value != Timeout.InfiniteTimeSpan)
            throw new ArgumentOutOfRangeException(name, value, "must be positive or infinite");
    }
}
