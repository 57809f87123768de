using OrleansDynamo.Silo;
using OrleansDynamo.Silo.Transport;

namespace OrleansDynamo.Simulation.World;

/// <summary>
/// The simulated network between silos. Every message takes a seeded delay drawn from its link's
/// range (so messages on a link overtake each other), may be lost or duplicated, and is dropped on a
/// cut link (one way or both). A crashed silo refuses connections; a paused one holds its inbox
/// until resumed. Callers give up after their timeout with the same <see cref="DynamoException"/>
/// kinds the real transports throw. Silos are addressed by name or by their advertised address.
/// </summary>
public sealed class SimulatedNetwork
{
    private readonly SimScheduler _scheduler;
    private readonly Random _random;
    private readonly SimTrace _trace;
    private readonly Dictionary<string, Node> _nodes = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _nameOfAddress = new(StringComparer.OrdinalIgnoreCase);
    private readonly HashSet<(string From, string To)> _cuts = [];
    private readonly Dictionary<(string From, string To), (double Min, double Max)> _links = [];

    public SimulatedNetwork(SimScheduler scheduler, Random random, SimTrace trace)
    {
        _scheduler = scheduler;
        _random = random;
        _trace = trace;
    }

    /// <summary>Probability that a message (request or answer) is lost.</summary>
    public double LossRate { get; set; }

    /// <summary>Probability that a request is delivered twice.</summary>
    public double DuplicateRate { get; set; }

    /// <summary>Probability that a message takes a long detour (tens of ms).</summary>
    public double SlowRate { get; set; }

    public long Sent { get; private set; }

    public long Lost { get; private set; }

    public long Duplicated { get; private set; }

    private sealed class Node(string name)
    {
        public string Name { get; } = name;
        public SimContext? Context { get; set; }
        public SiloRequestDispatcher? Dispatcher { get; set; }
    }

    public void Register(string name, string address)
    {
        _nodes[name] = new Node(name);
        _nameOfAddress[address.TrimEnd('/')] = name;
    }

    /// <summary>The silo is up: requests to it run in <paramref name="context"/>.</summary>
    public void Attach(string name, SimContext context, SiloRequestDispatcher dispatcher)
    {
        var node = _nodes[name];
        node.Context = context;
        node.Dispatcher = dispatcher;
    }

    /// <summary>The silo is down: connections are refused.</summary>
    public void Detach(string name)
    {
        var node = _nodes[name];
        node.Context = null;
        node.Dispatcher = null;
    }

    public void Cut(string from, string to, bool oneWay = false)
    {
        _cuts.Add((from, to));
        if (!oneWay) _cuts.Add((to, from));
    }

    public void HealAll() => _cuts.Clear();

    public int CutCount => _cuts.Count;

    public bool IsCut(string from, string to) => _cuts.Contains((from, to));

    public string? NameOf(string target)
    {
        if (!target.Contains("://", StringComparison.Ordinal)) return _nodes.ContainsKey(target) ? target : null;
        return _nameOfAddress.GetValueOrDefault(target.TrimEnd('/'));
    }

    /// <summary>The transport one silo (or client) uses.</summary>
    public ISiloTransport TransportFor(string self) => new Endpoint(this, self);

    private TimeSpan Delay(string from, string to)
    {
        if (!_links.TryGetValue((from, to), out var range))
        {
            double min = 0.1 + _random.NextDouble() * 0.9;
            range = (min, min + 0.5 + _random.NextDouble() * 4.5);
            _links[(from, to)] = range;
        }
        double ms = range.Min + _random.NextDouble() * (range.Max - range.Min);
        if (SlowRate > 0 && _random.NextDouble() < SlowRate) ms += 10 + _random.NextDouble() * 60;
        return TimeSpan.FromTicks((long)(ms * TimeSpan.TicksPerMillisecond));
    }

    private bool Lose()
    {
        if (LossRate <= 0 || _random.NextDouble() >= LossRate) return false;
        Lost++;
        return true;
    }

    private static DynamoException AsRemoteError(Exception e, string target) => e switch
    {
        DynamoException d => new DynamoException(d.Kind, d.Message),
        OperationCanceledException => new DynamoException(DynamoErrorKind.Timeout, $"{target}: the call was cancelled"),
        Storage.StorageLimitException => DynamoException.Invalid(e.Message),
        _ => new DynamoException(DynamoErrorKind.Internal, $"{target}: {e.GetType().Name}: {e.Message}"),
    };

    private async Task<TResponse> SendAsync<TResponse>(string self, string target, ISiloRequest<TResponse> request, TimeSpan timeout, CancellationToken ct)
    {
        _scheduler.CheckThread("SendAsync");
        ct.ThrowIfCancellationRequested();
        string to = NameOf(target) ?? throw DynamoException.NotDelivered($"{target}: no address known for this silo");
        Sent++;
        _trace.Mix(self, to, request.GetType().Name, Sent);
        var reply = new TaskCompletionSource<TResponse>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var timer = _scheduler.Time.CreateTimer(static s =>
        {
            var (r, t, ms) = ((TaskCompletionSource<TResponse>, string, double))s!;
            r.TrySetException(new DynamoException(DynamoErrorKind.Timeout, $"{t}: no answer within {ms:0} ms"));
        }, (reply, to, timeout.TotalMilliseconds), timeout, Timeout.InfiniteTimeSpan);
        await using var registration = ct.Register(static s =>
        {
            var (r, token) = ((TaskCompletionSource<TResponse>, CancellationToken))s!;
            r.TrySetCanceled(token);
        }, (reply, ct));
        Transmit(self, to, request, reply, first: true);
        return await reply.Task;
    }

    private void Transmit<TResponse>(string from, string to, ISiloRequest<TResponse> request, TaskCompletionSource<TResponse> reply, bool first)
    {
        var delay = Delay(from, to);
        _scheduler.Time.Schedule(delay, _scheduler.World, () => Arrive(from, to, request, reply));
        if (first && DuplicateRate > 0 && _random.NextDouble() < DuplicateRate)
        {
            Duplicated++;
            // The copy's answer goes nowhere: the caller already has (or will have) the original's.
            Transmit(from, to, request, new TaskCompletionSource<TResponse>(TaskCreationOptions.RunContinuationsAsynchronously), first: false);
        }
    }

    private void Arrive<TResponse>(string from, string to, ISiloRequest<TResponse> request, TaskCompletionSource<TResponse> reply)
    {
        var node = _nodes[to];
        if (node.Context is not { Alive: true } context || node.Dispatcher is not { } dispatcher)
        {
            // Connection refused: the caller learns at once (one network hop back).
            _scheduler.Time.Schedule(Delay(to, from), _scheduler.World,
                () => reply.TrySetException(DynamoException.NotDelivered($"{to}: connection refused (silo down)")));
            return;
        }
        if (IsCut(from, to) || Lose()) return;
        context.Post(_ => _ = HandleAsync(from, to, dispatcher, request, reply), null);
    }

    private async Task HandleAsync<TResponse>(string from, string to, SiloRequestDispatcher dispatcher, ISiloRequest<TResponse> request, TaskCompletionSource<TResponse> reply)
    {
        TResponse? response = default;
        DynamoException? error = null;
        try
        {
            response = await dispatcher.DispatchAsync(request, CancellationToken.None);
        }
        catch (Exception e)
        {
            error = AsRemoteError(e, to);
        }
        _scheduler.Time.Schedule(Delay(to, from), _scheduler.World, () =>
        {
            if (IsCut(to, from) || Lose()) return;
            if (error is not null) reply.TrySetException(error);
            else reply.TrySetResult(response!);
        });
    }

    private sealed class Endpoint(SimulatedNetwork network, string self) : ISiloTransport
    {
        public Task<TResponse> SendAsync<TResponse>(string targetSilo, ISiloRequest<TResponse> request, TimeSpan timeout, CancellationToken cancellationToken) =>
            network.SendAsync(self, targetSilo, request, timeout, cancellationToken);
    }
}
