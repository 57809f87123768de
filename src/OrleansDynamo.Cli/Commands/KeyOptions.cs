using System.CommandLine;
using OrleansDynamo.Client;

namespace OrleansDynamo.Cli.Commands;

/// <summary>Options shared by the key verbs, created fresh per command (an option belongs to one command).</summary>
internal static class KeyOptions
{
    public static Argument<string> Key() => new("KEY") { Description = "The key" };

    public static Option<string> Bucket() => new("--bucket", "-b")
    {
        Description = "The bucket",
        DefaultValueFactory = _ => DynamoClient.DefaultBucket,
    };

    public static Option<string?> Context() => new("--context", "-c")
    {
        Description = "The context a get returned, so this write supersedes what was read",
    };

    public static Option<uint?> Quorum(string name, string description) => new(name)
    {
        Description = description,
        CustomParser = result =>
        {
            if (result.Tokens.Count == 0) return null;
            string text = result.Tokens[0].Value;
            if (uint.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out uint value) && value >= 1)
                return value;
            result.AddError($"{name}: expected a whole number of at least 1, got '{text}'");
            return null;
        },
    };

    /// <summary>Parses --context; null when absent.</summary>
    public static DynamoContext? ParseContext(string? text)
    {
        if (text is null) return null;
        if (!DynamoContext.TryParse(text, out var context))
            throw new ArgumentException("--context: not a context (expected the base64 text a get printed)");
        return context;
    }
}
