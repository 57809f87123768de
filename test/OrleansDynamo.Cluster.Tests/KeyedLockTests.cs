using OrleansDynamo.Silo.Replicas;
using OrleansDynamo.TestingHost;
using Xunit;

namespace OrleansDynamo.Cluster.Tests;

/// <summary>The grains' per-key turns: one holder per key, waiters served in arrival order, nothing kept once free.</summary>
public sealed class KeyedLockTests
{
    [Fact]
    public async Task Callers_of_one_key_take_turns_in_arrival_order_while_other_keys_do_not_wait()
    {
        var turns = new KeyedLock<string>();
        var first = await turns.AcquireAsync("k", CancellationToken.None);
        var second = turns.AcquireAsync("k", CancellationToken.None).AsTask();
        var third = turns.AcquireAsync("k", CancellationToken.None).AsTask();
        var other = turns.AcquireAsync("other", CancellationToken.None);
        Assert.True(other.IsCompletedSuccessfully, "a different key waits for nobody");
        Assert.False(second.IsCompleted);
        Assert.False(third.IsCompleted);

        first.Dispose();
        var secondTurn = await second.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.False(third.IsCompleted, "the third caller still waits for the second");
        secondTurn.Dispose();
        (await third.WaitAsync(TimeSpan.FromSeconds(5))).Dispose();
        (await other).Dispose();
        Assert.Equal(0, turns.ActiveKeys);
    }

    [Fact]
    public async Task A_cancelled_waiter_never_gets_the_turn_and_the_next_one_does()
    {
        var turns = new KeyedLock<string>();
        var holder = await turns.AcquireAsync("k", CancellationToken.None);
        using var cts = new CancellationTokenSource();
        var cancelled = turns.AcquireAsync("k", cts.Token).AsTask();
        var next = turns.AcquireAsync("k", CancellationToken.None).AsTask();
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);

        holder.Dispose();
        (await next.WaitAsync(TimeSpan.FromSeconds(5))).Dispose();
        Assert.Equal(0, turns.ActiveKeys);
        (await turns.AcquireAsync("k", CancellationToken.None)).Dispose();
    }

    [Fact]
    public async Task An_already_cancelled_caller_is_refused_even_when_the_key_is_free()
    {
        var turns = new KeyedLock<string>();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await turns.AcquireAsync("k", new CancellationToken(canceled: true)));
        Assert.Equal(0, turns.ActiveKeys);
    }

    [Fact]
    public async Task A_passed_turn_resumes_its_waiter_in_the_waiter_context_not_inside_the_release()
    {
        var turns = new KeyedLock<string>();
        var holder = await turns.AcquireAsync("k", CancellationToken.None);
        var context = new QueueContext();
        bool resumed = false;
        Task waiting = null!;
        context.Run(() =>
        {
            waiting = WaitAsync();
            async Task WaitAsync()
            {
                using var turn = await turns.AcquireAsync("k", CancellationToken.None);
                resumed = true;
            }
        });
        holder.Dispose();
        Assert.False(resumed, "the waiter ran inside the releaser's Dispose");
        await TestCluster.WaitUntilAsync(() => Task.FromResult(context.Pending > 0), TimeSpan.FromSeconds(5), "the continuation posted to the waiter's context");
        context.RunPending();
        Assert.True(resumed);
        await waiting;
        Assert.Equal(0, turns.ActiveKeys);
    }

    [Fact]
    public async Task Many_callers_on_few_keys_never_overlap_on_a_key()
    {
        var turns = new KeyedLock<int>();
        var inside = new int[4];
        int overlaps = 0;
        var workers = Enumerable.Range(0, 8).Select(w => Task.Run(async () =>
        {
            for (int i = 0; i < 500; i++)
            {
                int key = (w + i) % inside.Length;
                using var turn = await turns.AcquireAsync(key, CancellationToken.None);
                if (Interlocked.Increment(ref inside[key]) != 1) Interlocked.Increment(ref overlaps);
                if (i % 7 == 0) await Task.Yield();
                Interlocked.Decrement(ref inside[key]);
            }
        })).ToArray();
        await Task.WhenAll(workers).WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(0, overlaps);
        Assert.Equal(0, turns.ActiveKeys);
    }

    /// <summary>A context that only queues what is posted to it, run by hand.</summary>
    private sealed class QueueContext : SynchronizationContext
    {
        private readonly Queue<(SendOrPostCallback, object?)> _queue = new();

        public int Pending
        {
            get { lock (_queue) return _queue.Count; }
        }

        public override void Post(SendOrPostCallback d, object? state)
        {
            lock (_queue) _queue.Enqueue((d, state));
        }

        public void Run(Action action)
        {
            var saved = Current;
            SetSynchronizationContext(this);
            try
            {
                action();
            }
            finally
            {
                SetSynchronizationContext(saved);
            }
        }

        public void RunPending() => Run(() =>
        {
            while (true)
            {
                (SendOrPostCallback Callback, object? State) item;
                lock (_queue)
                {
                    if (!_queue.TryDequeue(out item)) return;
                }
                item.Callback(item.State);
            }
        });
    }
}
