namespace OrleansDynamo.Storage.Log;

/// <summary>What the log engine holds and has done since it opened (for tests, diagnostics and a status page).</summary>
/// <param name="Files">Data files open (the active write file, closed files, merge outputs).</param>
/// <param name="TotalBytes">Bytes of all data files.</param>
/// <param name="LiveBytes">Bytes of the records the key directory points at.</param>
/// <param name="DeadBytes">Bytes of all other records (overwritten, removed, dropped, tombstones).</param>
/// <param name="SealedBytes">Bytes of the closed files (what a merge rewrites).</param>
/// <param name="SealedDeadBytes">Dead bytes among them (what starts a merge, with <see cref="LogStoreOptions.MergeDeadShare"/>).</param>
/// <param name="LastSequence">The last record number handed out.</param>
/// <param name="DurableSequence">Every record numbered up to this is synced to disk.</param>
/// <param name="Syncs">Group-commit and periodic fsyncs done.</param>
/// <param name="Merges">Merges committed.</param>
/// <param name="MergeBytesRead">Bytes merges read.</param>
/// <param name="MergeBytesWritten">Bytes merges wrote.</param>
/// <param name="MergeBytesReclaimed">Bytes of data files merges deleted, less what they wrote.</param>
/// <param name="MergeFailures">Merges that did not finish (their inputs were kept).</param>
/// <param name="LastMergeError">Why the last failed merge failed.</param>
public sealed record LogStoreStats(
    int Files,
    long TotalBytes,
    long LiveBytes,
    long DeadBytes,
    long SealedBytes,
    long SealedDeadBytes,
    long LastSequence,
    long DurableSequence,
    long Syncs,
    long Merges,
    long MergeBytesRead,
    long MergeBytesWritten,
    long MergeBytesReclaimed,
    long MergeFailures,
    string? LastMergeError);

/// <summary>What one merge did.</summary>
/// <param name="Inputs">Closed files it rewrote (and deleted).</param>
/// <param name="Outputs">Files it wrote.</param>
/// <param name="RecordsCopied">Live records copied.</param>
/// <param name="BytesRead">Bytes read from the inputs.</param>
/// <param name="BytesWritten">Bytes written to the outputs.</param>
/// <param name="BytesReclaimed">Bytes of the inputs less the bytes of the outputs.</param>
public sealed record LogMergeResult(int Inputs, int Outputs, long RecordsCopied, long BytesRead, long BytesWritten, long BytesReclaimed)
{
    public static readonly LogMergeResult Nothing = new(0, 0, 0, 0, 0, 0);
}
