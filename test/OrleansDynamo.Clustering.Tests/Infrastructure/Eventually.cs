using System.Diagnostics;

namespace OrleansDynamo.Clustering.Tests.Infrastructure;

/// <summary>Bounded waits: poll a condition until it holds or the time is up, then fail with what was awaited and the last observation.</summary>
internal static class Eventually
{
    public static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(100);

    /// <summary>Polls <paramref name="check"/> until it returns null (done) or <paramref name="timeout"/> passes; a non-null string says why not yet.</summary>
    public static async Task<TimeSpan> Until(string what, TimeSpan timeout, Func<Task<string?>> check)
    {
        var clock = Stopwatch.StartNew();
        string? lastReason = "never checked";
        while (true)
        {
            try
            {
                lastReason = await check();
            }
            catch (Exception e)
            {
                lastReason = $"{e.GetType().Name}: {e.Message}";
            }
            if (lastReason is null) return clock.Elapsed;
            if (clock.Elapsed >= timeout)
                throw new TimeoutException($"timed out after {timeout.TotalSeconds:0.#} s waiting for {what}; last: {lastReason}");
            await Task.Delay(PollInterval);
        }
    }

    public static Task<TimeSpan> Until(string what, TimeSpan timeout, Func<string?> check) =>
        Until(what, timeout, () => Task.FromResult(check()));
}
