using System.Globalization;
using System.Text;

namespace OrleansDynamo.Storage.Log;

/// <summary>
/// The one atomic step of a merge: a small file <c>merge-&lt;id&gt;.commit</c> naming the merge's outputs and inputs,
/// written to a temporary name, synced and renamed into place once every output is synced. Before it exists the merge
/// never happened (its <c>.merge</c> outputs are deleted at the next open); once it exists the merge happened: the
/// outputs are renamed to <c>.data</c> and the inputs deleted, by the merge or, after a crash, by the next open
/// (<see cref="Complete"/>), before anything is replayed. So no open ever sees some inputs of a merge gone and others
/// still there (a tombstone the merge dropped could otherwise be gone while a record it hid is still there).
/// Format: text lines "OrleansDynamo log merge commit 1", "outputs 7 8", "inputs 1 2 3", "crc &lt;CRC-32C of the lines above, hex&gt;".
/// </summary>
internal static class MergeCommit
{
    private const string Prefix = "merge-";
    private const string Extension = ".commit";
    private const string TemporaryExtension = ".commit.tmp";
    private const string FirstLine = "OrleansDynamo log merge commit 1";

    public static string PathOf(string directory, int mergeId) =>
        Path.Combine(directory, Prefix + mergeId.ToString("D6", CultureInfo.InvariantCulture) + Extension);

    public static void Write(string directory, int mergeId, IEnumerable<int> outputs, IEnumerable<int> inputs)
    {
        string body = $"{FirstLine}\noutputs {string.Join(' ', outputs)}\ninputs {string.Join(' ', inputs)}\n";
        string text = body + $"crc {LogRecord.Crc(Encoding.UTF8.GetBytes(body)):x8}\n";
        string path = PathOf(directory, mergeId);
        string temporary = path[..^Extension.Length] + TemporaryExtension;
        using (var f = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            f.Write(Encoding.UTF8.GetBytes(text));
            f.Flush(flushToDisk: true);
        }
        File.Move(temporary, path);
        DirectorySync.Flush(directory);
    }

    /// <summary>Deletes the commit file once its merge is carried out.</summary>
    public static void Remove(string directory, int mergeId)
    {
        DataFiles.TryDelete(PathOf(directory, mergeId));
        DirectorySync.Flush(directory);
    }

    /// <summary>
    /// At open, before replay: carries out every committed merge (outputs renamed to <c>.data</c>, inputs deleted),
    /// then deletes temporary commit files and uncommitted outputs. Returns how many merges it completed.
    /// </summary>
    public static int Complete(string directory, Action<string> warn)
    {
        int completed = 0;
        foreach (string path in Directory.GetFiles(directory, Prefix + "*" + Extension).Order(StringComparer.Ordinal))
        {
            var (outputs, inputs) = Read(path);
            foreach (int id in outputs)
            {
                string merge = Path.Combine(directory, id.ToString("D6", CultureInfo.InvariantCulture) + DataFiles.MergeExtension);
                string data = Path.ChangeExtension(merge, DataFiles.DataExtension);
                if (File.Exists(merge)) File.Move(merge, data);
                else if (!File.Exists(data)) throw LogErrors.Corrupted(path, $"merge output {Path.GetFileName(data)} it names is missing");
            }
            foreach (int id in inputs) File.Delete(Path.Combine(directory, id.ToString("D6", CultureInfo.InvariantCulture) + DataFiles.DataExtension));
            DirectorySync.Flush(directory);
            File.Delete(path);
            DirectorySync.Flush(directory);
            warn($"completed a merge interrupted by a crash ({Path.GetFileName(path)}): outputs {string.Join(' ', outputs)}, inputs {string.Join(' ', inputs)} deleted");
            completed++;
        }
        foreach (string path in Directory.GetFiles(directory, Prefix + "*" + TemporaryExtension)) File.Delete(path);
        foreach (string path in Directory.GetFiles(directory, "*" + DataFiles.MergeExtension))
        {
            File.Delete(path);
            warn($"deleted {Path.GetFileName(path)}, the output of a merge that did not commit (its inputs are still there)");
        }
        return completed;
    }

    /// <summary>The highest id a commit file names (ids are never reused, even of files deleted since).</summary>
    public static int HighestId(string directory)
    {
        int highest = 0;
        foreach (string path in Directory.GetFiles(directory, Prefix + "*" + Extension))
        {
            var (outputs, inputs) = Read(path);
            highest = outputs.Concat(inputs).Append(highest).Max();
        }
        return highest;
    }

    private static (int[] Outputs, int[] Inputs) Read(string path)
    {
        string[] lines = File.ReadAllText(path, Encoding.UTF8).Split('\n');
        if (lines is not [FirstLine, var outputLine, var inputLine, var crcLine, ""]
            || !outputLine.StartsWith("outputs", StringComparison.Ordinal) || !inputLine.StartsWith("inputs", StringComparison.Ordinal)
            || crcLine != $"crc {LogRecord.Crc(Encoding.UTF8.GetBytes($"{FirstLine}\n{outputLine}\n{inputLine}\n")):x8}")
        {
            throw LogErrors.Corrupted(path, "the merge commit record is damaged");
        }
        return (Ids(outputLine["outputs".Length..], path), Ids(inputLine["inputs".Length..], path));
    }

    private static int[] Ids(string list, string path) =>
        list.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(s =>
            int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out int id) && id > 0
                ? id
                : throw LogErrors.Corrupted(path, $"the merge commit record names file id '{s}'")).ToArray();
}
