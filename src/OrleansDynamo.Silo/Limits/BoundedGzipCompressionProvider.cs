using System.IO.Compression;
using Grpc.Core;
using Grpc.Net.Compression;

namespace OrleansDynamo.Silo.Limits;

/// <summary>
/// gzip for the gRPC service with the request limit applied while a message inflates: the length the silo checks
/// before reading a message is the compressed one, and 132 KiB of zeros inflate to over 100 MiB. Inflating stops at
/// <paramref name="maxBytes"/> with RESOURCE_EXHAUSTED naming the limit (grpc-dotnet 2.85 alone answers an
/// inflated message over its limit with a message that names none).
/// </summary>
public sealed class BoundedGzipCompressionProvider(int maxBytes, string limitName) : ICompressionProvider
{
    public string EncodingName => "gzip";

    public Stream CreateCompressionStream(Stream stream, CompressionLevel? compressionLevel) =>
        new GZipStream(stream, compressionLevel ?? CompressionLevel.Fastest, leaveOpen: true);

    public Stream CreateDecompressionStream(Stream stream) =>
        new BoundedReadStream(new GZipStream(stream, CompressionMode.Decompress, leaveOpen: true), maxBytes, limitName);

    /// <summary>Reads through to <c>inner</c> and fails once more than <c>max</c> bytes came out of it.</summary>
    private sealed class BoundedReadStream(Stream inner, int max, string limitName) : Stream
    {
        private long _read;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => _read; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Count(inner.Read(buffer, offset, count));

        public override int Read(Span<byte> buffer) => Count(inner.Read(buffer));

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            Count(await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false));

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        private int Count(int n)
        {
            _read += n;
            if (_read > max)
                throw new RpcException(new Status(StatusCode.ResourceExhausted,
                    $"the request decompresses to more than {max} bytes, the most this silo accepts ({limitName})"));
            return n;
        }

        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing) inner.Dispose();
            base.Dispose(disposing);
        }
    }
}
