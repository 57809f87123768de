namespace OrleansDynamo.Protocol;

/// <summary>
/// Settings for endpoints mapped with <see cref="GrpcEndpointRouteBuilderExtensions.MapGrpcUnary{TRequest, TResponse}"/>.
/// Read from <c>IOptions&lt;GrpcServerOptions&gt;</c> when registered, otherwise the defaults apply.
/// </summary>
public sealed class GrpcServerOptions
{
    /// <summary>The default for <see cref="MaxReceiveMessageBytes"/>: 16 MiB.</summary>
    public const int DefaultMaxMessageBytes = 16 * 1024 * 1024;

    /// <summary>Largest request message accepted; a larger one is answered with RESOURCE_EXHAUSTED. Default 16 MiB.</summary>
    public int MaxReceiveMessageBytes { get; set; } = DefaultMaxMessageBytes;

    /// <summary>Largest response message sent; a larger one is answered with RESOURCE_EXHAUSTED. Default 16 MiB.</summary>
    public int MaxSendMessageBytes { get; set; } = DefaultMaxMessageBytes;

    /// <summary>Throws when a setting is out of range, naming the field.</summary>
    public void Validate()
    {
        if (MaxReceiveMessageBytes <= 0)
            throw new ArgumentOutOfRangeException(nameof(MaxReceiveMessageBytes), MaxReceiveMessageBytes, "must be positive");
        if (MaxSendMessageBytes <= 0)
            throw new ArgumentOutOfRangeException(nameof(MaxSendMessageBytes), MaxSendMessageBytes, "must be positive");
    }
}
