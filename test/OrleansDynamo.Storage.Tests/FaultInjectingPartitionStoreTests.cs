using OrleansDynamo.Storage.Faults;
using OrleansDynamo.Storage.Memory;
using Xunit;
using static OrleansDynamo.Storage.Tests.TestData;

namespace OrleansDynamo.Storage.Tests;

public sealed class FaultInjectingPartitionStoreTests
{
    [Fact]
    public async Task Injected_write_fault_fails_the_call_and_writes_nothing_until_healed()
    {
        await using var store = new FaultInjectingPartitionStore(new InMemoryPartitionStore(), FaultInjectingPartitionStore.FailingWrites());
        var error = await Assert.ThrowsAsync<InjectedStorageFaultException>(async () => await store.WriteAsync(1, Key("k"), Value("v")));
        Assert.Equal(StoreOperation.Write, error.Operation);
        await Assert.ThrowsAsync<InjectedStorageFaultException>(async () => await store.Metadata.SetAsync("m", [1]));
        await Assert.ThrowsAsync<InjectedStorageFaultException>(async () => await store.Hints.AppendAsync(new Hint("b", 1, Key("k"), Value("v"), Now)));
        Assert.Null(await store.ReadAsync(1, Key("k")));
        Assert.Equal(3, store.InjectedFaults);

        store.Injector = null;
        await store.WriteAsync(1, Key("k"), Value("v"));
        Assert.Equal(Value("v"), await store.ReadAsync(1, Key("k")));
    }

    [Fact]
    public async Task Read_faults_and_seeded_random_faults()
    {
        await using var store = new FaultInjectingPartitionStore(new InMemoryPartitionStore(), FaultInjectingPartitionStore.Failing(StoreOperation.Read));
        await store.WriteAsync(1, Key("k"), Value("v"));
        await Assert.ThrowsAsync<InjectedStorageFaultException>(async () => await store.ReadAsync(1, Key("k")));

        static async Task<string> Pattern(FaultInjectingPartitionStore s)
        {
            s.Injector = FaultInjectingPartitionStore.Random(0.5, seed: 7, StoreOperation.Read);
            var chars = new List<char>();
            for (int i = 0; i < 40; i++)
            {
                try
                {
                    await s.ReadAsync(1, Key("k"));
                    chars.Add('.');
                }
                catch (InjectedStorageFaultException)
                {
                    chars.Add('x');
                }
            }
            return new string([.. chars]);
        }
        string a = await Pattern(store), b = await Pattern(store);
        Assert.Equal(a, b);
        Assert.Contains('x', a);
        Assert.Contains('.', a);
    }
}
