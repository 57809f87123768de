using System.CommandLine;
using OrleansDynamo.Cli.Output;

namespace OrleansDynamo.Cli.Commands;

/// <summary><c>dynamo repair [--partition P]</c>: anti-entropy now, on the silo at --endpoint.</summary>
public static class RepairCommand
{
    public static Command Create(CliConsole io)
    {
        var partition = new Option<int?>("--partition", "-p") { Description = "Only this partition (default: every partition the silo holds)" };
        var command = new Command("repair", "Run anti-entropy (Merkle tree exchange) now on the silo at --endpoint") { partition };
        command.SetAction((parseResult, cancellationToken) => CommandContext.RunAsync(parseResult, io, cancellationToken, async (ctx, ct) =>
        {
            int? p = parseResult.GetValue(partition);
            if (p is < 0) throw new ArgumentException($"--partition: must not be negative, got {p}");
            string message = await ctx.Client.RepairAsync(p, ctx.FirstEndpoint, ct);
            AdminOutput.Write(ctx, message, p is null ? "repair started" : $"repair of partition {p} started");
            return ExitCodes.Success;
        }));
        return command;
    }
}
