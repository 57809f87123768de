using System.CommandLine;
using OrleansDynamo.Cli.Output;

namespace OrleansDynamo.Cli.Commands;

/// <summary><c>dynamo join --seed ADDR --endpoint NEW_SILO</c>: the silo at --endpoint joins the cluster of --seed.</summary>
public static class JoinCommand
{
    public static Command Create(CliConsole io)
    {
        var seed = new Option<string>("--seed", "-s") { Description = "gRPC address of any silo of the cluster to join", Required = true };
        var wait = RingChangeWait.Option();
        var timeout = RingChangeWait.TimeoutOption();
        var command = new Command("join", "Make the silo at --endpoint (a new, running silo) join the cluster that --seed belongs to") { seed, wait, timeout };
        command.SetAction((parseResult, cancellationToken) => CommandContext.RunAsync(parseResult, io, cancellationToken, async (ctx, ct) =>
        {
            string seedAddress = NormalizeAddress(parseResult.GetValue(seed)!, "--seed");
            string message = await ctx.Client.JoinAsync(seedAddress, ctx.FirstEndpoint, ct);
            if (!parseResult.GetValue(wait))
            {
                AdminOutput.Write(ctx, message, $"{ctx.FirstEndpoint} is joining the cluster of {seedAddress}");
                return ExitCodes.Success;
            }
            // The joining silo answers: it knows its own join first, and waits for every partition it is a new owner of.
            string name = (await ctx.Client.GetStatusAsync(ctx.FirstEndpoint, ct)).Silo;
            return await RingChangeWait.WaitAsync(ctx, ctx.FirstEndpoint, name, "up", message, parseResult.GetValue(timeout), ct);
        }));
        return command;
    }

    internal static string NormalizeAddress(string value, string option)
    {
        var address = value.Trim();
        if (!address.Contains("://", StringComparison.Ordinal)) address = "http://" + address;
        if (!Uri.TryCreate(address, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps) || uri.Host.Length == 0)
            throw new ArgumentException($"{option}: '{value}' is not a silo address such as {GlobalOptions.DevSilo}");
        return address.TrimEnd('/');
    }
}
