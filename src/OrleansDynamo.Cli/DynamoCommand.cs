using System.CommandLine;
using OrleansDynamo.Cli.Commands;
using OrleansDynamo.Cli.Output;

namespace OrleansDynamo.Cli;

/// <summary>The <c>dynamo</c> root command: the global options and every verb, each built by its own class under Commands/.</summary>
public static class DynamoCommand
{
    /// <summary>The root command; its verbs print to <paramref name="io"/>.</summary>
    public static RootCommand Create(CliConsole io)
    {
        ArgumentNullException.ThrowIfNull(io);
        var root = new RootCommand("dynamo: talk to an OrleansDynamo cluster (get, put, delete, buckets, status, ring, membership, repair).");
        root.Options.Add(GlobalOptions.Endpoint);
        root.Options.Add(GlobalOptions.Json);
        root.Options.Add(GlobalOptions.Certificate);
        root.Options.Add(GlobalOptions.Key);
        root.Options.Add(GlobalOptions.Authority);
        root.Options.Add(GlobalOptions.ApiKey);

        root.Subcommands.Add(PutCommand.Create(io));
        root.Subcommands.Add(GetCommand.Create(io));
        root.Subcommands.Add(DeleteCommand.Create(io));
        root.Subcommands.Add(CounterCommand.Create(io));
        root.Subcommands.Add(SetCommand.Create(io));
        root.Subcommands.Add(MapCommand.Create(io));
        root.Subcommands.Add(BucketCommand.Create(io));
        root.Subcommands.Add(StatusCommand.Create(io));
        root.Subcommands.Add(RingCommand.Create(io));
        root.Subcommands.Add(JoinCommand.Create(io));
        root.Subcommands.Add(LeaveCommand.Create(io));
        root.Subcommands.Add(RepairCommand.Create(io));
        root.Subcommands.Add(CertCommand.Create(io));
        root.Subcommands.Add(ApiKeyCommand.Create(io));
        root.Subcommands.Add(BenchCommand.Create(io));
        return root;
    }
}
