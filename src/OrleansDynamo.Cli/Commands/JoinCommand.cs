using System.CommandLine;
using OrleansDynamo.Cli.Output;

namespace OrleansDynamo.Cli.Commands;

/// <summary><c>dynamo join --seed ADDR --endpoint NEW_SILO</c>: the silo at --endpoint joins the cluster of --seed.</summary>
public static class JoinCommand
{
    public static Command Create(CliConsole io)
    {
        var seed = new Option<string>("--seed", "-s") { Description = "gRPC address of any silo of the cluster to join", Required = true };
        var command = new Command("join", "Make the silo at --endpoint (a new, running silo) join the cluster that --seed belongs to") { seed };
        command.SetAction((parseResult, cancellationToken) => CommandContext.RunAsync(parseResult, io, cancellationToken, async (ctx, ct) =>
        {
            string seedAddress = NormalizeAddress(parseResult.GetValue(seed)!, "--seed");
            string message = await ctx.Client.JoinAsync(seedAddress, ctx.FirstEndpoint, ct);
            AdminOutput.Write(ctx, message, $"{ctx.FirstEndpoint} is joining the cluster of {seedAddress}");
            return ExitCodes.Success;
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
