using System.CommandLine;
using OrleansDynamo.Cli.Output;
using Spectre.Console;

namespace OrleansDynamo.Cli;

/// <summary>Parses the command line and runs the chosen verb, turning every failure into exit code 2 and one line on stderr.</summary>
internal static class CliRunner
{
    public static async Task<int> RunAsync(RootCommand root, string[] args)
    {
        ConfigureConsole();
        ParseResult parsed;
        try
        {
            parsed = root.Parse(args);
        }
        catch (Exception e)
        {
            return ExitCodes.Fail(e.Message);
        }
        if (parsed.Errors.Count > 0)
        {
            var messages = new List<string>(parsed.Errors.Count);
            foreach (var error in parsed.Errors) messages.Add(error.Message);
            return ExitCodes.Fail(string.Join("; ", messages) + " (see dynamo --help)");
        }
        try
        {
            return await parsed.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
        }
        catch (Exception e)
        {
            return ExitCodes.Fail(e);
        }
    }

    /// <summary>Plain tables without colour codes or wrapping when stdout is a file or a pipe.</summary>
    private static void ConfigureConsole()
    {
        if (!Console.IsOutputRedirected) return;
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Out = new AnsiConsoleOutput(Console.Out),
            Interactive = InteractionSupport.No,
        });
        console.Profile.Width = 240;
        AnsiConsole.Console = console;
    }
}
