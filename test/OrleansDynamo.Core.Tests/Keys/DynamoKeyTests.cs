using OrleansDynamo.Core.Keys;
using Xunit;

namespace OrleansDynamo.Core.Tests;

public sealed class DynamoKeyTests
{
    [Theory]
    [InlineData("carts", "alice", "54fb3cdc0463d0f967e84de1e79b75fb")]
    [InlineData("bé", "këy", "032085f1e8ebcbbff88289aabb2c5ee0")]
    public void A_keys_hash_is_the_MD5_of_its_bucket_a_zero_byte_and_its_key_in_UTF8(string bucket, string key, string md5)
    {
        // The vectors are Python's hashlib.md5 of the UTF-8 bytes: the ring position every silo and client agree on.
        var k = new DynamoKey(bucket, key);

        Assert.Equal(md5, k.Hash.ToString());
        Assert.Equal(KeyHash.Of(bucket, key), k.Hash);
    }

    [Fact]
    public void Equal_keys_are_equal_and_find_each_other_and_different_keys_do_not()
    {
        var a = new DynamoKey("carts", "alice");
        var same = new DynamoKey("carts", string.Concat("ali", "ce"));
        var otherKey = new DynamoKey("carts", "bob");
        var otherBucket = new DynamoKey("baskets", "alice");

        Assert.Equal(a, same);
        Assert.Equal(a.GetHashCode(), same.GetHashCode());
        Assert.NotEqual(a, otherKey);
        Assert.NotEqual(a, otherBucket);
        var seen = new Dictionary<DynamoKey, int> { [a] = 1, [otherKey] = 2 };
        Assert.Equal(1, seen[same]);
        Assert.False(seen.ContainsKey(otherBucket));

        var (bucket, key) = same;
        Assert.Equal(("carts", "alice"), (bucket, key));
        Assert.Equal("carts/alice", same.ToString());
    }
}
