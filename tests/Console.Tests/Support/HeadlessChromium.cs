using CallCluster.EndToEnd.Tests.Support;
using OpenQA.Selenium;
using OpenQA.Selenium.Chrome;
using OpenQA.Selenium.Support.UI;

namespace CallCluster.Console.Tests.Support;

/// <summary>Debian's Chromium, headless, through Debian's chromedriver: both paths given, so Selenium Manager never
/// looks for (or downloads) a browser or a driver. A missing browser fails the test with what to install: CI installs
/// it (.ci/run), and a console test that skips silently would prove nothing.</summary>
public sealed class HeadlessChromium : IDisposable
{
    private static readonly string BrowserPath = Environment.GetEnvironmentVariable("CALLCLUSTER_CHROMIUM") ?? "/usr/bin/chromium";
    private static readonly string DriverPath = Environment.GetEnvironmentVariable("CALLCLUSTER_CHROMEDRIVER") ?? "/usr/bin/chromedriver";

    private HeadlessChromium(ChromeDriver driver) => Driver = driver;

    public ChromeDriver Driver { get; }

    public static HeadlessChromium Start()
    {
        foreach (var (path, what) in new[] { (BrowserPath, "Chromium"), (DriverPath, "chromedriver") })
        {
            if (!File.Exists(path))
            {
                Assert.Fail($"{what} not found at {path}: the console test needs a real browser. Install it with " +
                            "`apt-get install -y chromium chromium-driver` (.ci/run does), or point CALLCLUSTER_CHROMIUM and " +
                            "CALLCLUSTER_CHROMEDRIVER at another build.");
            }
        }

        var service = ChromeDriverService.CreateDefaultService(Path.GetDirectoryName(DriverPath)!, Path.GetFileName(DriverPath));
        service.Port = FreePort.Tcp();
        service.HideCommandPromptWindow = true;
        service.SuppressInitialDiagnosticInformation = true;
        var options = new ChromeOptions { BinaryLocation = BrowserPath };
        // --no-sandbox: CI runs as root in a container, where Chromium's sandbox cannot start; the page is our own.
        options.AddArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1500,1900",
            "--no-first-run", "--disable-extensions");
        return new HeadlessChromium(new ChromeDriver(service, options, TimeSpan.FromSeconds(60)));
    }

    /// <summary>Waits (bounded, polling every 100 ms) until <paramref name="find"/> returns something; the timeout
    /// message names what was awaited and carries the page's text, which is what a failed run needs to show.</summary>
    public T WaitFor<T>(Func<IWebDriver, T?> find, string what, TimeSpan? timeout = null) where T : class
    {
        var wait = new WebDriverWait(Driver, timeout ?? TimeSpan.FromSeconds(30)) { PollingInterval = TimeSpan.FromMilliseconds(100) };
        // A row re-rendered between finding it and reading it is simply looked for again.
        wait.IgnoreExceptionTypes(typeof(StaleElementReferenceException), typeof(NoSuchElementException));
        try
        {
            return wait.Until(find)!;
        }
        catch (WebDriverTimeoutException)
        {
            throw new TimeoutException($"the console did not show {what} within {wait.Timeout.TotalSeconds} s. Page text:\n{PageText()}");
        }
    }

    /// <summary>Saves what the browser shows as PNG.</summary>
    public void Screenshot(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        Driver.GetScreenshot().SaveAsFile(path);
    }

    private string PageText()
    {
        try
        {
            return Driver.FindElement(By.TagName("body")).Text;
        }
        catch (WebDriverException e)
        {
            return $"(unreadable: {e.Message})";
        }
    }

    public void Dispose()
    {
        // Quit ends Chromium and chromedriver; Dispose alone can leave the browser running.
        Driver.Quit();
        Driver.Dispose();
    }
}
