using System.Buffers.Binary;

namespace OrleansDynamo.Storage.Log;

/// <summary>Who wrote a data file. Written to disk: values are only ever appended.</summary>
internal enum DataFileKind : byte
{
    /// <summary>Appended to by writes, in sequence order; the newest one may end in a torn record after a crash.</summary>
    Write = 1,

    /// <summary>Written by a merge (records keep their sequence numbers); complete and synced before it is named <c>.data</c>.</summary>
    Merge = 2,
}

/// <summary>
/// The 32 bytes at the start of every data file (format version 1), little-endian:
/// <code>
///  0  8 bytes  magic "ODLOGDAT"
///  8  u16      file format version (1)
/// 10  u8       kind (<see cref="DataFileKind"/>)
/// 11  5 bytes  reserved, zero
/// 16  u64      base sequence number: the first a write file may hold (every earlier one was handed out before it
///              was created), so numbering continues past records a merge has since dropped; 0 in merge outputs
/// 24  u32      reserved, zero
/// 28  u32      CRC-32C of bytes 0..28
/// </code>
/// </summary>
internal readonly record struct DataFileHeader(DataFileKind Kind, long BaseSeq)
{
    public const int Size = 32;
    public const ushort FormatVersion = 1;

    private static ReadOnlySpan<byte> Magic => "ODLOGDAT"u8;

    public byte[] Encode()
    {
        var bytes = new byte[Size];
        Magic.CopyTo(bytes);
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(8), FormatVersion);
        bytes[10] = (byte)Kind;
        BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(16), BaseSeq);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(28), LogRecord.Crc(bytes.AsSpan(0, 28)));
        return bytes;
    }

    /// <summary>The header, or why these bytes are not one.</summary>
    public static bool TryDecode(ReadOnlySpan<byte> bytes, out DataFileHeader header, out string problem)
    {
        header = default;
        if (bytes.Length < Size)
        {
            problem = $"the file is {bytes.Length} bytes long, shorter than its {Size}-byte header";
            return false;
        }
        if (!bytes[..8].SequenceEqual(Magic))
        {
            problem = "the file header is not an OrleansDynamo data file's";
            return false;
        }
        if (BinaryPrimitives.ReadUInt32LittleEndian(bytes[28..]) != LogRecord.Crc(bytes[..28]))
        {
            problem = "the file header's checksum does not match";
            return false;
        }
        ushort version = BinaryPrimitives.ReadUInt16LittleEndian(bytes[8..]);
        if (version != FormatVersion)
        {
            problem = $"file format version {version} is unknown; this build reads version {FormatVersion}";
            return false;
        }
        byte kind = bytes[10];
        if (kind is not ((byte)DataFileKind.Write or (byte)DataFileKind.Merge))
        {
            problem = $"file kind {kind} is unknown";
            return false;
        }
        header = new DataFileHeader((DataFileKind)kind, BinaryPrimitives.ReadInt64LittleEndian(bytes[16..]));
        problem = "";
        return true;
    }
}
