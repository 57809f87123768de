namespace OrleansDynamo.Core.Ring;

/// <summary>
/// Argument checks shared by <see cref="Claim"/> and <see cref="RingSnapshot"/>, so a bad
/// ring definition is refused with the same clear message wherever it enters.
/// </summary>
internal static class RingArguments
{
    public static void CheckPartitionCount(int partitionCount, string paramName)
    {
        if (partitionCount < 1)
            throw new ArgumentException($"The partition count must be at least 1; it was {partitionCount}.", paramName);
        if ((partitionCount & (partitionCount - 1)) != 0)
            throw new ArgumentException($"The partition count must be a power of two (e.g. 256 or 1024); it was {partitionCount}.", paramName);
    }

    /// <summary>Checks the members and returns them sorted by name (ordinal), the ring's canonical order.</summary>
    public static SiloMember[] SortedMembers(IEnumerable<SiloMember>? members, string paramName)
    {
        if (members is null) throw new ArgumentNullException(paramName);
        var list = members.ToArray();
        if (list.Length == 0) throw new ArgumentException("A ring needs at least one member silo.", paramName);
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var m in list)
        {
            if (m is null) throw new ArgumentException("A member silo must not be null.", paramName);
            if (string.IsNullOrWhiteSpace(m.Name)) throw new ArgumentException("A member silo's name must not be empty.", paramName);
            if (!names.Add(m.Name)) throw new ArgumentException($"Duplicate member silo name '{m.Name}'.", paramName);
            if (!(m.Weight > 0) || double.IsInfinity(m.Weight))
                throw new ArgumentException($"Member silo '{m.Name}' has weight {m.Weight}; a weight must be finite and above zero.", paramName);
        }
        Array.Sort(list, (a, b) => string.CompareOrdinal(a.Name, b.Name));
        return list;
    }
}
