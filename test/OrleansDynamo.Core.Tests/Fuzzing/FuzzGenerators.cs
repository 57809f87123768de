using FsCheck;
using FsCheck.Fluent;
using OrleansDynamo.Core.AntiEntropy;
using OrleansDynamo.Core.Tests.AntiEntropy;
using OrleansDynamo.Core.Tests.Versioning;

namespace OrleansDynamo.Core.Tests.Fuzzing;

/// <summary>A serialized Merkle tree of a small random shape and key set.</summary>
public sealed record MerkleFile(MerkleShape Shape, byte[] Bytes)
{
    public override string ToString() => $"MerkleFile({Shape}, {Bytes.Length} bytes)";
}

/// <summary>A number written over the fixed-width header of a Merkle file (format, fan-out, depth, key count, root).</summary>
public sealed record HeaderPlant(PlantNumber Plant);

/// <summary>
/// Bytes that start like an encoding (a known format byte, or any) and go on with noise biased to small values,
/// so counts and lengths are often plausible and the decoder is driven deep into its input, not refused at once.
/// </summary>
public sealed record Noise(byte[] Bytes)
{
    public override string ToString() => $"Noise({Convert.ToHexString(Bytes)})";
}

public static class FuzzGenerators
{
    public static Arbitrary<MerkleFile> MerkleFileArb() =>
        Arb.From(
            from fanOut in Gen.Choose(2, 8)
            from depth in Gen.Choose(1, 3)
            from keys in Gen.Choose(0, 40)
            from seed in Gen.Choose(0, int.MaxValue)
            let shape = new MerkleShape(fanOut, depth)
            select new MerkleFile(shape, TreeFixtures.Tree(TreeFixtures.RandomReplica(new Random(seed), keys), shape).Serialize()));

    public static Arbitrary<HeaderPlant> HeaderPlantArb() =>
        Arb.From(
            from position in Gen.Choose(0, 19)
            from width in Gen.Elements(1, 2, 8)
            from value in Gen.OneOf(
                Gen.Elements<ulong>(0, 1, 2, 8, 9, 16, 24, 255, 256, 257, 65535, 1UL << 24, long.MaxValue, 1UL << 63, ulong.MaxValue),
                Gen.Choose(0, int.MaxValue).Select(i => (ulong)i))
            select new HeaderPlant(new PlantNumber(position, value, width)));

    public static Arbitrary<Noise> NoiseArb()
    {
        var small = Gen.Frequency((6, Gen.Choose(0, 4)), (2, Gen.Choose(0x20, 0x7E)), (1, Gen.Choose(0, 255))).Select(i => (byte)i);
        return Arb.From(
            from format in Gen.Frequency((4, Gen.Elements<byte>(1, 2)), (1, Gen.Choose(0, 255).Select(i => (byte)i)))
            from length in Gen.Choose(0, 96)
            from rest in Gen.ArrayOf(small, length)
            select new Noise([format, .. rest]));
    }
}
