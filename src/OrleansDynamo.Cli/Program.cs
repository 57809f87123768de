using OrleansDynamo.Cli;
using OrleansDynamo.Cli.Output;

// The `dynamo` command (DynamoCommand assembles the verbs; CliRunner parses and runs one).
// Exit codes: 0 success, 1 not found (get or delete of a missing key, bucket show of a missing bucket),
// 2 any error (one line on stderr).
return await CliRunner.RunAsync(args, CliConsole.ForProcess());
