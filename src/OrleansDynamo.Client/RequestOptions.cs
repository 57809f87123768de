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

    /// <summary>
    /// A put's content type, kept with the value and answered with it (<see cref="SiblingValue.ContentType"/>, and REST's
    /// <c>Content-Type</c>): an RFC 7231 media type such as <c>application/json</c> or <c>text/plain; charset=utf-8</c>,
    /// printable ASCII, at most 255 bytes. Null or empty: none. A delete, and an operation on a typed bucket (counter,
    /// set, map), keeps no content type: one given there is refused.
    /// </summary>
    public string? ContentType { get; set; }
}
