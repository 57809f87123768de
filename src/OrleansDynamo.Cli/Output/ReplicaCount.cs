using OrleansDynamo.Client;

namespace OrleansDynamo.Cli.Output;

/// <summary>
/// What the CLI says when a bucket asks for more replicas than the cluster has silos: the store accepts such a bucket,
/// keeps each key on as many distinct silos as there are, and counts a put done once they all took it (fewer
/// acknowledgements than W asks). The CLI says so on stderr; the command still succeeds.
/// </summary>
internal static class ReplicaCount
{
    /// <summary>"1 replica", "2 replicas".</summary>
    public static string Of(long count, string noun) => count == 1 ? $"1 {noun}" : $"{count} {noun}s";

    /// <summary>The warning for a bucket whose N is above the ring's silo count, or null.</summary>
    public static string? FewerSilosThanN(string bucket, int n, ClusterRing ring)
    {
        int silos = ring.Silos.Count;
        if (silos == 0 || n <= silos) return null;
        return $"bucket {bucket} has N={n} but the cluster has {Of(silos, "silo")}: each key is stored on {Of(silos, "replica")} " +
            "until more silos join, and a write asking for more acknowledgements than that succeeds with fewer";
    }

    /// <summary>
    /// The warning for a write that fewer replicas took than W asked for (<paramref name="askedW"/>, the request's or the
    /// bucket's), or null.
    /// </summary>
    public static string? FewerAcksThanW(string bucket, int askedW, PutResult result, ClusterRing? ring)
    {
        if (askedW <= 0 || result.ReplicasAcked >= askedW) return null;
        string text = $"only {Of(result.ReplicasAcked, "replica")} took the write, though W={askedW} asked for {askedW}";
        if (ring is not null && ring.FindBucket(bucket) is { } settings && settings.N > ring.Silos.Count)
            text += $": bucket {bucket} has N={settings.N} and the cluster has {Of(ring.Silos.Count, "silo")}";
        return text;
    }

    /// <summary>W as a write asks for it: the request's, else the bucket's as the ring lists it (0 when unknown).</summary>
    public static int AskedW(uint? requested, string bucket, ClusterRing? ring) =>
        requested is { } w ? (int)Math.Min(w, int.MaxValue) : ring?.FindBucket(bucket)?.W ?? 0;
}
