using System.CommandLine;
using OrleansDynamo.Cli.Output;
using OrleansDynamo.Protocol.Security;

namespace OrleansDynamo.Cli.Commands;

/// <summary>
/// <c>dynamo apikey --name NAME --role data|admin</c>: makes a new random API key and prints it once, with the entry
/// of every silo's <c>Silo:Auth:Keys</c> that admits it (the key's SHA-256, never the key). Calls no silo.
/// </summary>
public static class ApiKeyCommand
{
    public static Command Create(CliConsole io)
    {
        var name = new Option<string>("--name") { Description = "Who holds the key: logged with every admin action it makes", Required = true };
        var role = new Option<string>("--role") { Description = "data (get, put, delete, ring, status) or admin (everything)", DefaultValueFactory = _ => "data" };
        var command = new Command("apikey", "Create an API key: prints the key once and the Silo:Auth:Keys entry for the silos' config") { name, role };
        command.SetAction((parseResult, _) =>
        {
            try
            {
                return Task.FromResult(Run(io, parseResult.GetValue(name)!, parseResult.GetValue(role)!, parseResult.GetValue(GlobalOptions.Json)));
            }
            catch (Exception e)
            {
                return Task.FromResult(ExitCodes.Fail(io, e));
            }
        });
        return command;
    }

    private static int Run(CliConsole io, string name, string role, bool json)
    {
        if (name.Length is 0 or > 128 || name.Any(c => char.IsWhiteSpace(c) || char.IsControl(c)))
            throw new ArgumentException($"--name must be 1-128 characters without spaces, got '{name}'");
        role = role.Trim().ToLowerInvariant();
        if (role is not ("data" or "admin")) throw new ArgumentException($"--role must be data or admin, got '{role}'");
        string key = ApiKeys.Generate();
        string hash = ApiKeys.Hash(key);
        if (json)
        {
            JsonOut.Write(io, writer =>
            {
                writer.WriteStartObject();
                writer.WriteString("key", key);
                writer.WritePropertyName("entry");
                WriteEntry(writer, name, role, hash);
                writer.WriteEndObject();
            });
            return ExitCodes.Success;
        }
        io.Out.WriteLine($"key: {key}");
        io.Out.WriteLine("  (shown once; give it to the client as --api-key or DYNAMO_API_KEY)");
        io.Out.WriteLine("add to Silo:Auth:Keys in every silo's config:");
        JsonOut.Write(io, writer => WriteEntry(writer, name, role, hash));
        return ExitCodes.Success;
    }

    private static void WriteEntry(System.Text.Json.Utf8JsonWriter writer, string name, string role, string hash)
    {
        writer.WriteStartObject();
        writer.WriteString("Name", name);
        writer.WriteString("Role", role);
        writer.WriteString("Sha256", hash);
        writer.WriteEndObject();
    }
}
