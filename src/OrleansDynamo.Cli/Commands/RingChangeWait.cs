using System.Diagnostics;
using System.Globalization;
using OrleansDynamo.Cli.Output;
using OrleansDynamo.Client;
using Spectre.Console;

namespace OrleansDynamo.Cli.Commands;

/// <summary>
/// <c>join --wait</c> and <c>leave --wait</c>: polls the status of one silo (which asks every active silo for its part
/// in the ring change) until the change is complete: the silo named is up and no longer joining (a join) or has left (a
/// leave), every active silo answered with nothing left to send or receive, and every silo that is up reports the same
/// membership (the change has reached them all). A terminal shows a progress bar of keys
/// sent cluster-wide; a pipe gets a line every few seconds; <c>--json</c> prints one object at the end.
/// </summary>
internal static class RingChangeWait
{
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan LineEvery = TimeSpan.FromSeconds(5);

    /// <summary>The option both verbs take.</summary>
    public static System.CommandLine.Option<bool> Option() =>
        new("--wait") { Description = "Wait until every partition has moved, showing progress (Ctrl+C stops waiting, not the change)" };

    /// <summary>The timeout option both verbs take: seconds to wait at most (0: no limit).</summary>
    public static System.CommandLine.Option<int> TimeoutOption() =>
        new("--wait-timeout") { Description = "With --wait: give up (exit 2) after this many seconds; 0 waits without limit", DefaultValueFactory = _ => 0 };

    /// <summary>Waits for the change that makes <paramref name="silo"/> reach <paramref name="goal"/> ("up" or "left"); returns the exit code.</summary>
    public static async Task<int> WaitAsync(CommandContext ctx, string endpoint, string silo, string goal, string message, int timeoutSeconds, CancellationToken ct)
    {
        if (timeoutSeconds < 0) throw new ArgumentException($"--wait-timeout must not be negative, got {timeoutSeconds}");
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
        if (timeoutSeconds > 0) limit.CancelAfter(TimeSpan.FromSeconds(timeoutSeconds));
        var clock = Stopwatch.StartNew();
        ulong peakLeft = 0;
        ClusterStatus? last = null;
        try
        {
            if (ctx.Json || ctx.Io.OutputRedirected)
            {
                if (!ctx.Json) ctx.Out.WriteLine(message);
                TimeSpan? lastLine = null;
                while (!Done(last = await ctx.Client.GetStatusAsync(endpoint, limit.Token), silo, goal))
                {
                    peakLeft = Math.Max(peakLeft, Left(last));
                    if (!ctx.Json && (lastLine is null || clock.Elapsed - lastLine >= LineEvery))
                    {
                        ctx.Out.WriteLine(Describe(last, silo, clock.Elapsed));
                        lastLine = clock.Elapsed;
                    }
                    await Task.Delay(Poll, limit.Token);
                }
            }
            else
            {
                ctx.Out.WriteLine(message);
                await ctx.Ansi.Progress()
                    .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
                    .StartAsync(async progress =>
                    {
                        var task = progress.AddTask($"{silo} → {goal}", maxValue: 1);
                        while (!Done(last = await ctx.Client.GetStatusAsync(endpoint, limit.Token), silo, goal))
                        {
                            ulong left = Left(last);
                            peakLeft = Math.Max(peakLeft, left);
                            ulong sent = Sent(last);
                            task.MaxValue = Math.Max(1, sent + left);
                            task.Value = sent;
                            task.Description = Markup.Escape(Describe(last, silo, clock.Elapsed));
                            await Task.Delay(Poll, limit.Token);
                        }
                        task.Value = task.MaxValue;
                    });
            }
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new TimeoutException($"{silo} has not reached '{goal}' after {timeoutSeconds} s (--wait-timeout); the change goes on" +
                (last is null ? "" : ": " + Describe(last, silo, clock.Elapsed)));
        }

        ulong moved = Sent(last!);
        if (ctx.Json)
        {
            JsonOut.Write(ctx.Io, writer =>
            {
                writer.WriteStartObject();
                writer.WriteString("message", message);
                writer.WriteString("silo", silo);
                writer.WriteString("status", goal);
                writer.WriteBoolean("complete", true);
                writer.WriteNumber("seconds", Math.Round(clock.Elapsed.TotalSeconds, 1));
                writer.WriteNumber("keysSent", moved);
                writer.WriteEndObject();
            });
        }
        else
        {
            ctx.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{silo} is {goal}: every partition has moved ({moved:N0} keys sent in this change, {clock.Elapsed.TotalSeconds:0.0} s waited)"));
        }
        return ExitCodes.Success;
    }

    /// <summary>The silo has reached the goal in the answering silo's view and every silo answered idle.</summary>
    internal static bool Done(ClusterStatus status, string silo, string goal) =>
        status.Silos.FirstOrDefault(s => s.Name == silo)?.Status == goal && status.RingChangeComplete;

    private static ulong Left(ClusterStatus status) => status.TransferSummaries.Aggregate(0UL, (sum, s) => sum + s.KeysLeft);

    private static ulong Sent(ClusterStatus status) => status.TransferSummaries.Aggregate(0UL, (sum, s) => sum + s.KeysSent);

    /// <summary>One line: the silo's state, partitions to move, keys sent and left, rate and time left.</summary>
    internal static string Describe(ClusterStatus status, string silo, TimeSpan elapsed)
    {
        string state = status.Silos.FirstOrDefault(s => s.Name == silo)?.Status ?? "unknown";
        int sending = status.TransferSummaries.Sum(s => s.PartitionsToSend);
        int receiving = status.TransferSummaries.Sum(s => s.PartitionsToReceive);
        double rate = status.TransferSummaries.Sum(s => s.KeysPerSecond);
        ulong left = Left(status);
        string eta = left > 0 && rate > 0 ? string.Create(CultureInfo.InvariantCulture, $", about {left / rate:0} s left") : "";
        var silent = status.TransferSummaries.Where(s => !s.Answered).Select(s => s.Silo).ToList();
        string missing = silent.Count > 0 ? $"; no answer from {string.Join(", ", silent)}" : "";
        return string.Create(CultureInfo.InvariantCulture,
            $"{elapsed.TotalSeconds:0}s: {silo} {state}; {sending} partition(s) to send, {receiving} to receive; {Sent(status):N0} keys sent, ~{left:N0} left at {rate:N0} keys/s{eta}{missing}");
    }
}
