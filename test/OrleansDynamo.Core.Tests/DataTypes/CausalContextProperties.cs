using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using OrleansDynamo.Core.DataTypes;
using OrleansDynamo.Core.Versioning;
using Xunit;

namespace OrleansDynamo.Core.Tests.DataTypes;

/// <summary>A set of dots over three actors with small counters, gaps common.</summary>
public sealed record DotSet(HashSet<Dot> Dots)
{
    public override string ToString() => "{" + string.Join(",", Dots.OrderBy(d => d.Node, StringComparer.Ordinal).ThenBy(d => d.Counter)) + "}";
}

public static class DotSetGenerators
{
    public static Arbitrary<DotSet> DotSetArb() =>
        Arb.From(
            from dots in Gen.ListOf(from actor in Gen.Elements("a", "b", "c") from counter in Gen.Choose(1, 10) select new Dot(actor, counter))
            select new DotSet([.. dots]));
}

/// <summary>
/// The causal context against a plain set of dots: it holds exactly the dots it was given, merge is union, covers is
/// inclusion, and one set has one representation (a vector plus a cloud of dots past a gap), whatever the order the dots came in.
/// </summary>
[Properties(Arbitrary = [typeof(DotSetGenerators)], MaxTest = 300)]
public sealed class CausalContextProperties
{
    private static IEnumerable<Dot> Universe() =>
        from actor in new[] { "a", "b", "c", "d" } from counter in Enumerable.Range(1, 12) select new Dot(actor, counter);

    private static void Holds(HashSet<Dot> expected, CausalContext context)
    {
        foreach (var d in Universe()) Assert.True(expected.Contains(d) == context.Contains(d), $"{context} and {d}");
    }

    [Property]
    public void A_context_holds_exactly_its_dots_in_canonical_form(DotSet s, int seed)
    {
        var context = CausalContext.From(s.Dots);
        Holds(s.Dots, context);
        var shuffled = s.Dots.ToArray();
        new Random(seed).Shuffle(shuffled);
        Assert.Equal(context, CausalContext.From(shuffled.Concat(shuffled.Take(2))));
        foreach (var v in context.Vector) Assert.All(Enumerable.Range(1, (int)v.Counter), i => Assert.Contains(new Dot(v.Node, i), s.Dots));
        foreach (var d in context.Cloud) Assert.DoesNotContain(new Dot(d.Node, context.VectorCounterOf(d.Node) + 1), s.Dots);
        Assert.Equal(context.Count, context.Vector.Length + context.Cloud.Length);
        Assert.True(context.Cloud.Length <= s.Dots.Count);
    }

    [Property]
    public void Merge_is_union_and_covers_is_inclusion(DotSet a, DotSet b)
    {
        var ca = CausalContext.From(a.Dots);
        var cb = CausalContext.From(b.Dots);
        var union = a.Dots.Union(b.Dots).ToHashSet();
        Holds(union, ca.Merge(cb));
        Assert.Equal(ca.Merge(cb), cb.Merge(ca));
        Assert.Equal(CausalContext.From(union), ca.Merge(cb));
        Assert.Equal(a.Dots.IsSupersetOf(b.Dots), ca.Covers(cb));
        Assert.True(ca.Merge(cb).Covers(ca) && ca.Merge(cb).Covers(cb));
        Assert.Equal(ca.Add(b.Dots), ca.Merge(cb));
    }

    [Property]
    public void The_next_dot_is_past_every_dot_seen(DotSet s)
    {
        var context = CausalContext.From(s.Dots);
        foreach (var actor in new[] { "a", "b", "d" })
        {
            var next = context.NextDot(actor);
            Assert.Equal(actor, next.Node);
            Assert.Equal(s.Dots.Where(d => d.Node == actor).Select(d => d.Counter).DefaultIfEmpty(0).Max() + 1, next.Counter);
        }
    }

    [Property]
    public void The_order_of_contexts_is_total_and_agrees_with_equality(DotSet a, DotSet b)
    {
        var ca = CausalContext.From(a.Dots);
        var cb = CausalContext.From(b.Dots);
        Assert.Equal(ca.Equals(cb), ca.CompareTo(cb) == 0);
        Assert.Equal(Math.Sign(ca.CompareTo(cb)), -Math.Sign(cb.CompareTo(ca)));
    }

    [Fact]
    public void Dots_outside_one_to_two_to_the_53_and_bad_actors_are_refused()
    {
        Assert.Throws<DataTypeOperationException>(() => CausalContext.From([new Dot("a", 0)]));
        Assert.Throws<DataTypeOperationException>(() => CausalContext.From([new Dot("a", VectorClock.MaxCounter + 1)]));
        Assert.Throws<DataTypeOperationException>(() => CausalContext.From([new Dot("", 1)]));
        Assert.Throws<DataTypeOperationException>(() => CausalContext.From([new Dot(new string('x', 257), 1)]));
        var full = CausalContext.FromVector([new Dot("a", VectorClock.MaxCounter)]);
        Assert.Throws<VersionCounterOverflowException>(() => full.NextDot("a"));
    }
}
