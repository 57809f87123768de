using System.CommandLine;
using OrleansDynamo.Cli;
using OrleansDynamo.Cli.Commands;

// The `dynamo` command. Each verb is built by its own static class under Commands/; this file only
// assembles them. Exit codes: 0 success, 1 key not found (get), 2 any error (one line on stderr).
var root = new RootCommand("dynamo: talk to an OrleansDynamo cluster (get, put, delete, buckets, status, ring, membership, repair).");
root.Options.Add(GlobalOptions.Endpoint);
root.Options.Add(GlobalOptions.Json);
root.Options.Add(GlobalOptions.Certificate);
root.Options.Add(GlobalOptions.Key);
root.Options.Add(GlobalOptions.Authority);
root.Options.Add(GlobalOptions.ApiKey);

root.Subcommands.Add(PutCommand.Create());
root.Subcommands.Add(GetCommand.Create());
root.Subcommands.Add(DeleteCommand.Create());
root.Subcommands.Add(BucketCommand.Create());
root.Subcommands.Add(StatusCommand.Create());
root.Subcommands.Add(RingCommand.Create());
root.Subcommands.Add(JoinCommand.Create());
root.Subcommands.Add(LeaveCommand.Create());
root.Subcommands.Add(RepairCommand.Create());
root.Subcommands.Add(CertCommand.Create());
root.Subcommands.Add(ApiKeyCommand.Create());
// The load generator lives in its own files: add `root.Subcommands.Add(BenchCommand.Create());` here.
root.Subcommands.Add(BenchCommand.Create());

return await CliRunner.RunAsync(root, args);
