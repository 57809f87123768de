using System.Reflection;
using System.Text.RegularExpressions;
using Xunit;

namespace OrleansDynamo.Core.Tests;

/// <summary>
/// Issue 2: the core is pure. It references no package at all (so nothing that performs I/O), and
/// no source file reads the clock, uses shared randomness, creates threads or tasks, or touches
/// files, sockets or the console.
/// </summary>
public sealed class CorePurityTests
{
    private static readonly Assembly Core = typeof(Keys.DynamoKey).Assembly;

    [Fact]
    public void The_core_assembly_references_only_the_base_libraries()
    {
        var references = Core.GetReferencedAssemblies().Select(a => a.Name!).ToList();
        Assert.All(references, name => Assert.True(name.StartsWith("System", StringComparison.Ordinal) || name == "netstandard",
            $"OrleansDynamo.Core references {name}"));
        Assert.DoesNotContain(references, n => n.Contains("Net.Http") || n.Contains("Sockets") || n.Contains("Data") || n.Contains("IO.Pipes"));
    }

    public static TheoryData<string, string> Forbidden => new()
    {
        { @"\bDateTime(Offset)?\.(Utc)?Now\b", "reads the wall clock" },
        { @"\bStopwatch\b", "reads the clock" },
        { @"\bEnvironment\.TickCount", "reads the clock" },
        { @"\bTimeProvider\.System\b", "reads the clock" },
        { @"\bRandom\.Shared\b|\bnew Random\(", "uses its own randomness" },
        { @"\bnew Thread\(|\bThreadPool\.|\bTask\.Run\(|\bTask\.Factory\b|\bParallel\.", "creates threads or tasks" },
        { @"\bawait\b|\basync\b", "awaits (the core is synchronous)" },
        { @"\bFile\.|\bDirectory\.|\bFileStream\b|\bSocket\b|\bHttpClient\b|\bConsole\.", "performs I/O" },
        { @"\bstatic\s+(?!readonly\b|class\b|partial\b|extern\b)[\w<>\[\],\.\?\s]+?\s+\w+\s*(=[^>]|;)", "holds mutable static state" },
    };

    [Theory]
    [MemberData(nameof(Forbidden))]
    public void No_core_source_file(string pattern, string what)
    {
        var root = FindRepoRoot();
        var sources = Directory.GetFiles(Path.Combine(root, "src", "OrleansDynamo.Core"), "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}") && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}"))
            .ToList();
        Assert.NotEmpty(sources);
        var regex = new Regex(pattern);
        var offenders = new List<string>();
        foreach (var file in sources)
        {
            int lineNo = 0;
            foreach (var line in File.ReadLines(file))
            {
                lineNo++;
                string code = line.TrimStart();
                if (code.StartsWith("//", StringComparison.Ordinal) || code.StartsWith("*", StringComparison.Ordinal)) continue;
                int comment = code.IndexOf("//", StringComparison.Ordinal);
                if (comment >= 0) code = code[..comment];
                if (regex.IsMatch(code)) offenders.Add($"{Path.GetRelativePath(root, file)}:{lineNo}: {line.Trim()}");
            }
        }
        Assert.True(offenders.Count == 0, $"core code that {what}:\n" + string.Join("\n", offenders));
    }

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "OrleansDynamo.sln"))) return dir.FullName;
        }
        throw new InvalidOperationException("repository root not found");
    }
}
