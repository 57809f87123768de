using System.Collections.Immutable;
using FsCheck;
using FsCheck.Fluent;
using OrleansDynamo.Core.Versioning;

namespace OrleansDynamo.Core.Tests.Versioning;

/// <summary>Three clocks with a ≤ b ≤ c by construction.</summary>
public sealed record ClockChain(VectorClock A, VectorClock B, VectorClock C);

/// <summary>Two clocks and a clock at or above both, built pointwise (not with <see cref="VectorClock.Merge"/>).</summary>
public sealed record UpperBoundCase(VectorClock A, VectorClock B, VectorClock UpperBound);

/// <summary>A clock to prune, the size bound, and the nodes that must be kept.</summary>
public sealed record PruneCase(VectorClock Clock, int MaxEntries, ImmutableHashSet<string> Keep)
{
    public override string ToString() => $"PruneCase({Clock.Entries.Length} entries {string.Join(",", Clock.Entries)}, max={MaxEntries}, keep={{{string.Join(",", Keep)}}})";
}

/// <summary>A clock with wide-ranging names, counters and timestamps, for the codec.</summary>
public sealed record CodecClock(VectorClock Clock)
{
    public override string ToString() => $"CodecClock({string.Join(",", Clock.Entries)})";
}

/// <summary>One edit to an encoded buffer.</summary>
public abstract record Mutation
{
    public abstract byte[] Apply(byte[] bytes);
}

public sealed record SetByte(int Position, byte Value) : Mutation
{
    public override byte[] Apply(byte[] bytes)
    {
        if (bytes.Length == 0) return bytes;
        var copy = (byte[])bytes.Clone();
        copy[Position % copy.Length] = Value;
        return copy;
    }
}

public sealed record FlipBit(int Position, int Bit) : Mutation
{
    public override byte[] Apply(byte[] bytes)
    {
        if (bytes.Length == 0) return bytes;
        var copy = (byte[])bytes.Clone();
        copy[Position % copy.Length] ^= (byte)(1 << Bit);
        return copy;
    }
}

public sealed record Truncate(int Length) : Mutation
{
    public override byte[] Apply(byte[] bytes) => bytes.AsSpan(0, Math.Min(Length, bytes.Length)).ToArray();
}

public sealed record Insert(int Position, byte[] Bytes) : Mutation
{
    public override byte[] Apply(byte[] bytes)
    {
        int at = bytes.Length == 0 ? 0 : Position % (bytes.Length + 1);
        return [.. bytes.AsSpan(0, at), .. Bytes, .. bytes.AsSpan(at)];
    }

    public override string ToString() => $"Insert({Position}, [{Convert.ToHexString(Bytes)}])";
}

public sealed record Delete(int Position) : Mutation
{
    public override byte[] Apply(byte[] bytes)
    {
        if (bytes.Length == 0) return bytes;
        int at = Position % bytes.Length;
        return [.. bytes.AsSpan(0, at), .. bytes.AsSpan(at + 1)];
    }
}

public sealed record AppendTrailing(byte[] Bytes) : Mutation
{
    public override byte[] Apply(byte[] bytes) => [.. bytes, .. Bytes];

    public override string ToString() => $"AppendTrailing([{Convert.ToHexString(Bytes)}])";
}

/// <summary>
/// Writes a number over the bytes at <paramref name="Position"/>: as a LEB128 varint (the versioning and membership
/// formats' counts and lengths) or little-endian in <paramref name="Width"/> bytes (the Merkle file's header), so a
/// length or count field is set huge or to a boundary.
/// </summary>
public sealed record PlantNumber(int Position, ulong Value, int Width) : Mutation
{
    public override byte[] Apply(byte[] bytes)
    {
        if (bytes.Length == 0) return bytes;
        var number = new List<byte>();
        if (Width == 0)
        {
            ulong v = Value;
            for (; v >= 0x80; v >>= 7) number.Add((byte)(v | 0x80));
            number.Add((byte)v);
        }
        else
        {
            for (int i = 0; i < Width; i++) number.Add((byte)(Value >> (8 * i)));
        }
        var copy = (byte[])bytes.Clone();
        int at = Position % copy.Length;
        for (int i = 0; i < number.Count && at + i < copy.Length; i++) copy[at + i] = number[i];
        return copy;
    }
}

/// <summary>A short sequence of edits applied in order.</summary>
public sealed record Mutations(ImmutableArray<Mutation> Edits)
{
    public byte[] Apply(byte[] bytes) => Edits.Aggregate(bytes, (b, m) => m.Apply(b));

    public override string ToString() => $"Mutations({string.Join(", ", Edits)})";
}

/// <summary>A string that may or may not be base64.</summary>
public sealed record MaybeBase64(string Text);

/// <summary>
/// FsCheck generators for the versioning properties. Clocks are over a small node alphabet with small
/// counters and timestamps, so equal, ordered and concurrent clocks and timestamp ties are all common.
/// Sibling sets come from <see cref="History"/>s run through <see cref="ReplicaWorld"/>.
/// </summary>
public static class Generators
{
    /// <summary>Iterations per property; raise locally (e.g. 2000) for a deeper run.</summary>
    public const int MaxTest = 200;

    public static readonly ImmutableArray<string> Nodes = ["a", "b", "c", "d", "e"];

    private static readonly Gen<long> SmallTimestamp = Gen.Choose(0, 20).Select(i => (long)i);

    private static Gen<ClockEntry> EntryFor(string node) =>
        from counter in Gen.Choose(1, 5)
        from ts in SmallTimestamp
        select new ClockEntry(node, counter, ts);

    public static readonly Gen<VectorClock> SmallClock =
        from nodes in Gen.SubListOf(Nodes.AsEnumerable())
        from entries in Gen.CollectToArray(nodes, EntryFor)
        select VectorClock.From(entries);

    /// <summary>A clock at or above <paramref name="clock"/>: some counters raised, maybe new nodes.</summary>
    public static Gen<VectorClock> Above(VectorClock clock) =>
        from bumps in Gen.CollectToArray<string, int>(Nodes, _ => Gen.Frequency((2, Gen.Constant(0)), (1, Gen.Choose(1, 3))))
        from ts in SmallTimestamp
        select VectorClock.From(Nodes.Select((n, i) => new ClockEntry(n, clock.CounterOf(n) + bumps[i], ts)));

    private static IEnumerable<VectorClock> ShrinkClock(VectorClock clock)
    {
        for (int i = 0; i < clock.Count; i++)
            yield return VectorClock.From(clock.Entries.RemoveAt(i));
        for (int i = 0; i < clock.Count; i++)
        {
            var e = clock.Entries[i];
            if (e.Counter > 1) yield return VectorClock.From(clock.Entries.SetItem(i, e with { Counter = e.Counter - 1 }));
        }
    }

    public static Arbitrary<VectorClock> VectorClockArb() => Arb.From(SmallClock, ShrinkClock);

    public static Arbitrary<ClockChain> ClockChainArb() =>
        Arb.From(
            from a in SmallClock
            from b in Above(a)
            from c in Above(b)
            select new ClockChain(a, b, c));

    public static Arbitrary<UpperBoundCase> UpperBoundCaseArb() =>
        Arb.From(
            from a in SmallClock
            from b in SmallClock
            let max = VectorClock.From(Nodes.Select(n => new ClockEntry(n, Math.Max(a.CounterOf(n), b.CounterOf(n)), 0)))
            from c in Above(max)
            select new UpperBoundCase(a, b, c));

    public static Arbitrary<PruneCase> PruneCaseArb() =>
        Arb.From(
            from clock in SmallClock
            from max in Gen.Choose(1, 6)
            from keep in Gen.SubListOf(Nodes.Add("z").AsEnumerable())
            select new PruneCase(clock, max, keep.ToImmutableHashSet(StringComparer.Ordinal)));

    // ---- codec inputs ----

    private static readonly Gen<string> CodecNodeName = Gen.OneOf(
        Gen.Elements(Nodes.AsEnumerable()),
        Gen.Elements("silo-1", "silo-2", "10.0.0.7:11111", "ñodo", "節点", "🦀", new string('x', 256), "é"),
        from chars in Gen.ArrayOf(Gen.Choose(0x21, 0x7e).Select(i => (char)i))
        where chars.Length > 0
        select new string(chars));

    private static readonly Gen<long> WideLong = Gen.OneOf(
        Gen.Choose(0, 200).Select(i => (long)i),
        Gen.Elements(long.MaxValue, long.MaxValue - 1, VectorClock.MaxCounter, VectorClock.MaxCounter - 1, int.MaxValue, 1L << 35, 127L, 128L, 16383L, 16384L),
        from hi in Gen.Choose(0, int.MaxValue)
        from lo in Gen.Choose(0, int.MaxValue)
        select ((long)hi << 32) ^ lo);

    private static readonly Gen<long> WideTimestamp = Gen.OneOf(
        WideLong,
        WideLong.Select(v => -v),
        Gen.Elements(long.MinValue, -1L));

    public static Arbitrary<CodecClock> CodecClockArb() =>
        Arb.From(
            from entries in Gen.ListOf(
                from node in CodecNodeName
                from counter in WideLong
                from ts in WideTimestamp
                select new ClockEntry(node, Math.Clamp(counter, 1, VectorClock.MaxCounter), ts))
            select new CodecClock(VectorClock.From(entries)));

    private static readonly Gen<byte[]> SomeBytes =
        from n in Gen.Frequency((4, Gen.Choose(1, 4)), (1, Gen.Choose(5, 12)))
        from bytes in Gen.ArrayOf(Gen.Choose(0, 255).Select(i => (byte)i), n)
        select bytes;

    private static readonly Gen<byte> InterestingByte = Gen.OneOf(
        Gen.Choose(0, 255).Select(i => (byte)i),
        Gen.Elements<byte>(0x00, 0x01, 0x02, 0x7F, 0x80, 0x81, 0xFF));

    /// <summary>Numbers that sit on a limit of some decoder, or far past every one.</summary>
    private static readonly Gen<ulong> HugeNumber = Gen.OneOf(
        Gen.Elements<ulong>(0, 1, 127, 128, 255, 256, 4096, 4097, 65535, 65536, 65537, 1_000_000, 1_000_001, 1 << 24,
            int.MaxValue, uint.MaxValue, 1UL << 53, (1UL << 53) + 1, long.MaxValue, ulong.MaxValue),
        Gen.Choose(0, 62).Select(bit => 1UL << bit));

    private static readonly Gen<Mutation> MutationGen =
        from pos in Gen.Choose(0, 4096)
        from m in Gen.OneOf<Mutation>(
            from value in HugeNumber
            from width in Gen.Elements(0, 0, 1, 2, 8)
            select (Mutation)new PlantNumber(pos, value, width),
            InterestingByte.Select(b => (Mutation)new SetByte(pos, b)),
            Gen.Choose(0, 7).Select(bit => (Mutation)new FlipBit(pos, bit)),
            Gen.Constant((Mutation)new Truncate(pos % 64)),
            SomeBytes.Select(b => (Mutation)new Insert(pos, b)),
            Gen.Constant((Mutation)new Delete(pos)),
            SomeBytes.Select(b => (Mutation)new AppendTrailing(b)))
        select m;

    public static Arbitrary<Mutations> MutationsArb() =>
        Arb.From(
            from n in Gen.Choose(1, 4)
            from edits in Gen.ArrayOf(MutationGen, n)
            select new Mutations([.. edits]),
            m => Enumerable.Range(0, m.Edits.Length).Where(_ => m.Edits.Length > 1).Select(i => new Mutations(m.Edits.RemoveAt(i))));

    public static Arbitrary<MaybeBase64> MaybeBase64Arb()
    {
        const string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=";
        var nearBase64 = Gen.ArrayOf(Gen.Elements(alphabet.ToCharArray())).Select(cs => new string(cs));
        var junk = Gen.ArrayOf(Gen.Elements("AQ=-_ \t\n!é*.%\0".ToCharArray())).Select(cs => new string(cs));
        var mangled =
            from clock in SmallClock
            from at in Gen.Choose(0, 100)
            from c in Gen.Elements("=-_!é A".ToCharArray())
            let s = VersionCodec.EncodeContext(clock)
            select s.Insert(at % (s.Length + 1), c.ToString());
        return Arb.From(Gen.OneOf(nearBase64, junk, mangled).Select(s => new MaybeBase64(s)));
    }

    // ---- histories ----

    private static Gen<HistoryOp> OpGen(int replicas, int clients) =>
        Gen.Frequency(
            (4, from client in Gen.Choose(0, clients - 1)
                from replica in Gen.Choose(0, replicas - 1)
                from blind in Gen.Frequency((1, Gen.Constant(true)), (4, Gen.Constant(false)))
                from tombstone in Gen.Frequency((1, Gen.Constant(true)), (6, Gen.Constant(false)))
                from keep in Gen.Elements(true, false)
                from now in Gen.Frequency((6, SmallTimestamp), (1, WideTimestamp))
                from padding in Gen.Frequency((6, Gen.Constant(0)), (2, Gen.Choose(1, 20)), (1, Gen.Choose(100, 300)))
                select (HistoryOp)new PutOp(client, replica, blind, tombstone, keep, now, padding)),
            (3, from client in Gen.Choose(0, clients - 1)
                from replica in Gen.Choose(0, replicas - 1)
                select (HistoryOp)new GetOp(client, replica)),
            (3, from source in Gen.Choose(0, replicas - 1)
                from target in Gen.Choose(0, replicas - 1)
                where source != target
                select (HistoryOp)new SyncOp(source, target)));

    public static readonly Gen<History> HistoryGen =
        from replicas in Gen.Choose(2, ReplicaWorld.ReplicaNames.Length)
        from clients in Gen.Choose(1, 3)
        from ops in Gen.Sized(size => Gen.Choose(0, Math.Clamp(size, 1, 60)).SelectMany(n => Gen.ArrayOf(OpGen(replicas, clients), n)))
        select new History(replicas, clients, [.. ops]);

    /// <summary>Shrinks by dropping the back half, the front half, then single steps.</summary>
    public static IEnumerable<History> ShrinkHistory(History h)
    {
        var ops = h.Ops;
        if (ops.Length > 1)
        {
            yield return h with { Ops = ops[..(ops.Length / 2)] };
            yield return h with { Ops = ops[(ops.Length / 2)..] };
        }
        for (int i = 0; i < ops.Length; i++) yield return h with { Ops = ops.RemoveAt(i) };
    }

    public static Arbitrary<History> HistoryArb() => Arb.From(HistoryGen, ShrinkHistory);
}
