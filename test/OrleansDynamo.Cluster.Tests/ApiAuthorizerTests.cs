using Microsoft.Extensions.Logging;
using OrleansDynamo.Core.Buckets;
using OrleansDynamo.Core.Coordination;
using OrleansDynamo.Protocol.Security;
using OrleansDynamo.Silo.Security;
using Xunit;

namespace OrleansDynamo.Cluster.Tests;

/// <summary>The one check of every client request (<see cref="ApiAuthorizer"/>), its settings, and what makes a bucket change need force.</summary>
public sealed class ApiAuthorizerTests
{
    private readonly string _dataKey = ApiKeys.Generate(), _adminKey = ApiKeys.Generate();
    private readonly ListLogger _log = new();

    private ApiAuthorizer Authorizer(params ApiKeyOptions[] keys) => new(new AuthOptions { Keys = [.. keys] }, _log);

    private ApiAuthorizer Configured() => Authorizer(
        new ApiKeyOptions { Name = "app", Role = "data", Sha256 = ApiKeys.Hash(_dataKey) },
        new ApiKeyOptions { Name = "ops", Role = "Admin", Sha256 = ApiKeys.Hash(_adminKey).ToUpperInvariant() });

    [Fact]
    public void Without_keys_everyone_is_the_anonymous_admin_and_admin_actions_are_still_logged()
    {
        var auth = Authorizer();
        Assert.False(auth.Enabled);
        Assert.Same(ApiCaller.Anonymous, auth.Authorize(null, ApiVerb.Join, "silo x"));
        Assert.Equal("Admin join by anonymous: silo x", Assert.Single(_log.Lines));
    }

    [Fact]
    public void A_missing_or_unknown_key_is_unauthenticated_and_a_data_key_on_an_admin_verb_is_denied()
    {
        var auth = Configured();
        Assert.Equal(DynamoErrorKind.Unauthenticated, Assert.Throws<DynamoException>(() => auth.Authorize(null, ApiVerb.Get)).Kind);
        Assert.Equal(DynamoErrorKind.Unauthenticated, Assert.Throws<DynamoException>(() => auth.Authorize("", ApiVerb.Put)).Kind);
        Assert.Equal(DynamoErrorKind.Unauthenticated, Assert.Throws<DynamoException>(() => auth.Authorize(_dataKey + "x", ApiVerb.Get)).Kind);
        // The hash is not the key: presenting the configured hash gets nothing.
        Assert.Equal(DynamoErrorKind.Unauthenticated, Assert.Throws<DynamoException>(() => auth.Authorize(ApiKeys.Hash(_dataKey), ApiVerb.Get)).Kind);

        foreach (var verb in new[] { ApiVerb.Get, ApiVerb.Put, ApiVerb.Delete, ApiVerb.Ring, ApiVerb.Status, ApiVerb.DashboardRead })
            Assert.Equal(new ApiCaller("app", ApiRole.Data), auth.Authorize(_dataKey, verb));
        foreach (var verb in new[] { ApiVerb.CreateBucket, ApiVerb.Replicas, ApiVerb.Join, ApiVerb.Leave, ApiVerb.Repair, ApiVerb.KeyLookup })
        {
            var e = Assert.Throws<DynamoException>(() => auth.Authorize(_dataKey, verb));
            Assert.Equal(DynamoErrorKind.PermissionDenied, e.Kind);
            Assert.Equal($"{verb.Describe()} needs the admin role; key 'app' has the data role", e.Message);
            Assert.Equal("ops", auth.Authorize(_adminKey, verb, "what").Name);
        }
        Assert.DoesNotContain(_log.Lines, l => l.Contains("by app"));
        Assert.Equal(6, _log.Lines.Count(l => l.StartsWith("Admin ") && l.Contains(" by ops: what")));
    }

    [Fact]
    public void Settings_name_each_bad_field()
    {
        var options = new AuthOptions
        {
            Keys =
            [
                new ApiKeyOptions { Name = "app", Role = "data", Sha256 = ApiKeys.Hash("a") },
                new ApiKeyOptions { Name = "app", Role = "root", Sha256 = "my-secret-key" },
                new ApiKeyOptions { Name = "", Role = "admin", Sha256 = ApiKeys.Hash("a") },
            ],
            HttpHosts = ["dyn.example", "http://x:80"],
        };
        var errors = options.Validate().ToList();
        Assert.Contains("Silo:Auth:Keys:1:Name 'app' is used by another key", errors);
        Assert.Contains("Silo:Auth:Keys:1:Role must be 'data' or 'admin', got 'root'", errors);
        Assert.Contains(errors, e => e.StartsWith("Silo:Auth:Keys:1:Sha256 must be the key's SHA-256"));
        Assert.Contains(errors, e => e.StartsWith("Silo:Auth:Keys:2:Name must be 1-128 characters"));
        Assert.Contains("Silo:Auth:Keys:2:Sha256 is the hash of another key too", errors);
        Assert.Contains(errors, e => e.StartsWith("Silo:Auth:HttpHosts:1 "));
        Assert.Equal(6, errors.Count);
        Assert.Contains(new Silo.Hosting.SiloOptions { Auth = options }.Validate(), e => e.StartsWith("Silo:Auth:"));
        Assert.Empty(new AuthOptions().Validate());
    }

    [Fact]
    public void A_bucket_change_needs_force_only_when_N_or_the_policy_changes()
    {
        var existing = new BucketSettings("b", N: 3, R: 2, W: 2);
        Assert.Null((existing with { R = 1, W = 3, MaxValueBytes = 10 }).RedefinitionOf(existing));
        Assert.Equal("N 3 -> 5", (existing with { N = 5 }).RedefinitionOf(existing));
        Assert.Equal("policy siblings -> last-write-wins", (existing with { Policy = ConflictPolicy.LastWriteWins }).RedefinitionOf(existing));
    }

    [Fact]
    public void Keys_are_random_and_travel_as_bearer_values()
    {
        var key = ApiKeys.Generate();
        Assert.NotEqual(key, ApiKeys.Generate());
        Assert.Null(ApiKeys.Check(key));
        Assert.Equal(64, ApiKeys.Hash(key).Length);
        Assert.Equal(key, ApiKeys.FromBearer(ApiKeys.Bearer(key)));
        Assert.Equal(key, ApiKeys.FromBearer("bearer  " + key));
        Assert.Null(ApiKeys.FromBearer("Basic " + key));
        Assert.Null(ApiKeys.FromBearer("Bearer "));
        Assert.NotNull(ApiKeys.Check("has space"));
    }

    private sealed class ListLogger : ILogger<ApiAuthorizer>
    {
        public List<string> Lines { get; } = [];

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (logLevel == LogLevel.Information) Lines.Add(formatter(state, exception));
        }
    }
}
