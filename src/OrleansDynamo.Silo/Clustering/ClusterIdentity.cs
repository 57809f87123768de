using Orleans.Configuration;

namespace OrleansDynamo.Silo.Clustering;

/// <summary>
/// Which cluster a silo or client belongs to, as Orleans' <see cref="ClusterOptions"/>: silos and clients
/// only meet when both ids match. The cluster id names one deployment (its membership rows); the
/// service id outlives deployments (reminders are kept per service id).
/// </summary>
public sealed record ClusterIdentity(string ClusterId, string ServiceId)
{
    /// <summary>Every problem, each naming its field; empty when valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(ClusterId)) errors.Add($"{nameof(ClusterIdentity)}:{nameof(ClusterId)} must not be empty");
        if (string.IsNullOrWhiteSpace(ServiceId)) errors.Add($"{nameof(ClusterIdentity)}:{nameof(ServiceId)} must not be empty");
        return errors;
    }

    /// <summary>Copies the ids onto Orleans' options.</summary>
    public void ApplyTo(ClusterOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.ClusterId = ClusterId;
        options.ServiceId = ServiceId;
    }
}
