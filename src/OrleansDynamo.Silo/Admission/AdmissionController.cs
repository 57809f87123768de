using OrleansDynamo.Silo.Diagnostics;

namespace OrleansDynamo.Silo.Admission;

/// <summary>What the admission controller is doing, for status pages and the dashboard.</summary>
public sealed record AdmissionStatus(
    int Slots,
    int MaxSlots,
    int InUse,
    int Waiting,
    double? ForegroundP99Ms,
    int Samples,
    double TargetP99Ms,
    long Shrinks,
    IReadOnlyDictionary<BackgroundWork, int> InUseByKind,
    double Pace = 1,
    double? BaselineP99Ms = null,
    double PaceTargetMs = 0,
    long PaceCuts = 0);

/// <summary>
/// Background admission after Dynamo §6.5: watches every foreground request this silo coordinates
/// (as an <see cref="IRequestObserver"/>) and, at each <see cref="Adjust"/>, compares the p99 over
/// the trailing window with the target: over it, the slots for background work halve (down to
/// <see cref="AdmissionOptions.MinSlots"/>); under it (or with an idle foreground) they grow by one
/// (up to <see cref="AdmissionOptions.MaxSlots"/>). Holders of a slot keep it when the slots shrink;
/// new work waits until fewer than the current slots are in use, first come first served.
/// <para>
/// Paced work (ownership transfer and Merkle tree builds, which stream without pause once they have a slot) also follows
/// a <see cref="Pace"/>, the share of its time it may run, set by additive increase and multiplicative decrease (the log
/// engine's merges rest by it too, <see cref="StoreMergePacer"/>, without counting as paced work):
/// at each adjustment a foreground p99 over <see cref="AdmissionOptions.PaceWindowMs"/> above the pace target halves
/// it (down to <see cref="AdmissionOptions.MinPace"/>), one at or under the target (or an idle foreground) adds
/// <see cref="AdmissionOptions.PaceStep"/> (up to 1). The target is <see cref="AdmissionOptions.PaceTargetFactor"/> times
/// the baseline p99 (a moving average of the window p99 at adjustments while no paced work ran here for a whole window;
/// a window with Merkle builds but no transfer gives the first baseline and may lower it, never raise it: the builds
/// that follow a bulk load run for minutes, and a cluster that joined a silo meanwhile paced the join against no baseline
/// at all, or one taken during the load, so the join ran at full speed), at least <see cref="AdmissionOptions.PaceFloorMs"/>
/// and at most <see cref="AdmissionOptions.TargetP99Ms"/>.
/// Paced work that begins after such a quiet window starts at <see cref="AdmissionOptions.StartPace"/> at most (slow start).
/// A silo with no baseline of its own (a new silo: its foreground was never quiet, as transfer pages arrived from the start
/// of its join) takes the latest baseline of a silo sending to it (<see cref="NotePacedWork"/>) until it has one.
/// </para>
/// <para>
/// While the silo is joining (<see cref="Joining"/>, checked at each adjustment) the requests it coordinates are not
/// sampled: clients send it only a small share to warm it up, most of them read through to the old owners, and the
/// senders' own controllers watch that path. Sampling them cut the receiver's pace and made a million-key join take
/// 318 s instead of 112–173 s (docs/performance.md).
/// </para>
/// </summary>
public sealed class AdmissionController : IBackgroundAdmission, IRequestObserver
{
    private readonly AdmissionOptions _options;
    private readonly LatencyWindow _latencies;
    private readonly object _lock = new();
    private readonly LinkedList<Waiter> _waiters = new();
    private readonly int[] _inUseByKind = new int[Enum.GetValues<BackgroundWork>().Length];
    private int _slots;
    private int _inUse;
    private long _shrinks;
    private double? _lastP99;
    private int _lastSamples;
    private readonly TimeProvider _time;
    private double _pace = 1;
    private double? _baseline;
    private double? _borrowedBaseline;
    private long _pacedWorkAt;
    private bool _pacedWorkSeen;
    private long _paceCuts;
    private long _transferAt;
    private bool _transferSeen;

    public AdmissionController(AdmissionOptions options, TimeProvider time)
    {
        _options = options;
        _time = time;
        _latencies = new LatencyWindow(options.MaxSamples, time);
        _slots = options.MaxSlots;
    }

    public int Slots
    {
        get { lock (_lock) return _slots; }
    }

    public int InUse
    {
        get { lock (_lock) return _inUse; }
    }

    /// <summary>The share of its time paced work may run now, in [MinPace, 1].</summary>
    public double Pace
    {
        get { lock (_lock) return _pace; }
    }

    /// <summary>The baseline p99 the pace target follows: this silo's own, else the latest a sender lent it; null before either.</summary>
    public double? BaselineP99Ms
    {
        get { lock (_lock) return Baseline; }
    }

    public void NotePacedWork(double? senderBaselineMs = null)
    {
        long now = _time.GetTimestamp();
        lock (_lock)
        {
            BeginPacedWork(now, mayStart: true);
            NoteTransfer(now);
            if (senderBaselineMs is > 0 and < double.PositiveInfinity) _borrowedBaseline = senderBaselineMs;
        }
    }

    public bool TransferRunning
    {
        get
        {
            long now = _time.GetTimestamp();
            lock (_lock)
            {
                return _inUseByKind[(int)BackgroundWork.OwnershipTransfer] > 0
                    || _transferSeen && _time.GetElapsedTime(_transferAt, now) <= TimeSpan.FromMilliseconds(_options.WindowMs);
            }
        }
    }

    /// <summary>Under the lock: a transfer page was sent or received at <paramref name="now"/>.</summary>
    private void NoteTransfer(long now)
    {
        _transferAt = now;
        _transferSeen = true;
    }

    /// <summary>
    /// Under the lock: paced work runs at <paramref name="now"/>; after a quiet window it starts at the start pace. A slot
    /// taken while another transfer holds one (<paramref name="mayStart"/> false) continues that work, however long its page.
    /// </summary>
    private void BeginPacedWork(long now, bool mayStart)
    {
        if (mayStart && (!_pacedWorkSeen || _time.GetElapsedTime(_pacedWorkAt, now) > TimeSpan.FromMilliseconds(_options.WindowMs)))
            _pace = Math.Min(_pace, _options.StartPace);
        _pacedWorkAt = now;
        _pacedWorkSeen = true;
    }

    /// <summary>True while this silo is joining (still receiving its partitions); null for a silo that never joins.</summary>
    public Func<bool>? Joining { get; set; }

    // Joining's answer at the last adjustment: read on every request, so not asked there.
    private volatile bool _joining;

    /// <summary>
    /// Records a request this silo coordinated: the latency a client waits for, unless the silo is joining (see the class).
    /// A replica's part (one local read or write, or a read-through of a partition still arriving) is not what a client
    /// feels, and mixed in it would pace a silo by its own replica work: a joining silo, its p99 made of read-throughs,
    /// would hold every transfer to it at the slowest pace.
    /// </summary>
    public void OnRequest(in RequestEvent e)
    {
        if (e.Side == RequestSide.Coordinator && !_joining) _latencies.Record(e.Elapsed);
    }

    public ValueTask<IDisposable> AcquireAsync(BackgroundWork work, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        Waiter waiter;
        lock (_lock)
        {
            if (_inUse < _slots && _waiters.Count == 0) return ValueTask.FromResult<IDisposable>(Take(work));
            waiter = new Waiter(work);
            waiter.Node = _waiters.AddLast(waiter);
        }
        return new ValueTask<IDisposable>(WaitAsync(waiter, cancellationToken));
    }

    private async Task<IDisposable> WaitAsync(Waiter waiter, CancellationToken cancellationToken)
    {
        await using (cancellationToken.Register(() =>
        {
            lock (_lock)
            {
                if (waiter.Node?.List is null) return;
                _waiters.Remove(waiter.Node);
            }
            waiter.Ready.TrySetCanceled(cancellationToken);
        }))
        {
            return await waiter.Ready.Task;
        }
    }

    /// <summary>Measures the foreground p99 and resizes the slots; the silo calls it every AdjustIntervalMs.</summary>
    public void Adjust()
    {
        _joining = Joining?.Invoke() ?? false;
        var (p99, samples) = _latencies.Quantile(0.99, TimeSpan.FromMilliseconds(_options.WindowMs));
        var (recent, recentSamples) = _latencies.Quantile(0.99, TimeSpan.FromMilliseconds(_options.PaceWindowMs));
        long now = _time.GetTimestamp();
        List<(Waiter, Slot)> admitted;
        lock (_lock)
        {
            _lastP99 = p99;
            _lastSamples = samples;
            var window = TimeSpan.FromMilliseconds(_options.WindowMs);
            // None of the work running now, and none for a whole window.
            bool Quiet(int inUse, bool seen, long at) => inUse == 0 && (!seen || _time.GetElapsedTime(at, now) > window);
            bool noTransfer = Quiet(_inUseByKind[(int)BackgroundWork.OwnershipTransfer], _transferSeen, _transferAt);
            bool noPacedWork = Quiet(PacedInUse(), _pacedWorkSeen, _pacedWorkAt);
            // Beside a Merkle build a window may only lower the baseline (the build's own cost must not raise it, or builds
            // would pace themselves against their own latency), or give the first one: see the class.
            if (noTransfer && samples >= _options.MinSamples && p99 is { } b && (noPacedWork || _baseline is not { } known || b < known))
                _baseline = _baseline is { } old ? 0.8 * old + 0.2 * b : b;
            if (recentSamples >= _options.MinSamples && recent > PaceTarget())
            {
                _pace = Math.Max(_options.MinPace, _pace / 2);
                _paceCuts++;
            }
            else
            {
                _pace = Math.Min(1, _pace + _options.PaceStep);
            }
            if (samples >= _options.MinSamples && p99 > _options.TargetP99Ms)
            {
                int shrunk = Math.Max(_options.MinSlots, _slots / 2);
                if (shrunk < _slots) _shrinks++;
                _slots = shrunk;
            }
            else
            {
                _slots = Math.Min(_options.MaxSlots, _slots + 1);
            }
            admitted = Pump();
        }
        Hand(admitted);
    }

    public AdmissionStatus Status()
    {
        lock (_lock)
        {
            var byKind = new Dictionary<BackgroundWork, int>();
            foreach (var kind in Enum.GetValues<BackgroundWork>())
            {
                if (_inUseByKind[(int)kind] > 0) byKind[kind] = _inUseByKind[(int)kind];
            }
            return new AdmissionStatus(_slots, _options.MaxSlots, _inUse, _waiters.Count, _lastP99, _lastSamples, _options.TargetP99Ms, _shrinks, byKind,
                _pace, Baseline, PaceTarget(), _paceCuts);
        }
    }

    /// <summary>Under the lock: this silo's baseline, else the one a sender lent it.</summary>
    private double? Baseline => _baseline ?? _borrowedBaseline;

    /// <summary>Under the lock: the foreground p99 paced work keeps under.</summary>
    private double PaceTarget() =>
        Baseline is { } b ? Math.Min(_options.TargetP99Ms, Math.Max(_options.PaceFloorMs, _options.PaceTargetFactor * b)) : _options.TargetP99Ms;

    /// <summary>Under the lock: slots held by paced work.</summary>
    private int PacedInUse() => _inUseByKind[(int)BackgroundWork.OwnershipTransfer] + _inUseByKind[(int)BackgroundWork.MerkleBuild];

    private Slot Take(BackgroundWork work)
    {
        if (work.IsPaced()) BeginPacedWork(_time.GetTimestamp(), mayStart: PacedInUse() == 0);
        if (work == BackgroundWork.OwnershipTransfer) NoteTransfer(_time.GetTimestamp());
        _inUse++;
        _inUseByKind[(int)work]++;
        return new Slot(this, work);
    }

    private void Release(BackgroundWork work)
    {
        List<(Waiter, Slot)> admitted;
        lock (_lock)
        {
            if (work.IsPaced()) _pacedWorkAt = _time.GetTimestamp();
            if (work == BackgroundWork.OwnershipTransfer) NoteTransfer(_time.GetTimestamp());
            _inUse--;
            _inUseByKind[(int)work]--;
            admitted = Pump();
        }
        Hand(admitted);
    }

    /// <summary>Under the lock: the waiters that may go now, each with its slot taken.</summary>
    private List<(Waiter, Slot)> Pump()
    {
        var admitted = new List<(Waiter, Slot)>();
        while (_inUse < _slots && _waiters.First is { } first)
        {
            _waiters.RemoveFirst();
            first.Value.Node = null;
            admitted.Add((first.Value, Take(first.Value.Work)));
        }
        return admitted;
    }

    /// <summary>Outside the lock: completes the admitted waiters; one cancelled meanwhile gives its slot back.</summary>
    private static void Hand(List<(Waiter Waiter, Slot Slot)> admitted)
    {
        foreach (var (waiter, slot) in admitted)
        {
            if (!waiter.Ready.TrySetResult(slot)) slot.Dispose();
        }
    }

    private sealed class Waiter(BackgroundWork work)
    {
        public BackgroundWork Work { get; } = work;
        public TaskCompletionSource<IDisposable> Ready { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public LinkedListNode<Waiter>? Node { get; set; }
    }

    private sealed class Slot(AdmissionController owner, BackgroundWork work) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0) owner.Release(work);
        }
    }
}
