using System.CommandLine;
using System.Globalization;
using System.Text;
using OrleansDynamo.Cli.Output;
using OrleansDynamo.Client;
using OrleansDynamo.Core.DataTypes;

namespace OrleansDynamo.Cli.Commands;

/// <summary>
/// <c>dynamo map update KEY [--counter F=N] [--set-add F=X] [--set-remove F=X] [--register F=V] [--flag F=on|off] [--remove F=TYPE] [--context C]</c>,
/// <c>dynamo map get KEY</c>: a bucket of type map. A field name with dots (<c>address.city</c>) names a field of a nested map.
/// </summary>
public static class MapCommand
{
    public static Command Create(CliConsole io)
    {
        var command = new Command("map", "Maps: keys of a bucket created with --type map (fields are counters, sets, registers, flags, maps)");
        command.Subcommands.Add(CreateUpdate(io));
        command.Subcommands.Add(CreateGet(io));
        return command;
    }

    private static Option<string[]> Field(string name, string description) => new(name)
    {
        Description = description + " (repeatable; a.b names field b of nested map a)",
        Arity = ArgumentArity.ZeroOrMore,
    };

    private static Command CreateUpdate(CliConsole io)
    {
        var key = KeyOptions.Key();
        var bucket = KeyOptions.Bucket();
        var counter = Field("--counter", "F=N: add N to counter field F");
        var setAdd = Field("--set-add", "F=X: add X to set field F");
        var setRemove = Field("--set-remove", "F=X: remove X from set field F, as last read");
        var register = Field("--register", "F=V: set register field F to V");
        var flag = Field("--flag", "F=on|off: enable or disable flag field F");
        var remove = Field("--remove", "F=TYPE: remove field F of type counter|set|register|flag|map, as last read");
        var context = KeyOptions.Context();
        context.Description = "The context a get printed: removes drop only what that get saw (default: what this update reads first)";
        var command = new Command("update", "Apply field operations to a map, all or none; prints the map after")
        {
            key, bucket, counter, setAdd, setRemove, register, flag, remove, context,
        };
        command.SetAction((parseResult, cancellationToken) => CommandContext.RunAsync(parseResult, io, cancellationToken, async (ctx, ct) =>
        {
            string bucketName = parseResult.GetValue(bucket)!, keyName = parseResult.GetValue(key)!;
            var ops = new List<MapFieldOperation>();
            bool removes = false;
            foreach (var (name, value) in Pairs(parseResult.GetValue(counter), "--counter"))
            {
                if (!long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long n))
                    throw new ArgumentException($"--counter {name}={value}: expected a whole number");
                ops.Add(Nested(name, DataTypeKind.Counter, new CounterIncrement(n)));
            }
            foreach (var (name, value) in Pairs(parseResult.GetValue(setAdd), "--set-add")) ops.Add(Nested(name, DataTypeKind.Set, new SetAdd([value])));
            foreach (var (name, value) in Pairs(parseResult.GetValue(setRemove), "--set-remove"))
            {
                ops.Add(Nested(name, DataTypeKind.Set, new SetRemove([value])));
                removes = true;
            }
            foreach (var (name, value) in Pairs(parseResult.GetValue(register), "--register"))
                ops.Add(Nested(name, DataTypeKind.Register, new RegisterAssign(Encoding.UTF8.GetBytes(value))));
            foreach (var (name, value) in Pairs(parseResult.GetValue(flag), "--flag"))
            {
                bool enable = value.ToLowerInvariant() switch
                {
                    "on" or "true" or "1" => true,
                    "off" or "false" or "0" => false,
                    _ => throw new ArgumentException($"--flag {name}={value}: expected on or off"),
                };
                ops.Add(Nested(name, DataTypeKind.Flag, new FlagUpdate(enable)));
                removes |= !enable;
            }
            foreach (var (name, value) in Pairs(parseResult.GetValue(remove), "--remove"))
            {
                var kind = DataTypeNames.Parse(value) ?? throw new ArgumentException($"--remove {name}={value}: the type is counter, set, register, flag or map");
                ops.Add(Nested(name, kind, null));
                removes = true;
            }
            if (ops.Count == 0) throw new ArgumentException("no field operation: give --counter, --set-add, --set-remove, --register, --flag or --remove");
            var maps = ctx.Client.Maps(bucketName);
            var observed = KeyOptions.ParseContext(parseResult.GetValue(context));
            if (observed is null && removes) observed = (await maps.GetAsync(keyName, null, ct)).Context;
            return DataTypeOutput.Write(ctx, bucketName, keyName, await maps.UpdateAsync(keyName, ops, observed, null, ct), update: true);
        }));
        return command;
    }

    private static Command CreateGet(CliConsole io)
    {
        var key = KeyOptions.Key();
        var bucket = KeyOptions.Bucket();
        var command = new Command("get", "Read a map's fields and the context to remove with (no fields: not found, exit 1)") { key, bucket };
        command.SetAction((parseResult, cancellationToken) => CommandContext.RunAsync(parseResult, io, cancellationToken, async (ctx, ct) =>
        {
            string bucketName = parseResult.GetValue(bucket)!, keyName = parseResult.GetValue(key)!;
            return DataTypeOutput.Write(ctx, bucketName, keyName, await ctx.Client.Maps(bucketName).GetAsync(keyName, null, ct));
        }));
        return command;
    }

    private static IEnumerable<(string Name, string Value)> Pairs(string[]? values, string option)
    {
        foreach (var text in values ?? [])
        {
            int eq = text.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0) throw new ArgumentException($"{option} {text}: expected FIELD=VALUE");
            yield return (text[..eq], text[(eq + 1)..]);
        }
    }

    /// <summary>The operation on field <paramref name="path"/> (dots: nested maps); a null operation removes the field.</summary>
    private static MapFieldOperation Nested(string path, DataTypeKind kind, DataTypeOperation? operation)
    {
        var names = path.Split('.');
        MapFieldOperation op = operation is null ? new FieldRemove(new FieldKey(names[^1], kind)) : new FieldUpdate(new FieldKey(names[^1], kind), operation);
        for (int i = names.Length - 2; i >= 0; i--) op = new FieldUpdate(new FieldKey(names[i], DataTypeKind.Map), new MapUpdate([op]));
        return op;
    }
}
