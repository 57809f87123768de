namespace OrleansDynamo.Cli.Bench;

/// <summary>
/// A store the load generator drives. Workers are numbered 0..concurrency-1; a target may split them into
/// lanes (e.g. client- and server-coordinated) whose figures are reported apart. Thread-safe.
/// </summary>
public interface IBenchTarget : IAsyncDisposable
{
    /// <summary>Short name for reports: <c>dynamo</c> or <c>etcd</c>.</summary>
    string Name { get; }

    /// <summary>The lane names; a single empty name when the target has one lane.</summary>
    IReadOnlyList<string> Lanes { get; }

    /// <summary>The lane of worker <paramref name="worker"/> (an index into <see cref="Lanes"/>).</summary>
    int LaneOf(int worker);

    /// <summary>Connects and checks the target answers; throws with the reason when it does not.</summary>
    Task ConnectAsync(CancellationToken cancellationToken);

    /// <summary>Reads a key; returns how many versions came back (0 = not found).</summary>
    Task<int> GetAsync(int worker, long keyIndex, string key, CancellationToken cancellationToken);

    /// <summary>Writes a key.</summary>
    Task PutAsync(int worker, long keyIndex, string key, ReadOnlyMemory<byte> value, CancellationToken cancellationToken);

    /// <summary>Writes a key of the preload, which the bench takes to be new; by default as <see cref="PutAsync"/>.</summary>
    Task PreloadAsync(int worker, long keyIndex, string key, ReadOnlyMemory<byte> value, CancellationToken cancellationToken) =>
        PutAsync(worker, keyIndex, key, value, cancellationToken);

    /// <summary>The kind of a failed operation's exception, for the errors table (e.g. <c>Timeout</c>).</summary>
    string ErrorKindOf(Exception exception);
}
