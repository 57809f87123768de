namespace OrleansDynamo.Client;

/// <summary>Settings of a <see cref="DynamoClient"/>.</summary>
public sealed class DynamoClientOptions
{
    /// <summary>The default for <see cref="RequestTimeout"/>: 5 s.</summary>
    public static readonly TimeSpan DefaultRequestTimeout = TimeSpan.FromSeconds(5);

    /// <summary>The default for <see cref="RingRefreshInterval"/>: 10 s.</summary>
    public static readonly TimeSpan DefaultRingRefreshInterval = TimeSpan.FromSeconds(10);

    /// <summary>The default for <see cref="MarkDownDuration"/>: 5 s.</summary>
    public static readonly TimeSpan DefaultMarkDownDuration = TimeSpan.FromSeconds(5);

    /// <summary>The default for <see cref="ConnectTimeout"/>: 2 s.</summary>
    public static readonly TimeSpan DefaultConnectTimeout = TimeSpan.FromSeconds(2);

    /// <summary>
    /// gRPC addresses of silos to fetch the ring from, e.g. <c>http://127.0.0.1:11111</c>.
    /// At least one is required (unless the client is given an Orleans client); any silo of the cluster will do.
    /// The ring names each silo's Orleans gateway, where requests then go.
    /// </summary>
    public IList<string> Seeds { get; set; } = new List<string>();

    /// <summary>How long one call to one silo may take before it fails with <see cref="DynamoErrorKind.Timeout"/>. Default 5 s.</summary>
    public TimeSpan RequestTimeout { get; set; } = DefaultRequestTimeout;

    /// <summary>
    /// How often the cached ring is fetched again in the background. Default 10 s.
    /// <see cref="Timeout.InfiniteTimeSpan"/> turns the periodic refresh off (a routing miss still refreshes).
    /// </summary>
    public TimeSpan RingRefreshInterval { get; set; } = DefaultRingRefreshInterval;

    /// <summary>Who picks the coordinator. Default <see cref="CoordinationMode.Client"/>.</summary>
    public CoordinationMode Coordination { get; set; } = CoordinationMode.Client;

    /// <summary>
    /// How long a silo that could not be reached is skipped before the client tries it again
    /// (it is still tried as a last resort when every other silo is down). After a call that could not reach the silo,
    /// the next call to it also waits until the client's Orleans gateway list has the silo's gateway back (Orleans takes
    /// the list every 100 ms). Default 5 s.
    /// </summary>
    public TimeSpan MarkDownDuration { get; set; } = DefaultMarkDownDuration;

    /// <summary>
    /// How long opening a connection to a silo may take; a silo that cannot be connected to in time
    /// is marked down and the next one tried. Keep it below <see cref="RequestTimeout"/>. Default 2 s.
    /// </summary>
    public TimeSpan ConnectTimeout { get; set; } = DefaultConnectTimeout;

    /// <summary>
    /// In <see cref="CoordinationMode.Client"/> and <see cref="CoordinationMode.ClientReads"/> mode, send a put or delete
    /// first to the replica that answered fastest to the get whose context it carries (Dynamo §6: the write coordinator is the fastest reader),
    /// when that silo is in the key's preference list and usable. Default false: measured on a loopback
    /// cluster it did not lower put latency (the get's coordinator reads itself first, so it is the same silo).
    /// </summary>
    public bool PreferFastestReplicaForWrites { get; set; }

    /// <summary>
    /// The default for <see cref="AllReplicaReadsBelow"/>: 2, so a read asks every replica only while it is the only
    /// client-coordinated read in flight.
    /// </summary>
    public const int DefaultAllReplicaReadsBelow = 2;

    /// <summary>
    /// In <see cref="CoordinationMode.ClientReads"/> mode: while fewer client-coordinated reads than this are in flight
    /// in this client, a read asks all N replicas and takes the first R to answer (the lowest latency while the silos
    /// are idle). From this many on, a read asks R of them (PR, when higher), taking turns among the replicas, and asks
    /// the others only when one fails or when none has decided the read after <see cref="ReadSpeculationDelay"/>: under
    /// load each get then costs two replica messages instead of three. 0 always asks R; <see cref="int.MaxValue"/> always
    /// asks all N. Default 2.
    /// </summary>
    public int AllReplicaReadsBelow { get; set; } = DefaultAllReplicaReadsBelow;

    /// <summary>
    /// In <see cref="CoordinationMode.ClientReads"/> mode, for a read that asked only R replicas: how long it waits for
    /// them before asking the rest too (Cassandra's speculative retry). Null (the default): the p99 of this client's
    /// last 512 client-coordinated reads; until 128 have been measured every read asks all N replicas.
    /// <see cref="Timeout.InfiniteTimeSpan"/>: never; the rest are asked only when a replica fails.
    /// </summary>
    public TimeSpan? ReadSpeculationDelay { get; set; }

    /// <summary>
    /// For a cluster with TLS on: this client's certificate (with its private key), issued by the cluster's authority,
    /// presented to every silo (Orleans gateways and the gRPC API). Set together with <see cref="Authority"/>.
    /// </summary>
    public System.Security.Cryptography.X509Certificates.X509Certificate2? ClientCertificate { get; set; }

    /// <summary>The cluster's authority: the only issuer whose silo certificates this client trusts.</summary>
    public System.Security.Cryptography.X509Certificates.X509Certificate2? Authority { get; set; }

    /// <summary>
    /// For a cluster with API keys configured (<c>Silo:Auth</c>): the key sent with every call, in the Orleans request
    /// context of a grain call and as <c>authorization: Bearer KEY</c> on a gRPC call. A data key may get, put and delete;
    /// an admin key may also create buckets, join, leave and repair. Null: no key.
    /// </summary>
    public string? ApiKey { get; set; }

    /// <summary>Throws <see cref="ArgumentException"/> naming the first bad field.</summary>
    public void Validate() => Validate(seedsRequired: true);

    /// <summary>
    /// Throws <see cref="ArgumentException"/> naming the first bad field; <paramref name="seedsRequired"/> false when the
    /// client is given an Orleans client to fetch its first ring through.
    /// </summary>
    public void Validate(bool seedsRequired)
    {
        if (Seeds is null || (seedsRequired && Seeds.Count == 0))
            throw new ArgumentException($"{nameof(Seeds)}: at least one silo address is required, e.g. http://127.0.0.1:11111", nameof(Seeds));
        for (int i = 0; i < Seeds.Count; i++)
        {
            if (CheckAddress(Seeds[i]) is { } reason)
                throw new ArgumentException($"{nameof(Seeds)}[{i}]: {reason}", nameof(Seeds));
        }
        if (RequestTimeout <= TimeSpan.Zero && RequestTimeout != Timeout.InfiniteTimeSpan)
            throw new ArgumentException($"{nameof(RequestTimeout)}: must be positive, got {RequestTimeout}", nameof(RequestTimeout));
        if (RingRefreshInterval <= TimeSpan.Zero && RingRefreshInterval != Timeout.InfiniteTimeSpan)
            throw new ArgumentException($"{nameof(RingRefreshInterval)}: must be positive or infinite, got {RingRefreshInterval}", nameof(RingRefreshInterval));
        if (MarkDownDuration < TimeSpan.Zero)
            throw new ArgumentException($"{nameof(MarkDownDuration)}: must not be negative, got {MarkDownDuration}", nameof(MarkDownDuration));
        if (ConnectTimeout <= TimeSpan.Zero && ConnectTimeout != Timeout.InfiniteTimeSpan)
            throw new ArgumentException($"{nameof(ConnectTimeout)}: must be positive or infinite, got {ConnectTimeout}", nameof(ConnectTimeout));
        if ((ClientCertificate is null) != (Authority is null))
            throw new ArgumentException($"{nameof(ClientCertificate)} and {nameof(Authority)}: give both for a TLS cluster, or neither", ClientCertificate is null ? nameof(ClientCertificate) : nameof(Authority));
        if (ClientCertificate is { HasPrivateKey: false })
            throw new ArgumentException($"{nameof(ClientCertificate)}: the certificate's private key is missing", nameof(ClientCertificate));
        if (ApiKey is not null && OrleansDynamo.Protocol.Security.ApiKeys.Check(ApiKey) is { } badKey)
            throw new ArgumentException($"{nameof(ApiKey)}: {badKey}", nameof(ApiKey));
        if (AllReplicaReadsBelow < 0)
            throw new ArgumentException($"{nameof(AllReplicaReadsBelow)}: must not be negative, got {AllReplicaReadsBelow}", nameof(AllReplicaReadsBelow));
        if (ReadSpeculationDelay is { } delay && delay <= TimeSpan.Zero && delay != Timeout.InfiniteTimeSpan)
            throw new ArgumentException($"{nameof(ReadSpeculationDelay)}: must be positive or infinite, got {delay}", nameof(ReadSpeculationDelay));
        if (!Enum.IsDefined(Coordination))
            throw new ArgumentException($"{nameof(Coordination)}: unknown mode {(int)Coordination}", nameof(Coordination));
    }

    /// <summary>Null when <paramref name="address"/> is an absolute http(s) URI, else the reason.</summary>
    internal static string? CheckAddress(string? address)
    {
        if (string.IsNullOrWhiteSpace(address))
            return "a silo address must not be empty";
        if (!Uri.TryCreate(address, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
            return $"'{address}' is not an http:// or https:// address, e.g. http://127.0.0.1:11111";
        return null;
    }
}
