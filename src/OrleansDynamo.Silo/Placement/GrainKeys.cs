namespace OrleansDynamo.Silo.Placement;

/// <summary>
/// The string keys of the silo's grains. A silo endpoint grain is keyed by the silo's name; a partition
/// replica grain by "{partition}@{silo}". The owner is what
/// follows the first '@' of a replica key, and a key without '@' is a silo name.
/// </summary>
public static class GrainKeys
{
    public static string Replica(int partition, string owner) => $"{partition}@{owner}";

    /// <summary>The silo a grain key names.</summary>
    public static string OwnerOf(string key)
    {
        int at = key.IndexOf('@');
        return at < 0 ? key : key[(at + 1)..];
    }

    /// <summary>The partition of a replica key.</summary>
    public static int PartitionOf(string key)
    {
        int at = key.IndexOf('@');
        return at > 0 && int.TryParse(key.AsSpan(0, at), out int p) ? p : throw new ArgumentException($"'{key}' is not a partition replica key", nameof(key));
    }
}
