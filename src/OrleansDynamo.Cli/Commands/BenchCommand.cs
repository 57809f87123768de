using System.CommandLine;
using System.Globalization;
using OrleansDynamo.Cli.Bench;
using OrleansDynamo.Cli.Output;
using Spectre.Console;

namespace OrleansDynamo.Cli.Commands;

/// <summary>
/// <c>dynamo bench [--target dynamo|etcd|redis] [--endpoint A,B,C] [--workload a|b|c|w] [--seconds S] [--concurrency C]
/// [--keys K] [--value-size B] [--distribution uniform|zipfian] [--preload] [--r R] [--w W]
/// [--coordination client|server|both|client-reads] [--read-unseen]</c>: a closed-loop YCSB-style load generator reporting ops/s, latency
/// percentiles per operation, errors by kind and versions per get.
/// </summary>
public static class BenchCommand
{
    /// <summary>etcd's default client URL, used with --target etcd when no endpoint is given.</summary>
    public const string DefaultEtcdEndpoint = "http://127.0.0.1:2379";

    /// <summary>Redis's default address, used with --target redis when no endpoint is given.</summary>
    public const string DefaultRedisEndpoint = "redis://127.0.0.1:6379";

    public static Command Create(CliConsole io)
    {
        var options = new BenchOptions();
        var command = new Command("bench", $"Closed-loop YCSB-style load against OrleansDynamo, etcd or Redis (--endpoint; {DefaultEtcdEndpoint} for etcd, {DefaultRedisEndpoint} for redis when not given): ops/s, p50/p99/p99.9/max per operation, errors, versions per get");
        options.AddTo(command);
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            BenchSettings settings;
            try
            {
                settings = options.Read(parseResult);
            }
            catch (ArgumentException e)
            {
                return ExitCodes.Fail(io, e.Message);
            }
            try
            {
                bool json = parseResult.GetValue(GlobalOptions.Json);
                var report = await RunAsync(settings, live: !json && !io.OutputRedirected, cancellationToken, io.Ansi);
                if (json)
                    JsonOut.Write(io, writer => BenchReportWriter.WriteJson(writer, report));
                else
                    BenchReportWriter.WriteText(io.Ansi, report);
                return report.Ops > 0 ? ExitCodes.Success : ExitCodes.Fail(io, "no operation succeeded");
            }
            catch (Exception e)
            {
                return ExitCodes.Fail(io, e);
            }
        });
        return command;
    }

    /// <summary>
    /// Runs one bench against the target the settings name, with a live progress line on <paramref name="console"/>
    /// (the process's console when null) when <paramref name="live"/>.
    /// </summary>
    public static async Task<BenchReport> RunAsync(BenchSettings settings, bool live, CancellationToken cancellationToken, IAnsiConsole? console = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        settings.Validate();
        await using IBenchTarget target = settings.Target switch
        {
            BenchTargetKind.Etcd => new EtcdBenchTarget(settings),
            BenchTargetKind.Redis => new RedisBenchTarget(settings),
            _ => new DynamoBenchTarget(settings),
        };
        var run = new BenchRun(settings, target);
        var running = run.RunAsync(cancellationToken);
        if (!live) return await running;
        await (console ?? AnsiConsole.Console).Status().Spinner(Spinner.Known.Dots).StartAsync(BenchReportWriter.Describe(run.Progress, settings), async status =>
        {
            while (!running.IsCompleted)
            {
                await Task.WhenAny(running, Task.Delay(250, CancellationToken.None));
                status.Status(Markup.Escape(BenchReportWriter.Describe(run.Progress, settings)));
            }
        });
        return await running;
    }

    /// <summary>
    /// Parses <c>dynamo bench</c> arguments (e.g. <c>["--seconds", "2", "--endpoint", "http://127.0.0.1:11111"]</c>)
    /// into settings, as the command would, without running anything.
    /// </summary>
    /// <exception cref="ArgumentException">An argument is not usable; the message names its option.</exception>
    public static BenchSettings ParseSettings(params string[] args)
    {
        var options = new BenchOptions();
        var command = new Command("bench");
        options.AddTo(command);
        var root = new RootCommand { Options = { GlobalOptions.Endpoint, GlobalOptions.Json } };
        root.Subcommands.Add(command);
        var parsed = root.Parse(["bench", .. args]);
        if (parsed.Errors.Count > 0) throw new ArgumentException(string.Join("; ", parsed.Errors.Select(e => e.Message)));
        return options.Read(parsed);
    }

    /// <summary>The options of one bench command (an option belongs to one command, so each command gets its own).</summary>
    private sealed class BenchOptions
    {
        public readonly Option<double> Seconds = new("--seconds", "-s") { Description = "Measured duration in seconds", DefaultValueFactory = _ => 20 };
        public readonly Option<double> SliceSeconds = new("--slice-seconds") { Description = "Also report each slice of this many seconds of the measured window (0: none)" };
        public readonly Option<double> Warmup = new("--warmup") { Description = "Unmeasured load before measuring, in seconds", DefaultValueFactory = _ => 1 };
        public readonly Option<int> Concurrency = new("--concurrency", "-c") { Description = "Operations in flight", DefaultValueFactory = _ => 64 };
        public readonly Option<long> Keys = new("--keys", "-k") { Description = "Number of distinct keys", DefaultValueFactory = _ => 100_000 };
        public readonly Option<int> ValueSize = new("--value-size") { Description = "Bytes per value", DefaultValueFactory = _ => 1024 };
        public readonly Option<string> Workload = new("--workload")
        {
            Description = "a = 50% get/50% put, b = 95/5, c = get only, w = put only",
            DefaultValueFactory = _ => "a",
        };
        public readonly Option<string> Distribution = new("--distribution") { Description = "Key choice: uniform or zipfian", DefaultValueFactory = _ => "uniform" };
        public readonly Option<bool> Preload = new("--preload") { Description = "Write every key once before measuring" };
        public readonly Option<bool> ReadUnseen = new("--read-unseen")
        {
            Description = "Dynamo: a put of a key this run has not seen yet reads it first and writes with its context " +
                "(for keys another process wrote: without it each such first put adds a sibling)",
        };
        public readonly Option<string> Coordination = new("--coordination")
        {
            Description = "Dynamo: client (SDK routes to the preference list), server (random silo forwards), both in one run, " +
                "or client-reads (as client, but the SDK coordinates gets itself, asking the replicas directly)",
            DefaultValueFactory = _ => "client",
        };
        public readonly Option<string> Target = new("--target") { Description = "dynamo, etcd or redis", DefaultValueFactory = _ => "dynamo" };
        public readonly Option<int> RedisWait = new("--redis-wait") { Description = "redis: replicas that acknowledge each put (WAIT n); 0: none", DefaultValueFactory = _ => 1 };
        public readonly Option<string> Bucket = new("--bucket", "-b") { Description = "Dynamo bucket", DefaultValueFactory = _ => "default" };
        public readonly Option<string> KeyPrefix = new("--key-prefix") { Description = "Keys are this prefix and a 10-digit number", DefaultValueFactory = _ => "user" };
        public readonly Option<bool> EtcdSerializable = new("--etcd-serializable") { Description = "etcd: member-local (serializable) gets instead of linearizable ones" };
        public readonly Option<int> TimeoutMs = new("--timeout-ms") { Description = "Per-operation timeout in ms", DefaultValueFactory = _ => 5000 };
        public readonly Option<int> Seed = new("--seed") { Description = "Seed of the key and operation choices", DefaultValueFactory = _ => 1 };

        public readonly Option<uint?> R = KeyOptions.Quorum("--r", "Dynamo: read quorum per get (default: the bucket's R)");
        public readonly Option<uint?> W = KeyOptions.Quorum("--w", "Dynamo: write quorum per put (default: the bucket's W)");

        public void AddTo(Command command)
        {
            foreach (Option option in new Option[]
            {
                Seconds, SliceSeconds, Warmup, Concurrency, Keys, ValueSize, Workload, Distribution, Preload, ReadUnseen, R, W, Coordination, Target,
                Bucket, KeyPrefix, EtcdSerializable, RedisWait, TimeoutMs, Seed,
            })
            {
                command.Options.Add(option);
            }
        }

        /// <summary>The settings the command line asks for.</summary>
        /// <exception cref="ArgumentException">A value is not usable; the message names its option.</exception>
        public BenchSettings Read(ParseResult parseResult)
        {
            ArgumentNullException.ThrowIfNull(parseResult);
            var target = Parse<BenchTargetKind>(parseResult.GetValue(Target), "--target", "dynamo, etcd or redis");
            var settings = new BenchSettings
            {
                Target = target,
                Endpoints = ReadEndpoints(parseResult, target),
                Tls = GlobalOptions.GetTls(parseResult),
                ApiKey = GlobalOptions.GetApiKey(parseResult),
                Duration = Span(parseResult.GetValue(Seconds), "--seconds", allowZero: false),
                Warmup = Span(parseResult.GetValue(Warmup), "--warmup", allowZero: true),
                Slice = Span(parseResult.GetValue(SliceSeconds), "--slice-seconds", allowZero: true),
                Concurrency = parseResult.GetValue(Concurrency),
                Keys = parseResult.GetValue(Keys),
                ValueSize = parseResult.GetValue(ValueSize),
                Workload = BenchWorkload.Find(parseResult.GetValue(Workload))
                    ?? throw new ArgumentException($"--workload: expected a, b, c or w, got '{parseResult.GetValue(Workload)}'"),
                Distribution = Parse<KeyDistribution>(parseResult.GetValue(Distribution), "--distribution", "uniform or zipfian"),
                Preload = parseResult.GetValue(Preload),
                ReadUnseen = parseResult.GetValue(ReadUnseen),
                R = parseResult.GetValue(R),
                W = parseResult.GetValue(W),
                Coordination = Parse<BenchCoordination>(parseResult.GetValue(Coordination), "--coordination", "client, server, both or client-reads"),
                Bucket = parseResult.GetValue(Bucket) ?? "default",
                KeyPrefix = parseResult.GetValue(KeyPrefix) ?? "user",
                EtcdSerializable = parseResult.GetValue(EtcdSerializable),
                RedisReplicas = parseResult.GetValue(RedisWait),
                RequestTimeout = TimeSpan.FromMilliseconds(parseResult.GetValue(TimeoutMs)),
                Seed = parseResult.GetValue(Seed),
            };
            settings.Validate();
            return settings;
        }

        /// <summary>
        /// The global --endpoint (every verb spells it so); with --target etcd and no --endpoint, etcd's default client
        /// URL (not $DYNAMO_ENDPOINT, which names silos).
        /// </summary>
        private static IReadOnlyList<string> ReadEndpoints(ParseResult parseResult, BenchTargetKind target) => target switch
        {
            _ when !GlobalOptions.EndpointGiven(parseResult) && target == BenchTargetKind.Etcd => [DefaultEtcdEndpoint],
            _ when !GlobalOptions.EndpointGiven(parseResult) && target == BenchTargetKind.Redis => [DefaultRedisEndpoint],
            // redis:// addresses are checked by BenchSettings.Validate; the global parser knows only http(s) silo addresses.
            BenchTargetKind.Redis => [.. (parseResult.GetValue(GlobalOptions.Endpoint) ?? [])
                .SelectMany(v => v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))],
            _ => GlobalOptions.GetEndpoints(parseResult),
        };
    }

    private static TimeSpan Span(double seconds, string option, bool allowZero)
    {
        if (double.IsNaN(seconds) || seconds < 0 || (!allowZero && seconds == 0) || seconds > 86_400)
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"{option}: expected {(allowZero ? "0" : "more than 0")} to 86400 seconds, got {seconds}"));
        return TimeSpan.FromSeconds(seconds);
    }

    /// <summary>An enum value by its name, case-insensitive; a name of several words may be written with dashes (client-reads).</summary>
    private static T Parse<T>(string? text, string option, string expected) where T : struct, Enum
    {
        string name = text?.Trim().Replace("-", "") ?? "";
        return Enum.TryParse<T>(name, ignoreCase: true, out var value) && Enum.IsDefined(value) && !int.TryParse(name, out _) && !int.TryParse(text, out _)
            ? value
            : throw new ArgumentException($"{option}: expected {expected}, got '{text}'");
    }
}
