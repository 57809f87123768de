using OrleansDynamo.Silo.Hosting;

namespace OrleansDynamo.Silo.Admission;

/// <summary>
/// Installs the <see cref="AdmissionController"/> first of all features (so the others find it in
/// <see cref="SiloRuntime.Admission"/>): it observes the coordinator's requests and adjusts its slots
/// on a loop. With <see cref="AdmissionOptions.Enabled"/> false background work stays unlimited.
/// </summary>
public sealed class AdmissionFeature : ISiloFeature
{

    /// <summary>The controller, or null when admission control is off.</summary>
    public AdmissionController? Controller { get; private set; }

    public void Install(SiloRuntime silo)
    {
        var options = silo.Options.Admission;
        if (!options.Enabled) return;
        var controller = new AdmissionController(options, silo.Time)
        {
            Joining = () => silo.TransferReporters.Any(r => r.IsJoining(silo.Name)),
        };
        silo.Coordinator.AddObserver(controller);
        silo.Admission = controller;
        silo.AddLoop("admission", TimeSpan.FromMilliseconds(options.AdjustIntervalMs), _ =>
        {
            controller.Adjust();
            return Task.CompletedTask;
        });
        Controller = controller;
    }

    /// <summary>The controller's state, or null when admission control is off.</summary>
    public AdmissionStatus? Status() => Controller?.Status();
}
