using System.Net;
using OrleansDynamo.Client.Routing;
using Xunit;

namespace OrleansDynamo.Cluster.Tests;

/// <summary>
/// The SDK's Orleans gateway list: a gateway counts as listed (and is called) only once Orleans has taken a list with it
/// in and then taken the list again, or at once if the start's take returned it. A call to a system target at a
/// gateway Orleans does not list goes to another gateway and is left unanswered until its timeout.
/// </summary>
public sealed class RingGatewayListTests
{
    private static readonly IPEndPoint A = new(IPAddress.Loopback, 30001), B = new(IPAddress.Loopback, 30002);

    [Fact]
    public async Task A_gateway_of_the_start_is_listed_once_taken_and_one_added_later_only_after_the_take_that_follows_its_first()
    {
        var list = new RingGatewayList([A]);
        var a = list.WhenListedAsync(A, CancellationToken.None);
        Assert.False(a.IsCompleted);
        Assert.Equal([A.Port], (await list.GetGateways()).Select(u => u.Port));
        await a.WaitAsync(TimeSpan.FromSeconds(5));

        list.Add(B);
        var b = list.WhenListedAsync(B, CancellationToken.None);
        Assert.Equal([A.Port, B.Port], (await list.GetGateways()).Select(u => u.Port));
        await Task.Delay(50);
        Assert.False(b.IsCompleted);
        await list.GetGateways();
        await b.WaitAsync(TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task A_gateway_taken_off_the_list_and_added_again_waits_for_two_more_takes()
    {
        var list = new RingGatewayList([A, B]);
        await list.GetGateways();
        await list.WhenListedAsync(B, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(5));

        list.Retain([A]);
        Assert.Equal([A.Port], (await list.GetGateways()).Select(u => u.Port));
        list.Retain([A, B]);
        var b = list.WhenListedAsync(B, CancellationToken.None);
        await list.GetGateways();
        await Task.Delay(50);
        Assert.False(b.IsCompleted);
        await list.GetGateways();
        await b.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(TimeSpan.Zero, list.MaxStaleness);
    }

    [Fact]
    public async Task A_gateway_unlisted_after_a_call_failed_to_reach_it_waits_for_two_more_takes()
    {
        // Orleans takes a gateway it failed to connect to off its live list until its next take: a call sent there
        // meanwhile would wait out its timeout. The start's gateway too (listed at once before).
        var list = new RingGatewayList([A, B]);
        await list.GetGateways();
        await list.WhenListedAsync(A, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(5));

        list.Unlist(A);
        var a = list.WhenListedAsync(A, CancellationToken.None);
        await Task.Delay(50);
        Assert.False(a.IsCompleted);
        Assert.Equal([A.Port, B.Port], (await list.GetGateways()).Select(u => u.Port));
        await Task.Delay(50);
        Assert.False(a.IsCompleted);
        await list.GetGateways();
        await a.WaitAsync(TimeSpan.FromSeconds(5));
        // The other gateway stayed listed throughout.
        Assert.True(list.WhenListedAsync(B, CancellationToken.None).IsCompletedSuccessfully);
    }

    [Fact]
    public async Task Waiting_for_a_gateway_that_is_never_taken_ends_with_the_callers_token()
    {
        var list = new RingGatewayList([A]);
        await list.GetGateways();
        list.Add(B);
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => list.WhenListedAsync(B, cancel.Token));
    }
}
