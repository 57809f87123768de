using OrleansDynamo.Faults;

// bench/faults.sh: one fault run from the command line, printing the same report as the CI test; exit code 1 when a checker failed.
var options = new FaultRunOptions();
for (int i = 0; i < args.Length; i++)
{
    string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
    options = args[i] switch
    {
        "--seed" => options with { Seed = int.Parse(Next()) },
        "--minutes" => options with { FaultTime = TimeSpan.FromMinutes(double.Parse(Next(), System.Globalization.CultureInfo.InvariantCulture)) },
        "--seconds" => options with { FaultTime = TimeSpan.FromSeconds(double.Parse(Next(), System.Globalization.CultureInfo.InvariantCulture)) },
        "--silos" => options with { Silos = int.Parse(Next()) },
        "--steps" => options with { MaxSteps = int.Parse(Next()) },
        "--plant" => options with { Plant = Next() },
        "--dir" => options with { Directory = Next() },
        "--keep" => options with { Keep = true },
        "--clock-behind" => options with { ClockBehind = true },
        "--convergence-bound" => options with { ConvergenceBound = TimeSpan.FromSeconds(double.Parse(Next(), System.Globalization.CultureInfo.InvariantCulture)) },
        _ => throw new ArgumentException($"unknown argument '{args[i]}' (see bench/faults.sh --help)"),
    };
}
if (options.Validate() is { Count: > 0 } errors)
{
    Console.Error.WriteLine("error: " + string.Join("; ", errors));
    return 2;
}
var report = await FaultRun.RunAsync(options, Console.WriteLine);
Console.WriteLine(report);
return report.Passed ? 0 : 1;
