using Orleans;
using OrleansDynamo.Clustering.Tests.Grains;
using OrleansDynamo.Clustering.Tests.Infrastructure;

namespace OrleansDynamo.Clustering.Tests.Silos;

/// <summary>Bounded checks that grain calls are served.</summary>
internal static class GrainCalls
{
    /// <summary>Calls every key until all answer (each retried until the bound); returns who answered each.</summary>
    public static async Task<IReadOnlyDictionary<long, string>> AllAnswerAsync(IGrainFactory grains, IReadOnlyList<long> keys, TimeSpan timeout, string via)
    {
        var answers = new Dictionary<long, string>();
        await Eventually.Until($"grains [{string.Join(", ", keys)}] to answer via {via}", timeout, async () =>
        {
            var missing = keys.Where(k => !answers.ContainsKey(k)).ToList();
            var results = await Task.WhenAll(missing.Select(async k =>
            {
                try
                {
                    return (Key: k, Silo: await grains.GetGrain<IEchoGrain>(k).SiloName(), Error: (string?)null);
                }
                catch (Exception e)
                {
                    return (Key: k, Silo: (string?)null, Error: $"{e.GetType().Name}: {e.Message}");
                }
            }));
            foreach (var r in results.Where(r => r.Silo is not null)) answers[r.Key] = r.Silo!;
            var failure = results.FirstOrDefault(r => r.Error is not null);
            return failure.Error is null ? null : $"{results.Count(r => r.Error is not null)} failing, e.g. key {failure.Key}: {failure.Error}";
        });
        return answers;
    }
}
