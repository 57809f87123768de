using OrleansDynamo.Protocol.Limits;

namespace OrleansDynamo.Silo.Limits;

/// <summary>
/// What one caller may cost a silo, bound from the "Silo:Limits" section: how large a request may be, how long a
/// request and a quiet connection may last, and how much work a dashboard view may fan out. Every limit is refused
/// with an error naming it (docs/security.md, "Bounded work per caller"). Defaults suit a silo serving values of up
/// to 16 MiB; the other limits follow from the silo's own timeouts unless set.
/// </summary>
public sealed class LimitsOptions
{
    public const string Section = "Silo:Limits";

    /// <summary>The hard ceiling of a bucket's <c>max-value-bytes</c>, set in <see cref="Core.Buckets.BucketSettings"/>: 64 MiB.</summary>
    public const int CeilingValueBytes = 64 * 1024 * 1024;

    /// <summary>
    /// The largest value this silo takes, whatever a bucket allows: no bucket may be created with a larger
    /// <c>max-value-bytes</c>, and a client API request may be at most this plus <see cref="RequestSize.OverheadBytes"/>
    /// (68 KiB for key and context). Default 16 MiB; at most 64 MiB. Set the same on every silo.
    /// </summary>
    public int MaxValueBytes { get; set; } = 16 * 1024 * 1024;

    /// <summary>
    /// The largest Orleans message (body) this silo reads or writes, on the gateway (the SDK's grain calls) and between
    /// silos: a larger one makes Orleans close the connection. 0 (default): four values at <see cref="MaxValueBytes"/>
    /// plus the request overhead (64 MiB + 68 KiB by default), room for one client request and for a replica's answer
    /// that carries a few versions of a key. At least <see cref="MaxRequestBytes"/>.
    /// </summary>
    public int MaxMessageBytes { get; set; }

    /// <summary>
    /// How long a client API call (gRPC, the SDK's grain call) or an HTTP request may run on this silo; a longer
    /// deadline a caller asks for is cut to it. A request whose body has not arrived by then is reset. 0 (default):
    /// four times the larger of <c>Silo:RequestTimeoutMs</c> and <c>Silo:ReplicaTimeoutMs</c>, and at least
    /// <c>Silo:RequestTimeoutMs</c> plus <c>Silo:AntiEntropy:RepairWaitMs</c> (8 s with the defaults).
    /// </summary>
    public int RequestDeadlineMs { get; set; }

    /// <summary>How long a client may take to send a request's headers (HTTP/1.1) before the connection is closed. Default 10,000 ms.</summary>
    public int RequestHeadersTimeoutMs { get; set; } = 10_000;

    /// <summary>How long a connection may stay open without a request before it is closed. Default 130,000 ms (Kestrel's).</summary>
    public int KeepAliveTimeoutMs { get; set; } = 130_000;

    /// <summary>
    /// The slowest a request body may arrive once <see cref="RequestBodyGracePeriodMs"/> has passed: a body that stalls
    /// or trickles below it is dropped with its connection. Default 240 bytes per second (Kestrel's).
    /// </summary>
    public int MinRequestBodyBytesPerSecond { get; set; } = 240;

    /// <summary>How long a request body may arrive slower than <see cref="MinRequestBodyBytesPerSecond"/> at first. Default 5000 ms; more than 1000 (Kestrel's heartbeat).</summary>
    public int RequestBodyGracePeriodMs { get; set; } = 5000;

    /// <summary>The gRPC port pings a connection that has been quiet this long (HTTP/2 PING). Default 30,000 ms.</summary>
    public int Http2KeepAlivePingDelayMs { get; set; } = 30_000;

    /// <summary>A ping not answered within this closes the connection. Default 20,000 ms.</summary>
    public int Http2KeepAlivePingTimeoutMs { get; set; } = 20_000;

    /// <summary>
    /// Requests one HTTP/2 connection may have open at once on the gRPC port; a client that wants more waits or opens
    /// another connection. Bounds what one connection holds: at most this many requests of <see cref="MaxRequestBytes"/>.
    /// Default 100 (Kestrel's).
    /// </summary>
    public int MaxStreamsPerConnection { get; set; } = 100;

    /// <summary>
    /// Dashboard requests that fan out or scan, running at once on this silo: the cluster views (<c>/api/cluster</c>,
    /// <c>/api/stats?scope=cluster</c>, <c>/api/partitions</c>, <c>/api/hints</c>), each one HTTP call per other silo,
    /// and the per-silo scans the other silos fetch for them (<c>/api/partitions?scope=silo</c>, <c>/api/hints?scope=silo</c>).
    /// One more is answered 503 at once. Default 16.
    /// </summary>
    public int MaxConcurrentDashboardViews { get; set; } = 16;

    /// <summary>The largest client API request: <see cref="MaxValueBytes"/> plus <see cref="RequestSize.OverheadBytes"/>.</summary>
    public int MaxRequestBytes => RequestSize.MaxRequestBytes(MaxValueBytes);

    /// <summary><see cref="MaxMessageBytes"/>, or when 0 four values plus the request overhead.</summary>
    public int EffectiveMaxMessageBytes => MaxMessageBytes > 0 ? MaxMessageBytes : checked(4 * MaxValueBytes + RequestSize.OverheadBytes);

    /// <summary><see cref="RequestDeadlineMs"/>, or when 0 the deadline that follows from the silo's timeouts.</summary>
    public TimeSpan RequestDeadline(int requestTimeoutMs, int replicaTimeoutMs, int repairWaitMs) => TimeSpan.FromMilliseconds(RequestDeadlineMs > 0
        ? RequestDeadlineMs
        : Math.Max(4L * Math.Max(requestTimeoutMs, replicaTimeoutMs), (long)requestTimeoutMs + repairWaitMs));

    /// <summary>Every problem, each naming its field; empty when valid. (The deadline's relation to the timeouts is checked by <c>SiloOptions</c>.)</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (MaxValueBytes is < 1 or > CeilingValueBytes) errors.Add($"{Section}:MaxValueBytes must be between 1 and {CeilingValueBytes} (64 MiB), got {MaxValueBytes}");
        else if (MaxMessageBytes != 0 && (MaxMessageBytes < MaxRequestBytes || MaxMessageBytes > 1024 * 1024 * 1024))
            errors.Add($"{Section}:MaxMessageBytes must be 0 (four values) or between MaxRequestBytes ({MaxRequestBytes}: MaxValueBytes plus {RequestSize.OverheadBytes}) and 1 GiB, got {MaxMessageBytes}");
        if (RequestDeadlineMs < 0) errors.Add($"{Section}:RequestDeadlineMs must be 0 (from the timeouts) or positive, got {RequestDeadlineMs}");
        if (RequestHeadersTimeoutMs < 100) errors.Add($"{Section}:RequestHeadersTimeoutMs must be at least 100, got {RequestHeadersTimeoutMs}");
        if (KeepAliveTimeoutMs < 1000) errors.Add($"{Section}:KeepAliveTimeoutMs must be at least 1000, got {KeepAliveTimeoutMs}");
        if (MinRequestBodyBytesPerSecond < 1) errors.Add($"{Section}:MinRequestBodyBytesPerSecond must be positive, got {MinRequestBodyBytesPerSecond}");
        if (RequestBodyGracePeriodMs <= 1000) errors.Add($"{Section}:RequestBodyGracePeriodMs must be more than 1000 (Kestrel checks rates once a second), got {RequestBodyGracePeriodMs}");
        if (Http2KeepAlivePingDelayMs < 1000) errors.Add($"{Section}:Http2KeepAlivePingDelayMs must be at least 1000, got {Http2KeepAlivePingDelayMs}");
        if (Http2KeepAlivePingTimeoutMs < 1000) errors.Add($"{Section}:Http2KeepAlivePingTimeoutMs must be at least 1000, got {Http2KeepAlivePingTimeoutMs}");
        if (MaxStreamsPerConnection is < 1 or > 10_000) errors.Add($"{Section}:MaxStreamsPerConnection must be between 1 and 10000, got {MaxStreamsPerConnection}");
        if (MaxConcurrentDashboardViews is < 1 or > 10_000) errors.Add($"{Section}:MaxConcurrentDashboardViews must be between 1 and 10000, got {MaxConcurrentDashboardViews}");
        return errors;
    }
}
