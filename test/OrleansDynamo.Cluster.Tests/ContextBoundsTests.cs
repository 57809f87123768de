using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using OrleansDynamo.Core.Versioning;
using OrleansDynamo.Protocol.Grpc;
using OrleansDynamo.TestingHost;
using Xunit;

namespace OrleansDynamo.Cluster.Tests;

/// <summary>
/// A client context whose counter would overflow (2^63−1, as any client can make up) is refused at the client API
/// with INVALID_ARGUMENT saying what is wrong, and nothing is written: the key stays readable, writable and unchanged.
/// Before, such a put was taken, the next dot wrapped negative, and the key never decoded again.
/// </summary>
public sealed class ContextBoundsTests
{
    private static CallOptions Deadline => new(deadline: DateTime.UtcNow.AddSeconds(20));

    private static string Varint(ulong v)
    {
        var bytes = new List<byte>();
        for (; v >= 0x80; v >>= 7) bytes.Add((byte)(v | 0x80));
        bytes.Add((byte)v);
        return Convert.ToHexString(bytes.ToArray());
    }

    /// <summary>A context {node: counter} in format 1 (see <see cref="VersionCodec"/>), built by hand: no codec check stands in the way.</summary>
    private static string MadeUpContext(string node, ulong counter)
    {
        byte[] name = System.Text.Encoding.UTF8.GetBytes(node);
        return Convert.ToBase64String(Convert.FromHexString("01" + "01" + Varint((ulong)name.Length) + Convert.ToHexString(name) + Varint(counter) + "00"));
    }

    private static async Task Refused(string fragment, Func<Task> call)
    {
        var e = await Assert.ThrowsAsync<RpcException>(call);
        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        Assert.Contains(fragment, e.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_context_with_an_overflowing_counter_is_refused_and_the_key_stays_readable_writable_and_unchanged()
    {
        await using var cluster = await TestCluster.StartAsync(new TestClusterOptions { Silos = 1, N = 1, R = 1, W = 1 });
        using var channel = GrpcChannel.ForAddress(cluster[0].GrpcAddress);
        var client = new Dynamo.DynamoClient(channel);

        var put = await client.PutAsync(new PutRequest { Key = "bounded", Value = ByteString.CopyFromUtf8("v1") }, Deadline);
        string actor = Assert.Single(VersionCodec.DecodeContext(put.Context).Entries).Node; // the coordinator's own entry
        var stored = await cluster.ReadStoreAsync("silo0", "default", "bounded");
        Assert.NotNull(stored);

        string overflowing = MadeUpContext(actor, long.MaxValue);
        string refusal = $"context does not decode: context entry '{actor}' has counter {long.MaxValue}, above the maximum {VectorClock.MaxCounter}";
        await Refused(refusal, () => client.PutAsync(new PutRequest { Key = "bounded", Value = ByteString.CopyFromUtf8("evil"), Context = overflowing }, Deadline).ResponseAsync);
        await Refused(refusal, () => client.DeleteAsync(new DeleteRequest { Key = "bounded", Context = overflowing }, Deadline).ResponseAsync);
        // A key never written is not created by the refused put either.
        await Refused("above the maximum", () => client.PutAsync(new PutRequest { Key = "fresh", Value = ByteString.CopyFromUtf8("evil"), Context = overflowing }, Deadline).ResponseAsync);

        Assert.Equal(stored, await cluster.ReadStoreAsync("silo0", "default", "bounded"));
        Assert.Null(await cluster.ReadStoreAsync("silo0", "default", "fresh"));
        var got = await client.GetAsync(new GetRequest { Key = "bounded" }, Deadline);
        Assert.Equal("v1", Assert.Single(got.Siblings).Value.ToStringUtf8());
        Assert.Equal(VersionCodec.DecodeContext(put.Context), VersionCodec.DecodeContext(got.Context));
        Assert.False((await client.GetAsync(new GetRequest { Key = "fresh" }, Deadline)).Found);

        await client.PutAsync(new PutRequest { Key = "bounded", Value = ByteString.CopyFromUtf8("v2"), Context = got.Context }, Deadline);
        var after = await client.GetAsync(new GetRequest { Key = "bounded" }, Deadline);
        Assert.Equal("v2", Assert.Single(after.Siblings).Value.ToStringUtf8());
        Assert.Equal(2, VersionCodec.DecodeContext(after.Context).CounterOf(actor));
    }

    [Fact]
    public async Task A_counter_at_the_maximum_for_one_silo_merged_in_through_another_leaves_that_silo_able_to_write_the_key()
    {
        await using var cluster = await TestCluster.StartAsync(new TestClusterOptions { Silos = 2, N = 2, R = 2, W = 2 });
        using var toX = GrpcChannel.ForAddress(cluster[0].GrpcAddress);
        using var toY = GrpcChannel.ForAddress(cluster[1].GrpcAddress);
        var x = new Dynamo.DynamoClient(toX);
        var y = new Dynamo.DynamoClient(toY);
        // Both silos replicate every key (N = 2 of 2), so each coordinates what it is sent.
        var first = await x.PutAsync(new PutRequest { Key = "k", Value = ByteString.CopyFromUtf8("v1") }, Deadline);
        string actorX = Assert.Single(VersionCodec.DecodeContext(first.Context).Entries).Node;

        // A made-up context with X's counter at the maximum decodes, and Y merges it into the key's clock.
        await y.PutAsync(new PutRequest { Key = "k", Value = ByteString.CopyFromUtf8("v2"), Context = MadeUpContext(actorX, (ulong)VectorClock.MaxCounter) }, Deadline);
        var merged = await x.GetAsync(new GetRequest { Key = "k" }, Deadline);
        Assert.Equal(VectorClock.MaxCounter, VersionCodec.DecodeContext(merged.Context).CounterOf(actorX));

        // X has no next dot in that epoch for the key: it moves to a new epoch and goes on coordinating writes to it.
        var context = merged.Context;
        for (int i = 3; i <= 5; i++)
            context = (await x.PutAsync(new PutRequest { Key = "k", Value = ByteString.CopyFromUtf8($"v{i}"), Context = context }, Deadline)).Context;
        var got = await x.GetAsync(new GetRequest { Key = "k" }, Deadline);
        Assert.Equal("v5", Assert.Single(got.Siblings).Value.ToStringUtf8());
        var clock = VersionCodec.DecodeContext(got.Context);
        string newActor = cluster[0].Runtime.Replicas.Epoch.Actor;
        Assert.NotEqual(actorX, newActor);
        Assert.Equal(3, clock.CounterOf(newActor));
        Assert.Equal(VectorClock.MaxCounter, clock.CounterOf(actorX));
        Assert.Equal("v5", Assert.Single((await y.GetAsync(new GetRequest { Key = "k" }, Deadline)).Siblings).Value.ToStringUtf8());
    }
}
