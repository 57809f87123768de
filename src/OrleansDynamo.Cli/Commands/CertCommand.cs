using System.CommandLine;
using OrleansDynamo.Cli.Output;
using OrleansDynamo.Protocol.Security;

namespace OrleansDynamo.Cli.Commands;

/// <summary>
/// <c>dynamo cert</c>: creates a cluster's authority, a certificate per silo and per client, as PEM files in one
/// directory, ready for <c>Silo:Tls</c> and the CLI's <c>--cert/--key/--ca</c>. Calls no silo.
/// </summary>
public static class CertCommand
{
    public static Command Create(CliConsole io)
    {
        var output = new Option<string>("--out") { Description = "Directory to write the files to (created; existing files are not overwritten)", Required = true };
        var cluster = new Option<string>("--cluster") { Description = "The cluster's name (Silo:ClusterName)", DefaultValueFactory = _ => "dev" };
        var silos = new Option<string[]>("--silo") { Description = "A silo to issue a certificate for (repeat)", Arity = ArgumentArity.ZeroOrMore, AllowMultipleArgumentsPerToken = true };
        var clients = new Option<string[]>("--client") { Description = "A client to issue a certificate for (repeat)", Arity = ArgumentArity.ZeroOrMore, AllowMultipleArgumentsPerToken = true };
        var hosts = new Option<string[]>("--host")
        {
            Description = "Host name or address the silos are reached at (repeat)",
            Arity = ArgumentArity.ZeroOrMore,
            DefaultValueFactory = _ => ["127.0.0.1", "localhost"],
        };
        var days = new Option<int>("--days") { Description = "Validity in days", DefaultValueFactory = _ => 365 };
        var command = new Command("cert", "Create a cluster authority and silo and client certificates (PEM) for a TLS cluster")
        {
            output, cluster, silos, clients, hosts, days,
        };
        command.SetAction((parseResult, _) =>
        {
            try
            {
                return Task.FromResult(Run(io, parseResult.GetValue(output)!, parseResult.GetValue(cluster)!, parseResult.GetValue(silos) ?? [],
                    parseResult.GetValue(clients) ?? [], parseResult.GetValue(hosts) ?? [], parseResult.GetValue(days), parseResult.GetValue(GlobalOptions.Json)));
            }
            catch (Exception e)
            {
                return Task.FromResult(ExitCodes.Fail(io, e));
            }
        });
        return command;
    }

    private static int Run(CliConsole io, string directory, string clusterName, string[] silos, string[] clients, string[] hosts, int days, bool json)
    {
        if (days is < 1 or > 3650) throw new ArgumentException($"--days must be 1-3650, got {days}");
        if (string.IsNullOrWhiteSpace(clusterName)) throw new ArgumentException("--cluster must not be empty");
        var names = silos.Concat(clients).Prepend("ca").ToList();
        foreach (var name in names.Skip(1))
        {
            if (name.Length is 0 or > 64 || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
                throw new ArgumentException($"'{name}' is not a usable certificate name (1-64 letters, digits, '-', '_', '.')");
        }
        if (names.Distinct(StringComparer.OrdinalIgnoreCase).Count() != names.Count) throw new ArgumentException("every silo and client needs its own name (and none may be 'ca')");
        Directory.CreateDirectory(directory);
        var files = names.SelectMany(n => new[] { Path.Combine(directory, n + ".pem"), Path.Combine(directory, n + ".key") }).ToList();
        if (files.FirstOrDefault(File.Exists) is { } existing) throw new ArgumentException($"'{existing}' exists already; choose another --out");

        var validity = TimeSpan.FromDays(days);
        var authority = ClusterCertificates.CreateAuthority(clusterName, validity);
        ClusterCertificates.WritePem(authority, Path.Combine(directory, "ca.pem"), Path.Combine(directory, "ca.key"));
        foreach (var silo in silos)
            ClusterCertificates.WritePem(ClusterCertificates.Issue(authority, silo, CertificateRole.Silo, hosts, validity), Path.Combine(directory, silo + ".pem"), Path.Combine(directory, silo + ".key"));
        foreach (var client in clients)
            ClusterCertificates.WritePem(ClusterCertificates.Issue(authority, client, CertificateRole.Client, [], validity), Path.Combine(directory, client + ".pem"), Path.Combine(directory, client + ".key"));

        if (json)
        {
            io.Out.WriteLine(System.Text.Json.JsonSerializer.Serialize(new { authority = Path.Combine(directory, "ca.pem"), silos, clients, directory }));
        }
        else
        {
            io.Out.WriteLine($"authority {Path.Combine(directory, "ca.pem")} (keep ca.key offline: it issues certificates)");
            foreach (var silo in silos) io.Out.WriteLine($"silo {silo}: {Path.Combine(directory, silo + ".pem")} {Path.Combine(directory, silo + ".key")}");
            foreach (var client in clients) io.Out.WriteLine($"client {client}: {Path.Combine(directory, client + ".pem")} {Path.Combine(directory, client + ".key")}");
        }
        return ExitCodes.Success;
    }
}
