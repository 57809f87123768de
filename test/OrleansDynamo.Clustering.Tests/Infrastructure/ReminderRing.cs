using System.Reflection;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans.Runtime;

namespace OrleansDynamo.Clustering.Tests.Infrastructure;

/// <summary>
/// Which silo's reminder service runs a grain's reminders. Orleans routes reminder calls with
/// <c>IConsistentRingProvider.GetPrimaryTargetSilo(grainId.GetUniformHashCode())</c>; that interface is
/// internal in Orleans 10.4.2, so the test asks the silo's own instance through reflection (and fails
/// loudly, rather than guess, if Orleans renames it).
/// </summary>
internal static class ReminderRing
{
    private const string ProviderTypeName = "Orleans.Runtime.ConsistentRing.IConsistentRingProvider";
    private const string OwnerMethodName = "GetPrimaryTargetSilo";

    public static SiloAddress OwnerOf(TestSilo silo, GrainId grain)
    {
        var providerType = typeof(OrleansSiloGenericHostExtensions).Assembly.GetType(ProviderTypeName, throwOnError: true)!;
        var owner = providerType.GetMethod(OwnerMethodName, BindingFlags.Public | BindingFlags.Instance, [typeof(uint)])
            ?? throw new MissingMethodException(ProviderTypeName, OwnerMethodName);
        var provider = silo.Services.GetRequiredService(providerType);
        return (SiloAddress)(owner.Invoke(provider, [grain.GetUniformHashCode()])
            ?? throw new InvalidOperationException($"{ProviderTypeName}.{OwnerMethodName} returned null"));
    }
}
