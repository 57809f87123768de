using System.Diagnostics;

namespace OrleansDynamo.Cluster.Tests.EndToEnd;

/// <summary>Thrown by a probe when waiting longer cannot help (a silo process died); never retried.</summary>
internal sealed class WaitAbortedException(string message) : Exception(message);

/// <summary>Polls a condition with a deadline; every wait in the real-process tests goes through here.</summary>
internal static class Eventually
{
    private static readonly TimeSpan DefaultInterval = TimeSpan.FromMilliseconds(250);

    /// <summary>
    /// Calls <paramref name="probe"/> until it returns null (the condition holds). A probe returns why the
    /// condition does not hold yet; an exception from it counts as "not yet" (a silo still starting), except
    /// <see cref="WaitAbortedException"/>. Past <paramref name="timeout"/> it throws a <see cref="TimeoutException"/>
    /// naming <paramref name="what"/> and the last reason.
    /// </summary>
    public static async Task<TimeSpan> UntilAsync(string what, TimeSpan timeout, Func<Task<string?>> probe, TimeSpan? interval = null)
    {
        var clock = Stopwatch.StartNew();
        string last = "not checked";
        while (true)
        {
            try
            {
                if (await probe() is not { } reason) return clock.Elapsed;
                last = reason;
            }
            catch (WaitAbortedException)
            {
                throw;
            }
            catch (Exception e)
            {
                last = $"{e.GetType().Name}: {e.Message}";
            }
            if (clock.Elapsed > timeout)
                throw new TimeoutException($"{what}: still not so after {timeout.TotalSeconds:0} s; last: {last}");
            await Task.Delay(interval ?? DefaultInterval);
        }
    }
}
