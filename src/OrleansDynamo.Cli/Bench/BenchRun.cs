using System.Collections.Concurrent;
using System.Diagnostics;

namespace OrleansDynamo.Cli.Bench;

/// <summary>Where a run is.</summary>
public enum BenchPhase
{
    Connecting = 0,
    Preloading = 1,
    WarmingUp = 2,
    Running = 3,
    Done = 4,
}

/// <summary>What the live progress line shows; read while the run goes on.</summary>
public readonly record struct BenchProgress(BenchPhase Phase, double PhaseSeconds, long Preloaded, long Ops, long Errors, double P99Ms);

/// <summary>
/// One closed-loop run: <see cref="BenchSettings.Concurrency"/> workers each issue an operation, wait for its
/// answer and issue the next, for the warm-up and then the measured window. Latencies of successful
/// operations go to one shared <see cref="LatencyHistogram"/> per operation and lane; failures are counted by kind.
/// </summary>
public sealed class BenchRun
{
    private const int Get = 0;
    private const int Put = 1;
    private static readonly string[] s_ops = ["get", "put"];
    private static readonly double s_nanosPerTick = 1_000_000_000.0 / Stopwatch.Frequency;

    private readonly BenchSettings _settings;
    private readonly IBenchTarget _target;
    private readonly KeyChooser _chooser;
    private readonly byte[] _value;
    private readonly int _lanes;
    private readonly LatencyHistogram[] _latency;   // [op * lanes + lane]
    private readonly long[] _errors;                // [op * lanes + lane]
    private readonly long[] _versions;              // [lane * 5 + bucket]: not found, 1, 2, 3, 4+
    private readonly LatencyHistogram _all = new();
    private readonly LatencyHistogram?[] _slices;    // by slice of the measured window; empty without slices
    private readonly long[] _sliceErrors;
    private readonly long _sliceTicks;
    private long _windowStart;
    private readonly ConcurrentDictionary<string, long> _errorsByKind = new(StringComparer.Ordinal);
    private volatile int _phase;
    private volatile bool _recording;
    private volatile bool _stopping;
    private long _phaseStarted = Stopwatch.GetTimestamp();
    private long _preloadNext;
    private long _preloaded;
    private long _preloadErrors;
    private long _errorCount;

    public BenchRun(BenchSettings settings, IBenchTarget target)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(target);
        settings.Validate();
        _settings = settings;
        _target = target;
        _chooser = new KeyChooser(settings.Keys, settings.Distribution);
        _value = new byte[settings.ValueSize];
        new Random(settings.Seed).NextBytes(_value);
        _lanes = target.Lanes.Count;
        _latency = new LatencyHistogram[2 * _lanes];
        for (int i = 0; i < _latency.Length; i++) _latency[i] = new LatencyHistogram();
        _errors = new long[2 * _lanes];
        _versions = new long[5 * _lanes];
        int slices = settings.Slice > TimeSpan.Zero ? (int)Math.Ceiling(settings.Duration / settings.Slice) + 1 : 0;
        _slices = new LatencyHistogram?[slices]; // made when first used: a long window has many slices, a histogram is 37 KiB
        _sliceErrors = new long[slices];
        _sliceTicks = slices > 0 ? (long)(settings.Slice.TotalSeconds * Stopwatch.Frequency) : 1;
    }

    /// <summary>A snapshot for the progress line.</summary>
    public BenchProgress Progress
    {
        get
        {
            var phase = (BenchPhase)_phase;
            double seconds = Stopwatch.GetElapsedTime(Volatile.Read(ref _phaseStarted)).TotalSeconds;
            return new BenchProgress(phase, seconds, Volatile.Read(ref _preloaded), _all.Count, Volatile.Read(ref _errorCount),
                _all.ValueAtPercentile(99) / 1_000_000.0);
        }
    }

    /// <summary>Connects, preloads when asked, warms up, measures, and returns the figures.</summary>
    public async Task<BenchReport> RunAsync(CancellationToken cancellationToken)
    {
        SetPhase(BenchPhase.Connecting);
        await _target.ConnectAsync(cancellationToken).ConfigureAwait(false);

        double preloadSeconds = 0;
        if (_settings.Preload)
        {
            SetPhase(BenchPhase.Preloading);
            long started = Stopwatch.GetTimestamp();
            await RunWorkersAsync(PreloadWorkerAsync, cancellationToken).ConfigureAwait(false);
            preloadSeconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
            cancellationToken.ThrowIfCancellationRequested();
        }

        SetPhase(_settings.Warmup > TimeSpan.Zero ? BenchPhase.WarmingUp : BenchPhase.Running);
        _recording = _settings.Warmup <= TimeSpan.Zero;
        long windowStart = Stopwatch.GetTimestamp();
        Volatile.Write(ref _windowStart, windowStart);
        long windowEnd = 0;
        var workers = RunWorkersAsync(LoadWorkerAsync, CancellationToken.None);
        bool interrupted = false;
        try
        {
            if (_settings.Warmup > TimeSpan.Zero)
            {
                await Task.Delay(_settings.Warmup, cancellationToken).ConfigureAwait(false);
                windowStart = Stopwatch.GetTimestamp();
                Volatile.Write(ref _windowStart, windowStart);
                _recording = true;
                SetPhase(BenchPhase.Running);
            }
            await Task.Delay(_settings.Duration, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            interrupted = true;
        }
        finally
        {
            _recording = false;
            windowEnd = Stopwatch.GetTimestamp();
            _stopping = true;
        }
        await workers.ConfigureAwait(false);
        SetPhase(BenchPhase.Done);
        double window = Math.Max(1e-9, Stopwatch.GetElapsedTime(windowStart, windowEnd).TotalSeconds);
        return BuildReport(window, preloadSeconds, interrupted);
    }

    private void SetPhase(BenchPhase phase)
    {
        Volatile.Write(ref _phaseStarted, Stopwatch.GetTimestamp());
        _phase = (int)phase;
    }

    private async Task RunWorkersAsync(Func<int, CancellationToken, Task> worker, CancellationToken cancellationToken)
    {
        var tasks = new Task[_settings.Concurrency];
        for (int i = 0; i < tasks.Length; i++)
        {
            int index = i;
            // Start every worker off the caller's stack so that a synchronous completion cannot serialize them.
            tasks[i] = Task.Run(() => worker(index, cancellationToken), CancellationToken.None);
        }
        await Task.WhenAll(tasks).ConfigureAwait(false);
    }

    private async Task PreloadWorkerAsync(int worker, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            long index = Interlocked.Increment(ref _preloadNext) - 1;
            if (index >= _settings.Keys) return;
            try
            {
                await _target.PreloadAsync(worker, index, _settings.KeyOf(index), _value, cancellationToken).ConfigureAwait(false);
                Interlocked.Increment(ref _preloaded);
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                Interlocked.Increment(ref _preloadErrors);
                _errorsByKind.AddOrUpdate("preload " + _target.ErrorKindOf(e), 1, static (_, n) => n + 1);
            }
        }
    }

    private async Task LoadWorkerAsync(int worker, CancellationToken cancellationToken)
    {
        var random = new Random(unchecked(_settings.Seed * 1_000_003 + worker));
        int lane = _target.LaneOf(worker);
        double readProportion = _settings.Workload.ReadProportion;
        while (!_stopping)
        {
            long keyIndex = _chooser.Next(random);
            int op = random.NextDouble() < readProportion ? Get : Put;
            string key = _settings.KeyOf(keyIndex);
            long started = Stopwatch.GetTimestamp();
            int versions = 0;
            try
            {
                if (op == Get)
                    versions = await _target.GetAsync(worker, keyIndex, key, cancellationToken).ConfigureAwait(false);
                else
                    await _target.PutAsync(worker, keyIndex, key, _value, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e)
            {
                if (_recording)
                {
                    Interlocked.Increment(ref _errors[op * _lanes + lane]);
                    Interlocked.Increment(ref _errorCount);
                    if (SliceOf(Stopwatch.GetTimestamp()) is int errorSlice) Interlocked.Increment(ref _sliceErrors[errorSlice]);
                    _errorsByKind.AddOrUpdate(_target.ErrorKindOf(e), 1, static (_, n) => n + 1);
                }
                continue;
            }
            if (!_recording) continue;
            long finished = Stopwatch.GetTimestamp();
            long nanos = (long)((finished - started) * s_nanosPerTick);
            _latency[op * _lanes + lane].Record(nanos);
            _all.Record(nanos);
            if (SliceOf(finished) is int slice) SliceHistogram(slice).Record(nanos);
            if (op == Get) Interlocked.Increment(ref _versions[lane * 5 + Math.Min(versions, 4)]);
        }
    }

    private LatencyHistogram SliceHistogram(int slice) =>
        Volatile.Read(ref _slices[slice]) ?? Interlocked.CompareExchange(ref _slices[slice], new LatencyHistogram(), null) ?? _slices[slice]!;

    /// <summary>The slice of the measured window a timestamp falls in, or null without slices.</summary>
    private int? SliceOf(long timestamp)
    {
        if (_slices.Length == 0) return null;
        long index = (timestamp - Volatile.Read(ref _windowStart)) / _sliceTicks;
        return (int)Math.Clamp(index, 0, _slices.Length - 1);
    }

    /// <summary>
    /// The slices the window covered. The window ends a moment after its nominal length (the timer's wake-up, and the
    /// operations in flight then): whatever finished after the last nominal slice's start is folded into it, and so is
    /// a last slice under a tenth of the slice length in a window cut short, so no operation is left out.
    /// </summary>
    private List<SliceReport> BuildSlices(double window)
    {
        var slices = new List<SliceReport>();
        double length = _settings.Slice.TotalSeconds;
        int nominal = Math.Max(1, (int)Math.Ceiling(_settings.Duration.TotalSeconds / length - 1e-9));
        int count = Math.Min(_slices.Length, (int)Math.Ceiling(window / length));
        if (count > 1 && window - (count - 1) * length < length / 10) count--;
        count = Math.Min(count, nominal);
        for (int i = 0; i < count; i++)
        {
            var h = new LatencyHistogram();
            if (_slices[i] is { } own) h.Add(own);
            long errors = _sliceErrors[i];
            double seconds = Math.Min(length, window - i * length);
            if (i == count - 1)
            {
                for (int j = count; j < _slices.Length; j++)
                {
                    if (_slices[j] is { } later) h.Add(later);
                    errors += _sliceErrors[j];
                }
                seconds = window - i * length;
            }
            slices.Add(new SliceReport(i * length, seconds, h.Count, h.Count / Math.Max(seconds, 1e-9), errors, LatencySummary.From(h)));
        }
        return slices;
    }

    private BenchReport BuildReport(double seconds, double preloadSeconds, bool interrupted)
    {
        var rows = new List<OpReport>();
        var versions = new List<VersionsReport>();
        long errorTotal = 0;
        for (int lane = 0; lane < _lanes; lane++)
        {
            var laneAll = new LatencyHistogram();
            long laneErrors = 0;
            for (int op = 0; op < s_ops.Length; op++)
            {
                var histogram = _latency[op * _lanes + lane];
                long errors = _errors[op * _lanes + lane];
                laneErrors += errors;
                laneAll.Add(histogram);
                bool inMix = op == Get ? _settings.Workload.ReadProportion > 0 : _settings.Workload.ReadProportion < 1;
                if (inMix || histogram.Count > 0 || errors > 0)
                    rows.Add(Row(s_ops[op], _target.Lanes[lane], histogram, errors, seconds));
            }
            if (_lanes > 1) rows.Add(Row("all", _target.Lanes[lane], laneAll, laneErrors, seconds));
            errorTotal += laneErrors;
            versions.Add(new VersionsReport(_target.Lanes[lane], _versions[lane * 5], _versions[lane * 5 + 1], _versions[lane * 5 + 2],
                _versions[lane * 5 + 3], _versions[lane * 5 + 4]));
        }
        var overall = Row("all", "", _all, errorTotal, seconds);
        rows.Add(overall);
        return new BenchReport
        {
            Target = _target.Name,
            Endpoints = _settings.Endpoints,
            Workload = _settings.Workload.Name,
            Distribution = _settings.Distribution.ToString().ToLowerInvariant(),
            Coordination = _settings.Target == BenchTargetKind.Dynamo ? BenchSettings.CoordinationName(_settings.Coordination) : "",
            Concurrency = _settings.Concurrency,
            Keys = _settings.Keys,
            ValueSize = _settings.ValueSize,
            R = _settings.R,
            W = _settings.W,
            PreloadedKeys = Volatile.Read(ref _preloaded),
            PreloadSeconds = preloadSeconds,
            PreloadErrors = Volatile.Read(ref _preloadErrors),
            Seconds = seconds,
            Ops = overall.Count,
            OpsPerSecond = overall.OpsPerSecond,
            Errors = errorTotal,
            Interrupted = interrupted,
            Operations = rows,
            ErrorsByKind = new SortedDictionary<string, long>(_errorsByKind, StringComparer.Ordinal),
            Versions = versions,
            Slices = BuildSlices(seconds),
        };
    }

    private static OpReport Row(string op, string lane, LatencyHistogram histogram, long errors, double seconds) =>
        new(op, lane, histogram.Count, histogram.Count / seconds, errors, LatencySummary.From(histogram));
}
