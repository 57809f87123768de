using System.CommandLine;
using OrleansDynamo.Cli.Output;

namespace OrleansDynamo.Cli.Commands;

/// <summary><c>dynamo leave SILO_NAME</c>: the silo hands its partitions over and leaves.</summary>
public static class LeaveCommand
{
    public static Command Create(CliConsole io)
    {
        var silo = new Argument<string>("SILO_NAME") { Description = "Name of the silo that leaves (see dynamo status)" };
        var wait = RingChangeWait.Option();
        var timeout = RingChangeWait.TimeoutOption();
        var command = new Command("leave", "Make a silo leave the cluster; its partitions move to the others first") { silo, wait, timeout };
        command.SetAction((parseResult, cancellationToken) => CommandContext.RunAsync(parseResult, io, cancellationToken, async (ctx, ct) =>
        {
            string name = parseResult.GetValue(silo)!;
            string message = await ctx.Client.LeaveAsync(name, ctx.FirstEndpoint, ct);
            if (!parseResult.GetValue(wait))
            {
                AdminOutput.Write(ctx, message, $"{name} is leaving the cluster");
                return ExitCodes.Success;
            }
            return await RingChangeWait.WaitAsync(ctx, ctx.FirstEndpoint, name, "left", message, parseResult.GetValue(timeout), ct);
        }));
        return command;
    }
}
