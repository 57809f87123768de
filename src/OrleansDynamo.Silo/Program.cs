using Microsoft.Extensions.Hosting;
using OrleansDynamo.Silo.Hosting;

// A known start-up failure (StartupFailure) is one line on stderr and a non-zero exit code, never a stack trace.
try
{
    var options = SiloHost.LoadOptions(args);
    await using var app = SiloHost.Build(options);
    try
    {
        await app.StartAsync();
    }
    catch (Exception e) when (StartupFailure.Describe(e) is not null)
    {
        // Stop what did start (Orleans, when Kestrel could not bind) before the host is disposed.
        using var stopping = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            await app.StopAsync(stopping.Token);
        }
        catch (Exception stopError) when (stopError is OperationCanceledException or InvalidOperationException or AggregateException)
        {
        }
        throw;
    }
    await app.WaitForShutdownAsync();
    return 0;
}
catch (Exception e) when (StartupFailure.Describe(e) is { } failure)
{
    Console.Error.WriteLine("error: " + failure.Message);
    return failure.ExitCode;
}
