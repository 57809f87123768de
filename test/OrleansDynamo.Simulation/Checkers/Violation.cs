namespace OrleansDynamo.Simulation.Checkers;

/// <summary>One broken invariant: which checker, which key (if any), and what was seen.</summary>
public sealed record Violation(string Checker, string? Key, string Detail)
{
    public override string ToString() => Key is null ? $"[{Checker}] {Detail}" : $"[{Checker}] key {Key}: {Detail}";
}
