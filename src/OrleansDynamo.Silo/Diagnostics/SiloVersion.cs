using System.Reflection;

namespace OrleansDynamo.Silo.Diagnostics;

/// <summary>The silo's version, as its assembly carries it (the informational version, without a source revision suffix).</summary>
public static class SiloVersion
{
    public static readonly string Current = Read();

    private static string Read()
    {
        var assembly = typeof(SiloVersion).Assembly;
        string? version = assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
            ?? assembly.GetName().Version?.ToString();
        if (string.IsNullOrEmpty(version)) return "unknown";
        int plus = version.IndexOf('+', StringComparison.Ordinal);
        return plus < 0 ? version : version[..plus];
    }
}
