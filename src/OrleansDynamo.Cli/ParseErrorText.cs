using System.CommandLine;
using System.CommandLine.Parsing;

namespace OrleansDynamo.Cli;

/// <summary>
/// Turns a command line that did not parse into one line for a person: an unknown verb or option with the nearest
/// one ("did you mean 'status'?"), the argument or option a verb is missing, each pointing at that verb's help.
/// </summary>
internal static class ParseErrorText
{
    /// <summary>The message for a parse result with errors (without the "error: " prefix).</summary>
    public static string Describe(ParseResult parsed)
    {
        var command = parsed.CommandResult.Command;
        string path = PathOf(parsed.CommandResult);
        string help = $"see {path} --help";

        if (parsed.UnmatchedTokens.Count > 0)
        {
            string token = parsed.UnmatchedTokens[0];
            if (token.StartsWith('-'))
            {
                var options = VisibleOptions(parsed.CommandResult).ToList();
                return Nearest(token, options) is { } option
                    ? $"unknown option '{token}' for {path}; did you mean '{option}'? ({help})"
                    : $"unknown option '{token}' for {path} ({help})";
            }
            if (command.Subcommands.Count > 0 && parsed.CommandResult.Tokens.Count == 0)
            {
                string verbs = string.Join(", ", command.Subcommands.Where(c => !c.Hidden).Select(c => c.Name));
                string prefix = path == "dynamo" ? "" : path["dynamo ".Length..] + " ";
                return Nearest(token, command.Subcommands.Where(c => !c.Hidden).Select(c => c.Name).ToList()) is { } verb
                    ? $"unknown verb '{prefix}{token}'; did you mean '{prefix}{verb}'? ({help})"
                    : $"unknown verb '{prefix}{token}'; the verbs are {verbs} ({help})";
            }
            return $"unexpected argument '{token}' for {path} ({help})";
        }

        var missing = new List<string>();
        foreach (var argument in command.Arguments)
        {
            if (argument.Arity.MinimumNumberOfValues > 0 && parsed.GetResult(argument) is not { Tokens.Count: > 0 })
                missing.Add(Describe(argument.Name, argument.Description));
        }
        foreach (var option in command.Options)
        {
            if (option.Required && parsed.GetResult(option) is not OptionResult { IdentifierToken: not null })
                missing.Add(Describe(option.Name, option.Description));
        }
        if (missing.Count > 0) return $"{path} needs {string.Join(" and ", missing)}; {help}";

        if (command.Subcommands.Count > 0 && command.Action is null)
            return $"{path} needs a verb: {string.Join(", ", command.Subcommands.Where(c => !c.Hidden).Select(c => c.Name))} ({help})";

        return string.Join("; ", parsed.Errors.Select(e => e.Message.TrimEnd('.'))) + $" ({help})";
    }

    /// <summary>The closest of <paramref name="candidates"/> to <paramref name="typed"/>, or null when none is close.</summary>
    public static string? Nearest(string typed, IReadOnlyList<string> candidates)
    {
        string bare = typed.TrimStart('-').ToLowerInvariant();
        if (bare.Length == 0) return null;
        int limit = bare.Length <= 3 ? 1 : 2;
        string? best = null;
        int bestDistance = int.MaxValue;
        foreach (var candidate in candidates)
        {
            string other = candidate.TrimStart('-').ToLowerInvariant();
            int distance = Distance(bare, other);
            // A prefix of three letters or more ("stat" for "status") is as good as one typo.
            if (bare.Length >= 3 && other.StartsWith(bare, StringComparison.Ordinal)) distance = Math.Min(distance, 1);
            if (distance <= limit && distance < bestDistance)
            {
                best = candidate;
                bestDistance = distance;
            }
        }
        return best;
    }

    /// <summary>Edit distance counting an insertion, deletion, substitution or swap of two neighbours as one.</summary>
    private static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (int i = 0; i <= a.Length; i++) d[i, 0] = i;
        for (int j = 0; j <= b.Length; j++) d[0, j] = j;
        for (int i = 1; i <= a.Length; i++)
        {
            for (int j = 1; j <= b.Length; j++)
            {
                int cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
            }
        }
        return d[a.Length, b.Length];
    }

    /// <summary>"dynamo bucket create": the root is always called dynamo (its own name is the executable's).</summary>
    private static string PathOf(CommandResult result)
    {
        var names = new List<string>();
        for (SymbolResult? r = result; r is not null; r = r.Parent)
        {
            if (r is CommandResult c && c.Parent is not null) names.Add(c.Command.Name);
        }
        names.Add("dynamo");
        names.Reverse();
        return string.Join(' ', names);
    }

    /// <summary>The options a command accepts: its own and the recursive ones of the commands above it, with aliases.</summary>
    private static IEnumerable<string> VisibleOptions(CommandResult result)
    {
        for (SymbolResult? r = result; r is not null; r = r.Parent)
        {
            if (r is not CommandResult c) continue;
            foreach (var option in c.Command.Options)
            {
                if (option.Hidden || (!ReferenceEquals(c, result) && !option.Recursive)) continue;
                yield return option.Name;
                foreach (var alias in option.Aliases) yield return alias;
            }
        }
    }

    private static string Describe(string name, string? description)
    {
        if (string.IsNullOrWhiteSpace(description)) return name;
        string text = description.Trim();
        return $"{name} ({char.ToLowerInvariant(text[0])}{text[1..]})";
    }
}
