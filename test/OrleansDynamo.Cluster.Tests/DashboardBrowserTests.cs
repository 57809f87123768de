using Microsoft.Playwright;
using OrleansDynamo.TestingHost;
using Xunit;
using Xunit.Abstractions;

namespace OrleansDynamo.Cluster.Tests;

/// <summary>
/// Issues 8 and 17: the dashboard in a real browser (Debian's chromium, headless, driven by Playwright)
/// against a three-silo cluster: it shows the silos up with links to their dashboards, the current request rate and
/// each silo's coordinated and replica load, a key's replicas (and the lookup's own address), the partitions sorted and
/// filtered, the hints chart over the same seconds as the others, the ring of a one-silo cluster, the ring-change card
/// hidden when idle, and a killed silo: unreachable on another silo's page, and a lost connection on its own.
/// Screenshots go to screenshots/ under the test output directory.
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
    public async Task Dashboard_shows_three_silos_up_live_request_rates_a_keys_replicas_and_a_killed_silo_unreachable_and_disconnected()
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
            // each silo links to its own dashboard; the ring-change card stays hidden while no ring change runs
            Assert.Equal(cluster[1].HttpAddress!.TrimEnd('/') + "/", await page.GetAttributeAsync("#silos a[data-silo-link='silo1']", "href"));
            Assert.Equal("true", await page.GetAttributeAsync("#ring-change", "data-complete"));
            Assert.False(await page.IsVisibleAsync("#ring-change"), "the ring-change card is hidden when no ring change runs");

            var client = await cluster.CreateClientAsync();
            for (int i = 0; i < 150; i++) await client.PutAsync("default", "page-key-" + i, "value " + i);
            // the tile shows the rate of the last seconds, so gets go on until the page has shown it and each silo's load
            using (var load = new CancellationTokenSource())
            {
                var gets = Task.Run(async () =>
                {
                    for (int i = 0; !load.IsCancellationRequested; i++) await client.GetAsync("default", "page-key-" + (i % 150));
                });
                await page.WaitForFunctionAsync("() => Number(document.getElementById('request-rate').dataset.rate) > 0", null, new() { Timeout = 20_000 });
                await page.WaitForFunctionAsync("() => [...document.querySelectorAll('#silos td[data-coordinated]')].some(td => Number(td.dataset.coordinated) > 0)" +
                    " && [...document.querySelectorAll('#silos td[data-replica]')].every(td => Number(td.dataset.replica) > 0)", null, new() { Timeout = 20_000 });
                load.Cancel();
                await gets;
            }
            double rate = double.Parse((await page.GetAttributeAsync("#request-rate", "data-rate"))!, System.Globalization.CultureInfo.InvariantCulture);
            output.WriteLine($"request rate shown: {rate} req/s; balance: {await page.GetAttributeAsync("#out-of-balance", "data-state")}");
            Assert.True(rate > 0);
            // the hints chart covers the same 60 seconds as the request charts
            Assert.Equal("60", await page.GetAttributeAsync("#chart-repairs", "data-seconds"));

            await page.FillAsync("#key-input", "page-key-7");
            await page.ClickAsync("#key-submit");
            await page.WaitForFunctionAsync("() => document.querySelectorAll(\"#key-result [data-replica][data-found='true']\").length === 3", null, new() { Timeout = 10_000 });
            Assert.Contains("value 7", await page.InnerTextAsync("#key-result"));
            Assert.EndsWith("/?key=page-key-7", page.Url);
            await page.WaitForFunctionAsync("() => Number(document.getElementById('partitions-note').dataset.totalKeys) === 150", null, new() { Timeout = 20_000 });

            // the partitions table filters (by owner) and sorts (most keys first)
            await page.FillAsync("#partitions-filter", "silo1");
            int filtered = await page.Locator("#partitions tbody tr[data-partition]").CountAsync();
            Assert.InRange(filtered, 1, 63);
            Assert.Equal(filtered, await page.Locator("#partitions tbody tr[data-partition][data-owner='silo1']").CountAsync());
            await page.FillAsync("#partitions-filter", "");
            await page.ClickAsync("#partitions th[data-sort='keys']");
            var keys = await page.EvalOnSelectorAllAsync<int[]>("#partitions tbody tr[data-partition]", "rows => rows.map(r => Number(r.dataset.keys))");
            Assert.Equal(64, keys.Length);
            Assert.Equal(keys.OrderByDescending(k => k), keys);
            Assert.True(keys[0] > keys[^1], "the partitions hold different numbers of keys");

            // every silo's process, and the link to the Orleans dashboard
            await page.WaitForFunctionAsync("() => document.querySelectorAll('#processes tr[data-silo] td[data-uptime]').length === 3", null, new() { Timeout = 10_000 });
            Assert.Equal("/orleans/", await page.GetAttributeAsync("#orleans-link:not([hidden])", "href"));

            string healthy = Path.Combine(screenshots, "dashboard.png");
            await page.ScreenshotAsync(new() { Path = healthy, FullPage = true });
            output.WriteLine("screenshot: " + healthy);

            var orleans = await browser.NewPageAsync();
            Assert.True(await orleans.GotoAsync(cluster[1].HttpAddress + "/orleans/") is { Ok: true }, "the Orleans dashboard loads");
            await orleans.CloseAsync();

            // a one-silo cluster's ring (one owner of every partition) is drawn: a whole ring, not nothing
            var single = await browser.NewPageAsync();
            await single.RouteAsync("**/api/ring", route => route.FulfillAsync(new()
            {
                ContentType = "application/json",
                Body = "{\"version\":1,\"partitionCount\":64,\"n\":1,\"silos\":[\"silo0\"],\"owners\":[" + string.Join(",", Enumerable.Repeat(0, 64)) + "]}",
            }));
            await single.GotoAsync(cluster[0].HttpAddress + "/");
            await single.WaitForSelectorAsync("#ring path[data-owner='silo0']", new() { Timeout = 20_000 });
            double ringWidth = await single.EvalOnSelectorAsync<double>("#ring path[data-owner='silo0']", "p => p.getBBox().width");
            Assert.True(ringWidth > 200, $"the one-owner ring spans the circle (width {ringWidth} of 300)");
            await single.CloseAsync();

            // silo2's own page, opened at a lookup's address, looks the key up at once
            var own = await browser.NewPageAsync();
            own.PageError += (_, e) => consoleErrors.Add(e);
            await own.GotoAsync(cluster[2].HttpAddress + "/?key=page-key-7");
            await own.WaitForFunctionAsync("() => document.querySelectorAll(\"#key-result [data-replica][data-found='true']\").length === 3", null, new() { Timeout = 20_000 });
            await own.WaitForSelectorAsync("body[data-ready='true'][data-connection='live']", new() { Timeout = 20_000 });

            await cluster.KillSiloAsync("silo2");
            // its own page says the connection is lost, rather than showing three silos up
            await own.WaitForSelectorAsync("body[data-connection='lost'] #connection-lost:not([hidden])", new() { Timeout = 20_000 });
            Assert.Contains("silo2", await own.InnerTextAsync("#connection-lost"));
            Assert.Equal("?", await own.GetAttributeAsync("#silo-count-up", "data-count"));
            string lost = Path.Combine(screenshots, "dashboard-silo2-own-page-lost.png");
            await own.ScreenshotAsync(new() { Path = lost });
            output.WriteLine("screenshot: " + lost);
            await own.CloseAsync();

            await page.WaitForSelectorAsync("#silos tr[data-silo='silo2'][data-silo-status='unreachable']", new() { Timeout = 30_000 });
            await page.WaitForFunctionAsync("() => document.getElementById('silo-count-up').dataset.count === '2'", null, new() { Timeout = 10_000 });
            Assert.Equal("1", await page.GetAttributeAsync("#silo-count-unreachable", "data-count"));
            Assert.Equal("live", await page.GetAttributeAsync("body", "data-connection"));
            for (int i = 0; i < 30; i++) await client.PutAsync("default", "while-down-" + i, "written while silo2 is down");
            await page.FillAsync("#key-input", "while-down-3");
            await page.ClickAsync("#key-submit");
            await page.WaitForSelectorAsync("#key-result [data-replica='silo2'][data-reachable='false']", new() { Timeout = 10_000 });
            Assert.Equal(2, await page.Locator("#key-result [data-replica][data-found='true']").CountAsync());
            // a silo down and hints waiting move load for a while: recovery, not an alarm
            await page.WaitForFunctionAsync("() => Number(document.getElementById('hints-waiting').dataset.count) > 0", null, new() { Timeout = 10_000 });
            Assert.NotEqual("unbalanced", await page.GetAttributeAsync("#out-of-balance", "data-state"));
            string stopped = Path.Combine(screenshots, "dashboard-silo2-killed.png");
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
