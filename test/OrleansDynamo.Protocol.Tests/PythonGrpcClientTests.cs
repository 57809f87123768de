using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Xunit.Abstractions;

namespace OrleansDynamo.Protocol.Tests;

/// <summary>
/// A real third-party gRPC client (Debian's python3-grpcio, via python/dynamo_client.py) against our Kestrel
/// server. Fails, never skips, when grpcio is missing: CI installs python3-grpcio and python3-protobuf.
/// </summary>
public sealed class PythonGrpcClientTests(GrpcServerFixture fixture, ITestOutputHelper output) : IClassFixture<GrpcServerFixture>
{
    /// <summary>Debian's interpreter: a pyenv python3 earlier on PATH would not see the Debian packages.</summary>
    private const string Python = "/usr/bin/python3";

    [Theory]
    [InlineData("auto")]
    [InlineData("hand")]
    public async Task Python_grpcio_put_then_get_round_trips(string codec)
    {
        var value = $"hello from python ({codec}) ünïcode";
        using var json = await RunAsync("--key", "py-" + codec, "--value", value, "--codec", codec);
        var root = json.RootElement;
        Assert.True(root.GetProperty("ok").GetBoolean(), root.ToString());
        Assert.Equal("ctx-py-" + codec, root.GetProperty("put").GetProperty("context").GetString());
        Assert.True(root.GetProperty("get").GetProperty("found").GetBoolean());
        Assert.Equal(value, Assert.Single(root.GetProperty("get").GetProperty("values").EnumerateArray()).GetString());
        Assert.True(root.GetProperty("roundtrip").GetBoolean());
    }

    [Fact]
    public async Task Python_grpcio_sees_status_and_decoded_message()
    {
        using var json = await RunAsync("--key", "", "--op", "put", "--codec", "hand");
        var root = json.RootElement;
        Assert.False(root.GetProperty("ok").GetBoolean());
        Assert.Equal("INVALID_ARGUMENT", root.GetProperty("code").GetString());
        Assert.Equal(GrpcTestServer.EmptyKeyDetail, root.GetProperty("details").GetString());
    }

    private async Task<JsonDocument> RunAsync(params string[] arguments)
    {
        Assert.True(File.Exists(Python), $"{Python} not found: install Debian's python3, python3-grpcio and python3-protobuf.");
        var script = Path.Combine(AppContext.BaseDirectory, "python", "dynamo_client.py");
        var start = new ProcessStartInfo(Python)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(script);
        start.ArgumentList.Add("--port");
        start.ArgumentList.Add(fixture.Server.Port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        start.Environment["PYTHONIOENCODING"] = "utf-8";
        start.Environment["PYTHONDONTWRITEBYTECODE"] = "1";

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        var (text, errors) = (await stdout, await stderr);
        output.WriteLine($"exit {process.ExitCode}\nstdout: {text}\nstderr: {errors}");
        Assert.False(process.ExitCode == 3,
            "python3-grpcio is not importable by /usr/bin/python3; install it: apt-get install -y python3-grpcio python3-protobuf. " + text);
        Assert.True(process.ExitCode is 0 or 1, $"dynamo_client.py crashed (exit {process.ExitCode}): {errors}");
        return JsonDocument.Parse(text);
    }
}
