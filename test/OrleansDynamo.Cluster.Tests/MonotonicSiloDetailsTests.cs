using OrleansDynamo.Silo.Hosting;
using Xunit;

namespace OrleansDynamo.Cluster.Tests;

/// <summary>
/// A durable silo's Orleans generation never goes backwards (found by the fault tier: a silo restarted with its clock set back
/// after running ahead was declared dead by membership and stopped itself at every restart).
/// </summary>
public sealed class MonotonicSiloDetailsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("od-generation-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData(1000, null, 1000)]
    [InlineData(1000, 999, 1000)]
    [InlineData(1000, 1000, 1001)]
    [InlineData(1000, 1180, 1181)]
    public void Next_is_the_clock_or_one_past_the_last(int clock, int? last, int expected) =>
        Assert.Equal(expected, MonotonicSiloDetails.Next(clock, last));

    [Fact]
    public void A_start_with_the_clock_set_back_gets_a_generation_above_the_previous_start()
    {
        int ahead = MonotonicSiloDetails.Allocate(_dir, clock: 155_454_484);
        int back = MonotonicSiloDetails.Allocate(_dir, clock: 155_454_300);
        int later = MonotonicSiloDetails.Allocate(_dir, clock: 155_460_000);
        Assert.Equal(155_454_484, ahead);
        Assert.Equal(155_454_485, back);
        Assert.Equal(155_460_000, later);
        Assert.Equal("155460000", File.ReadAllText(Path.Combine(_dir, MonotonicSiloDetails.FileName)));
    }

    [Fact]
    public void A_record_that_cannot_be_written_leaves_the_clock_generation()
    {
        var file = Path.Combine(_dir, "not-a-directory");
        File.WriteAllText(file, "");
        Assert.Equal(42, MonotonicSiloDetails.Allocate(file, clock: 42));
    }
}
