using OrleansDynamo.Client;

namespace OrleansDynamo.Cli.Output;

/// <summary>The exit codes of every verb.</summary>
internal static class ExitCodes
{
    public const int Success = 0;

    /// <summary>get or delete: the key has no live version; bucket show: no such bucket.</summary>
    public const int NotFound = 1;

    /// <summary>Any error, bad arguments included; the reason is one line on stderr.</summary>
    public const int Error = 2;

    /// <summary>Writes <c>error: message</c> as one line on stderr and returns <see cref="Error"/>.</summary>
    public static int Fail(CliConsole io, string message)
    {
        io.Error.WriteLine("error: " + OneLine(message));
        return Error;
    }

    public static int Fail(CliConsole io, Exception e) => Fail(io, Describe(e));

    private static string Describe(Exception e) => e switch
    {
        DynamoException d when d.Kind == DynamoErrorKind.Timeout => d.Message.StartsWith("timeout", StringComparison.OrdinalIgnoreCase) ? d.Message : "timeout: " + d.Message,
        DynamoException d => d.Message,
        OperationCanceledException => "cancelled",
        AggregateException { InnerExceptions.Count: 1 } a => Describe(a.InnerExceptions[0]),
        _ => e.Message,
    };

    private static string OneLine(string message)
    {
        message = message.Trim();
        if (message.Length == 0) return "unknown error";
        return message.ReplaceLineEndings(" ");
    }
}
