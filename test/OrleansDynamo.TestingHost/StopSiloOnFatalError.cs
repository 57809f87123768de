using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Runtime;

namespace OrleansDynamo.TestingHost;

/// <summary>
/// Orleans ends the process on a fatal error (a silo declared dead while it runs, lost membership state).
/// In a test process that would end every silo and the test run; this handler stops only the affected
/// silo's host and records why, so the test that caused it fails with the reason.
/// </summary>
internal sealed class StopSiloOnFatalError(IHostApplicationLifetime lifetime, ILogger<StopSiloOnFatalError> log, TestSilo silo) : IFatalErrorHandler
{
    public bool IsUnexpected(Exception exception) => exception is not ThreadAbortException;

    public void OnFatalException(object? sender = null, string? context = null, Exception? exception = null)
    {
        silo.FatalError ??= $"{sender}: {context} {exception?.Message}";
        log.LogError(exception, "Fatal error in test silo {Silo} from {Sender}: {Context}; stopping this silo only", silo.Name, sender, context);
        lifetime.StopApplication();
    }
}
