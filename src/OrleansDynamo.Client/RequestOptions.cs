namespace OrleansDynamo.Client;

/// <summary>Per-request overrides of a get; null keeps the bucket's setting.</summary>
public sealed class GetOptions
{
    /// <summary>Replies to wait for (1..N).</summary>
    public uint? R { get; set; }

    /// <summary>Of those, replies that must come from primary (not fallback) replicas.</summary>
    public uint? PR { get; set; }
}

/// <summary>Per-request overrides of a put or delete; null keeps the bucket's setting.</summary>
public sealed class PutOptions
{
    /// <summary>Acknowledgements to wait for (1..N).</summary>
    public uint? W { get; set; }

    /// <summary>Of those, acknowledgements that must come from primary (not fallback) replicas.</summary>
    public uint? PW { get; set; }
}
