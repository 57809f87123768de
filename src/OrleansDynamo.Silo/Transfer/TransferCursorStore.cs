using System.Text;
using OrleansDynamo.Core.Keys;
using OrleansDynamo.Storage;

namespace OrleansDynamo.Silo.Transfer;

/// <summary>Where an outbound transfer of one partition stopped, for which new owners.</summary>
public sealed record SavedTransfer(string Targets, ScanCursor? Cursor);

/// <summary>
/// Persists each outbound transfer's cursor in the metadata store (key "transfer:{partition}"), so a
/// restarted silo resumes where it stopped. Format v1: byte 1, string targets, byte hasCursor,
/// [16 bytes key hash, string bucket, string key]; strings are 7-bit-length-prefixed UTF-8.
/// </summary>
public sealed class TransferCursorStore(IMetadataStore metadata)
{
    private const byte FormatV1 = 1;

    private static string Name(int partition) => $"transfer:{partition}";

    public async Task<SavedTransfer?> LoadAsync(int partition, CancellationToken ct)
    {
        var bytes = await metadata.GetAsync(Name(partition), ct);
        if (bytes is null) return null;
        try
        {
            using var reader = new BinaryReader(new MemoryStream(bytes), Encoding.UTF8);
            if (reader.ReadByte() != FormatV1) return null;
            string targets = reader.ReadString();
            if (reader.ReadByte() == 0) return new SavedTransfer(targets, null);
            var hash = KeyHash.FromBytes(reader.ReadBytes(16));
            return new SavedTransfer(targets, new ScanCursor(hash, reader.ReadString(), reader.ReadString()));
        }
        catch (Exception e) when (e is EndOfStreamException or IOException or ArgumentException or FormatException)
        {
            return null; // an unreadable cursor only costs a transfer from the start
        }
    }

    public async Task SaveAsync(int partition, string targets, ScanCursor? cursor, CancellationToken ct)
    {
        using var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true))
        {
            writer.Write(FormatV1);
            writer.Write(targets);
            writer.Write((byte)(cursor is null ? 0 : 1));
            if (cursor is { } c)
            {
                writer.Write(c.Hash.ToBytes());
                writer.Write(c.Bucket);
                writer.Write(c.Key);
            }
        }
        await metadata.SetAsync(Name(partition), stream.ToArray(), ct);
    }

    public async Task DeleteAsync(int partition, CancellationToken ct) => await metadata.DeleteAsync(Name(partition), ct);
}
