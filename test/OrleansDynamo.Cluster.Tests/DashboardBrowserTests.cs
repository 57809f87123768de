using Microsoft.Playwright;
using OrleansDynamo.TestingHost;
using Xunit;
using Xunit.Abstractions;

namespace OrleansDynamo.Cluster.Tests;

/// <summary>
/// Issue 8: the dashboard in a real browser (Debian's chromium, headless, driven by Playwright)
/// against a three-silo cluster: it shows the silos up, live request rates, a key's replicas, and a
/// stopped silo as unreachable. Screenshots go to screenshots/ under the test output directory.
/// </summary>
public sealed class DashboardBrowserTests(ITestOutputHelper output)
{
    private const string Chromium = "/usr/bin/chromium";

    private static readonly string[] ChromiumArgs =
    [
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
    ];

    [Fact]
    public async Task Dashboard_shows_three_silos_up_live_request_rates_a_keys_replicas_and_a_stopped_silo_unreachable()
    {
        Assert.True(File.Exists(Chromium), $"{Chromium} is missing: install Debian's chromium (apt-get install chromium; .ci/run does it)");
        await using var cluster = await TestCluster.StartAsync(new TestClusterOptions { Silos = 3, OrleansDashboard = true });

        string profile = Path.Combine(Path.GetTempPath(), "od-chromium-" + Guid.NewGuid().ToString("N")[..12]);
        string screenshots = Path.Combine(AppContext.BaseDirectory, "screenshots");
        Directory.CreateDirectory(screenshots);
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchPersistentContextAsync(profile, new BrowserTypeLaunchPersistentContextOptions
        {
            ExecutablePath = Chromium,
            Headless = true,
            Args = ChromiumArgs,
            ViewportSize = new ViewportSize { Width = 1440, Height = 1100 },
            Timeout = 60_000,
        });
        try
        {
            var page = browser.Pages.Count > 0 ? browser.Pages[0] : await browser.NewPageAsync();
            var consoleErrors = new List<string>();
            page.Console += (_, m) =>
            {
                if (m.Type == "error") consoleErrors.Add(m.Text);
            };
            page.PageError += (_, e) => consoleErrors.Add(e);

            var response = await page.GotoAsync(cluster[0].HttpAddress + "/");
            Assert.True(response is { Ok: true }, "the page loads");
            await page.WaitForSelectorAsync("body[data-ready='true']", new() { Timeout = 20_000 });
            await page.WaitForFunctionAsync("() => document.querySelectorAll(\"#silos tr[data-silo-status='up']\").length === 3", null, new() { Timeout = 20_000 });
            Assert.Equal("3", await page.GetAttributeAsync("#silo-count-up", "data-count"));
            Assert.Equal(64, await WaitForRowsAsync(page));

            var client = await cluster.CreateClientAsync();
            for (int i = 0; i < 150; i++) await client.PutAsync("default", "page-key-" + i, "value " + i);
            for (int i = 0; i < 150; i++) await client.GetAsync("default", "page-key-" + i);
            await page.WaitForFunctionAsync("() => Number(document.getElementById('request-rate').dataset.rate) > 0", null, new() { Timeout = 20_000 });
            await page.WaitForFunctionAsync("() => Number(document.querySelector(\"#silos tr[data-silo='silo0'] td[data-load]\").dataset.load) > 0", null, new() { Timeout = 20_000 });
            double rate = double.Parse((await page.GetAttributeAsync("#request-rate", "data-rate"))!, System.Globalization.CultureInfo.InvariantCulture);
            output.WriteLine($"request rate shown: {rate} req/s");
            Assert.True(rate > 0);

            await page.FillAsync("#key-input", "page-key-7");
            await page.ClickAsync("#key-submit");
            await page.WaitForFunctionAsync("() => document.querySelectorAll(\"#key-result [data-replica][data-found='true']\").length === 3", null, new() { Timeout = 10_000 });
            Assert.Contains("value 7", await page.InnerTextAsync("#key-result"));
            await page.WaitForFunctionAsync("() => Number(document.getElementById('partitions-note').dataset.totalKeys) === 150", null, new() { Timeout = 20_000 });

            // every silo's process, and the link to the Orleans dashboard
            await page.WaitForFunctionAsync("() => document.querySelectorAll('#processes tr[data-silo] td[data-uptime]').length === 3", null, new() { Timeout = 10_000 });
            Assert.Equal("/orleans/", await page.GetAttributeAsync("#orleans-link:not([hidden])", "href"));

            string healthy = Path.Combine(screenshots, "dashboard.png");
            await page.ScreenshotAsync(new() { Path = healthy, FullPage = true });
            output.WriteLine("screenshot: " + healthy);

            var orleans = await browser.NewPageAsync();
            Assert.True(await orleans.GotoAsync(cluster[1].HttpAddress + "/orleans/") is { Ok: true }, "the Orleans dashboard loads");
            await orleans.CloseAsync();

            await cluster.StopSiloAsync("silo2");
            await page.WaitForSelectorAsync("#silos tr[data-silo='silo2'][data-silo-status='unreachable']", new() { Timeout = 30_000 });
            await page.WaitForFunctionAsync("() => document.getElementById('silo-count-up').dataset.count === '2'", null, new() { Timeout = 10_000 });
            Assert.Equal("1", await page.GetAttributeAsync("#silo-count-unreachable", "data-count"));
            for (int i = 0; i < 30; i++) await client.PutAsync("default", "while-down-" + i, "written while silo2 is down");
            await page.FillAsync("#key-input", "while-down-3");
            await page.ClickAsync("#key-submit");
            await page.WaitForSelectorAsync("#key-result [data-replica='silo2'][data-reachable='false']", new() { Timeout = 10_000 });
            Assert.Equal(2, await page.Locator("#key-result [data-replica][data-found='true']").CountAsync());
            string stopped = Path.Combine(screenshots, "dashboard-silo2-stopped.png");
            await page.ScreenshotAsync(new() { Path = stopped, FullPage = true });
            output.WriteLine("screenshot: " + stopped);
            Assert.Empty(consoleErrors);
        }
        finally
        {
            await browser.CloseAsync();
            try
            {
                Directory.Delete(profile, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    private static async Task<int> WaitForRowsAsync(IPage page)
    {
        await page.WaitForSelectorAsync("#partitions tbody tr[data-partition]", new() { Timeout = 20_000 });
        return await page.Locator("#partitions tbody tr[data-partition]").CountAsync();
    }
}
