namespace OrleansDynamo.Silo.Security;

/// <summary>What a key may do: <see cref="Data"/> reads and writes keys, <see cref="Admin"/> also changes the cluster.</summary>
public enum ApiRole
{
    Data = 0,
    Admin = 1,
}

/// <summary>A client API request as the authoriser sees it: every verb of the gRPC service and the dashboard's JSON API.</summary>
public enum ApiVerb
{
    Get,
    Put,
    Delete,
    Ring,
    Status,
    /// <summary>The dashboard's cluster, ring, stats, partitions and hints views.</summary>
    DashboardRead,
    CreateBucket,
    /// <summary>What each replica holds of a key, unreconciled (`dynamo get --replicas`).</summary>
    Replicas,
    Join,
    Leave,
    Repair,
    /// <summary>The dashboard's key lookup: every replica's values of a key.</summary>
    KeyLookup,
    /// <summary>The Orleans dashboard's grain state and live log, which may show keys and values.</summary>
    GrainInspection,
}

/// <summary>Who made a request: the name of its key, and the key's role. <see cref="Anonymous"/> when authentication is off.</summary>
public sealed record ApiCaller(string Name, ApiRole Role)
{
    public static readonly ApiCaller Anonymous = new("anonymous", ApiRole.Admin);
}

public static class ApiVerbs
{
    /// <summary>The role a verb needs.</summary>
    public static ApiRole RequiredRole(this ApiVerb verb) => verb switch
    {
        ApiVerb.Get or ApiVerb.Put or ApiVerb.Delete or ApiVerb.Ring or ApiVerb.Status or ApiVerb.DashboardRead => ApiRole.Data,
        _ => ApiRole.Admin,
    };

    /// <summary>The verb as the CLI and the messages name it.</summary>
    public static string Describe(this ApiVerb verb) => verb switch
    {
        ApiVerb.DashboardRead => "dashboard",
        ApiVerb.CreateBucket => "bucket create",
        ApiVerb.KeyLookup => "dashboard key lookup",
        ApiVerb.GrainInspection => "Orleans dashboard grain state and log",
        _ => verb.ToString().ToLowerInvariant(),
    };
}
