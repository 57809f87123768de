using OrleansDynamo.Silo.Hosting;
using OrleansDynamo.Storage;

try
{
    var options = SiloHost.LoadOptions(args);
    await using var app = SiloHost.Build(options);
    await app.RunAsync();
    return 0;
}
catch (SiloConfigurationException e)
{
    Console.Error.WriteLine("error: " + e.Message);
    return 2;
}
catch (StorageCorruptedException e)
{
    Console.Error.WriteLine("error: the silo's data is damaged and it will not start: " + e.Message);
    return 3;
}
catch (OrleansDynamo.DynamoException e)
{
    Console.Error.WriteLine("error: " + e.Message);
    return 2;
}
