using OrleansDynamo.Storage;
using OrleansDynamo.Storage.Bench;

// Usage: dotnet run -c Release --project bench/OrleansDynamo.Storage.Bench -- [secondsPerCase] [dataRoot] [all|writes|reads] [groupCommitWindowMicroseconds]
double seconds = args.Length > 0 ? double.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 3;
string root = args.Length > 1 ? args[1] : Path.Combine(Path.GetTempPath(), "od-storage-bench");
string cases = args.Length > 2 ? args[2] : "all";
var window = TimeSpan.FromMicroseconds(args.Length > 3 ? double.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture) : 200);
Directory.CreateDirectory(root);
Console.WriteLine($"OrleansDynamo storage bench: {Environment.ProcessorCount} cores, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}, " +
                  $".NET {Environment.Version}, {seconds} s per case, group commit window {window.TotalMicroseconds} µs, data in {root}");

var bench = new StoreBenchmarks(TimeSpan.FromSeconds(seconds), root, Console.Out, window);
if (cases is "all" or "writes")
{
    var full = new Dictionary<int, double>();
    foreach (var mode in new[] { DurabilityMode.Full, DurabilityMode.Normal })
    {
        foreach (int writers in new[] { 1, 16, 64 })
        {
            double rate = await bench.Writes(mode, writers);
            if (mode == DurabilityMode.Full) full[writers] = rate;
        }
    }
    Console.WriteLine($"group commit: 64 Full writers reach {full[64] / full[1]:N1}x the single Full writer (target >= 10x)");
}
if (cases is "all" or "reads")
{
    await bench.Reads(keys: 100_000, readers: 1);
    await bench.Reads(keys: 100_000, readers: 4);
    await bench.Scan(keys: 100_000, pageSize: 1000);
}
Directory.Delete(root, recursive: true);
