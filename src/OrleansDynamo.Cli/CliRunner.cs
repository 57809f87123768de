using System.CommandLine;
using OrleansDynamo.Cli.Output;

namespace OrleansDynamo.Cli;

/// <summary>Parses the command line and runs the chosen verb, turning every failure into exit code 2 and one line on stderr.</summary>
public static class CliRunner
{
    /// <summary>Runs <c>dynamo</c> with <paramref name="args"/>, printing to <paramref name="io"/>; returns the exit code.</summary>
    public static async Task<int> RunAsync(string[] args, CliConsole io, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(io);
        var root = DynamoCommand.Create(io);
        ParseResult parsed;
        try
        {
            parsed = root.Parse(args);
        }
        catch (Exception e)
        {
            return ExitCodes.Fail(io, e.Message);
        }
        if (parsed.Errors.Count > 0) return ExitCodes.Fail(io, ParseErrorText.Describe(parsed));
        try
        {
            return await parsed.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false, Output = io.Out, Error = io.Error },
                cancellationToken);
        }
        catch (Exception e)
        {
            return ExitCodes.Fail(io, e);
        }
    }
}
