using OrleansDynamo.Storage.Memory;
using OrleansDynamo.Storage.Sqlite;
using Xunit;
using static OrleansDynamo.Storage.Tests.TestData;

namespace OrleansDynamo.Storage.Tests;

public sealed class PartitionStoreFactoryTests
{
    [Fact]
    public async Task Opens_the_named_engine()
    {
        string dir = TempDirectory();
        try
        {
            await using (var sqlite = PartitionStoreFactory.Open(new StorageOptions { DataDirectory = dir, Durability = DurabilityMode.Normal }))
                Assert.IsType<SqlitePartitionStore>(sqlite);
            await using var memory = PartitionStoreFactory.Open(new StorageOptions { Engine = "memory" });
            Assert.IsType<InMemoryPartitionStore>(memory);
        }
        finally
        {
            DeleteDirectory(dir);
        }
    }

    [Fact]
    public void Unknown_engine_is_refused_naming_the_field()
    {
        var error = Assert.Throws<ArgumentException>(() => PartitionStoreFactory.Open(new StorageOptions { Engine = "rocks" }));
        Assert.Contains("Storage.Engine", error.Message);
    }
}
