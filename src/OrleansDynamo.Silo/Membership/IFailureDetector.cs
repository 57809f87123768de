namespace OrleansDynamo.Silo.Membership;

/// <summary>
/// This silo's local opinion of which silos it can reach (Dynamo §4.8.3: failure is judged locally,
/// from failed calls and missed heartbeats). Coordinators skip unreachable silos.
/// </summary>
public interface IFailureDetector
{
    bool IsReachable(string silo);

    /// <summary>A call to <paramref name="silo"/> succeeded (a sign of life, not a periodic heartbeat).</summary>
    void ReportSuccess(string silo);

    /// <summary>A periodic heartbeat from <paramref name="silo"/>: a gossip exchange with it succeeded.</summary>
    void ReportHeartbeat(string silo) => ReportSuccess(silo);

    /// <summary>A call to <paramref name="silo"/> failed to reach it.</summary>
    void ReportFailure(string silo);

    /// <summary>Silos currently judged unreachable.</summary>
    IReadOnlyCollection<string> Unreachable { get; }
}
