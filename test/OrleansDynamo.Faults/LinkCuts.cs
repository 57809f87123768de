namespace OrleansDynamo.Faults;

/// <summary>
/// Cuts between silo processes with iptables on loopback: a chain of this run, jumped to from OUTPUT for `-o lo` only;
/// a cut from A to B drops every TCP packet that A's process (matched by its group id, <c>-m owner --gid-owner</c>) sends
/// to B's Orleans silo port, so A's connections to B stall (A's requests and replies to B are lost) while B's own
/// connections to A still carry B's messages. Both ways is both rules. Heal removes exactly the rules added; disposing
/// removes the chain and its jump, also after a failure.
/// </summary>
public sealed class LinkCuts : IDisposable
{
    private readonly string _chain = $"ODFAULTS{Environment.ProcessId}";
    private readonly List<string[]> _rules = [];
    private readonly Action<string> _log;
    private bool _created;

    public LinkCuts(Action<string> log)
    {
        _log = log;
        Shell.Run("iptables", "-N", _chain);
        _created = true;
        Shell.Run("iptables", "-I", "OUTPUT", "-o", "lo", "-j", _chain);
    }

    public int Active => _rules.Count;

    public void Cut(SiloProcess from, SiloProcess to)
    {
        string[] rule = ["-p", "tcp", "--dport", to.SiloPort.ToString(), "-m", "owner", "--gid-owner", from.GroupId.ToString(), "-j", "DROP"];
        Shell.Run("iptables", ["-A", _chain, .. rule]);
        _rules.Add(rule);
        _log($"link {from.Name} -> {to.Name} cut");
    }

    public void HealAll()
    {
        foreach (var rule in _rules) Shell.Run("iptables", ["-D", _chain, .. rule]);
        if (_rules.Count > 0) _log($"{_rules.Count} link cut(s) healed");
        _rules.Clear();
    }

    public void Dispose()
    {
        if (!_created) return;
        _created = false;
        _rules.Clear();
        Shell.TryRun("iptables", ["-D", "OUTPUT", "-o", "lo", "-j", _chain], out _);
        Shell.TryRun("iptables", ["-F", _chain], out _);
        if (!Shell.TryRun("iptables", ["-X", _chain], out var output)) _log($"cleanup: iptables -X {_chain}: {output.Trim()}");
    }
}
