namespace OrleansDynamo.Storage.Sqlite;

/// <summary>
/// What the background WAL checkpointer of a <see cref="SqlitePartitionStore"/> has done since open.
/// </summary>
/// <param name="Checkpoints">Rounds run (each starts with a PASSIVE checkpoint, which blocks nobody).</param>
/// <param name="Restarts">RESTART checkpoints that completed (the next commit writes the WAL from its beginning), or
/// that found the writer had already restarted it. The writer also restarts the WAL by itself when it finds every frame
/// copied and no reader on an older snapshot; those restarts are not counted.</param>
/// <param name="RestartsBlocked">Restarts given up because readers of older snapshots outlasted
/// <see cref="SqliteStoreOptions.WalRestartTimeout"/>, or kept old frames in use so that catching up made no
/// progress (then the writer was not held); each is retried one <see cref="SqliteStoreOptions.CheckpointInterval"/> later.</param>
/// <param name="LongestWriterHold">Longest time the group-commit writer was held for a restart.</param>
/// <param name="TotalWriterHold">Sum of all those holds.</param>
public readonly record struct WalCheckpointStats(
    long Checkpoints,
    long Restarts,
    long RestartsBlocked,
    TimeSpan LongestWriterHold,
    TimeSpan TotalWriterHold);
