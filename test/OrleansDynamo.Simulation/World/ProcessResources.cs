using System.Diagnostics.Metrics;
using System.Reflection;
using OrleansDynamo.Silo;

namespace OrleansDynamo.Simulation.World;

/// <summary>
/// Frees what a silo incarnation registered process-wide. A <see cref="Meter"/> or a started
/// <see cref="MeterListener"/> stays in a static list until disposed, keeping the whole silo alive and
/// making every later listener hear every later silo's instruments (quadratic slow-down over
/// thousands of seeds). The silo has no stop hook for features, so the simulation disposes any
/// meter or listener it finds on a feature (or one level below) when the incarnation ends.
/// </summary>
public static class ProcessResources
{
    public static void Release(SiloRuntime runtime)
    {
        foreach (var feature in runtime.Features) Release(feature, depth: 2);
    }

    private static void Release(object target, int depth)
    {
        for (var type = target.GetType(); type is not null && type != typeof(object); type = type.BaseType)
        {
            foreach (var field in type.GetFields(BindingFlags.Instance | BindingFlags.NonPublic | BindingFlags.Public | BindingFlags.DeclaredOnly))
            {
                var value = field.GetValue(target);
                switch (value)
                {
                    case Meter meter: meter.Dispose(); break;
                    case MeterListener listener: listener.Dispose(); break;
                    case not null when depth > 1 && !field.FieldType.IsValueType && field.FieldType.Assembly == typeof(SiloRuntime).Assembly:
                        Release(value, depth - 1);
                        break;
                }
            }
        }
    }
}
