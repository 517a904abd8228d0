using CallCluster.Console.Tests.Support;
using CallCluster.EndToEnd.Tests.Support;
using OpenQA.Selenium;
using Xunit.Abstractions;

namespace CallCluster.Console.Tests;

/// <summary>The web console in headless Chromium against the embedded default (one node, both roles, the built-in
/// OpenSIPS simulator, no tokens on loopback), as an operator uses it: the page opens at /console, shows the member,
/// runs a CallStart from its form and shows the command's notifications as they stream, the new call in the live list,
/// and the webhook endpoint's delivery status.</summary>
public sealed class ConsoleBrowserTests(ITestOutputHelper output)
{
    private const string WebhookSecret = "console-test-secret";

    /// <summary>The callee is the simulator's "slow" persona: it answers this long after ringing, so the page is seen
    /// mid-command (notifications shown, no Ended yet) before the end: the notifications stream, they are not fetched
    /// once the command is over. Long enough for a loaded CI machine to look between the two.</summary>
    private static readonly TimeSpan CalleeAnswerDelay = TimeSpan.FromSeconds(5);

    [Fact]
    public async Task A_CallStart_from_the_console_streams_its_notifications_and_the_page_shows_the_call_member_and_webhook()
    {
        await using var receiver = await WebhookReceiver.StartAsync(WebhookSecret);
        await using var node = await EmbeddedNode.StartAsync($$"""
            callcluster.gateway.port = {{FreePort.Tcp()}}
            callcluster.simulator.slow-answer-delay = {{(int)CalleeAnswerDelay.TotalMilliseconds}}ms
            callcluster.webhooks.url = "{{receiver.Url}}"
            callcluster.webhooks.secret = "{{WebhookSecret}}"
            """);
        using var browser = HeadlessChromium.Start();
        var screenshot = Path.Combine(AppContext.BaseDirectory, "TestResults", "console.png");
        try
        {
            browser.Driver.Navigate().GoToUrl(new Uri(node.Host.Gateway!.HttpEndpoint, "/console"));

            // The cluster member: this one node, Up, with both roles.
            var self = Akka.Cluster.Cluster.Get(node.Host.System).SelfAddress.ToString();
            var member = browser.WaitFor(d => d.FindElements(By.CssSelector("#members tbody tr[data-status='Up']"))
                .FirstOrDefault(row => row.GetAttribute("data-address") == self), $"the member {self} Up");
            Assert.Equal("call-node, gateway", member.FindElement(By.CssSelector(".member-roles")).Text);
            browser.WaitFor(d => d.FindElements(By.CssSelector("#connection[data-state='open']")).FirstOrDefault(),
                "the Call API WebSocket open");

            var form = browser.Driver.FindElement(By.CssSelector("form[data-method='CallStart']"));
            form.FindElement(By.Name("caller")).SendKeys("sip:alice@127.0.0.1");
            form.FindElement(By.Name("callee")).SendKeys("sip:slow-bob@127.0.0.1");
            form.FindElement(By.CssSelector("button[type='submit']")).Click();

            // Mid-command: the new call has started ringing, the command is still running, no Ended yet.
            var command = browser.WaitFor(d => d.FindElements(By.CssSelector("#commands li.command[data-method='CallStart']"))
                .FirstOrDefault(c => Notifications(c).Any(n => n.Data == "CALL_START")), "CALL_START of the CallStart");
            Assert.Equal("running", command.FindElement(By.CssSelector(".command-status")).GetAttribute("data-status"));
            Assert.DoesNotContain(Notifications(command), n => n.Data == "Ended");
            var cmdId = command.GetAttribute("data-cmd-id");
            Assert.False(string.IsNullOrEmpty(cmdId));

            // The end: every notification in seq order, as README's CallStart row lists them.
            browser.WaitFor(_ => command.FindElements(By.CssSelector(".command-status[data-status='ok']")).FirstOrDefault(),
                "the CallStart ended ok", CalleeAnswerDelay + TimeSpan.FromSeconds(30));
            var notifications = Notifications(command);
            Assert.Equal(["CALL_ANSWER", "TRANSFER_ACCEPT", "CALL_START", "CALL_ANSWER", "Ended"], notifications.Select(n => n.Data));
            Assert.Equal([1, 2, 3, 4, 5], notifications.Select(n => n.Seq));
            var newCall = notifications[2].CallId;
            Assert.False(string.IsNullOrEmpty(newCall));

            // The call it made, answered, in the live calls list.
            browser.WaitFor(d => CallRow(d, newCall!, "confirmed"), $"the call {newCall} confirmed in the live calls");

            // The webhook endpoint: the receiver got the new call's events, and the page shows the endpoint's position
            // past them with nothing dead-lettered.
            await receiver.WaitForAsync(all => all.Any(r => r.CallId == newCall), TimeSpan.FromSeconds(30), $"a webhook POST for {newCall}");
            // The panel re-renders as it polls: the row is read inside the wait, in one go, so that a row replaced
            // between finding and reading it is simply read again.
            var webhook = browser.WaitFor(d => d.FindElements(By.CssSelector("#webhooks tbody tr[data-name='default']"))
                .Select(row => new WebhookRow(long.Parse(row.GetAttribute("data-offset")!, System.Globalization.CultureInfo.InvariantCulture),
                    row.GetAttribute("data-dead-letters"), row.Text))
                .FirstOrDefault(row => row.Offset > 0),
                "the webhook endpoint default with deliveries committed");
            Assert.Equal("0", webhook.DeadLetters);
            Assert.Contains($"http://127.0.0.1:{receiver.Url.Port}", webhook.Text);
            Assert.DoesNotContain(receiver.Url.AbsolutePath, webhook.Text.Replace($"http://127.0.0.1:{receiver.Url.Port}", ""));

            // The call's "use" button fills the forms; CallEnd from its form ends it, and it leaves the live list.
            // (Ending it also keeps the node's shutdown quick: a call still up is torn down during the shutdown.)
            browser.WaitFor(d =>
            {
                CallRow(d, newCall!, "confirmed")?.FindElement(By.CssSelector("button.use")).Click();
                return d.FindElement(By.CssSelector("form[data-method='CallEnd']")).FindElement(By.Name("callid"))
                    .GetAttribute("value") == newCall ? "filled" : null;
            }, $"the CallEnd form filled from the row of {newCall}");
            var endForm = browser.Driver.FindElement(By.CssSelector("form[data-method='CallEnd']"));
            Assert.Equal(newCall, endForm.FindElement(By.Name("callid")).GetAttribute("value"));
            endForm.FindElement(By.CssSelector("button[type='submit']")).Click();
            var end = browser.WaitFor(d => d.FindElements(By.CssSelector("#commands li.command[data-method='CallEnd']"))
                .FirstOrDefault(c => c.FindElements(By.CssSelector(".command-status[data-status='ok']")).Count == 1), "the CallEnd ended ok");
            Assert.Equal(["CALL_END", "Ended"], Notifications(end).Select(n => n.Data));
            browser.WaitFor(d => d.FindElements(By.CssSelector("#calls tbody tr.empty")).FirstOrDefault(),
                $"the live calls empty once {newCall} ended");
        }
        finally
        {
            browser.Screenshot(screenshot);
            // Both: the xunit output goes with the test result, the standard output into the CI log.
            output.WriteLine($"console screenshot: {screenshot}");
            System.Console.WriteLine($"console screenshot: {screenshot}");
        }
    }

    private sealed record Shown(int Seq, string? Data, string? CallId);

    private sealed record WebhookRow(long Offset, string? DeadLetters, string Text);

    private static IWebElement? CallRow(IWebDriver driver, string callId, string state) =>
        driver.FindElements(By.CssSelector("#calls tbody tr"))
            .FirstOrDefault(row => row.GetAttribute("data-callid") == callId && row.GetAttribute("data-state") == state);

    private static List<Shown> Notifications(IWebElement command) =>
    [
        .. command.FindElements(By.CssSelector(".notification")).Select(n => new Shown(
            int.Parse(n.GetAttribute("data-seq")!, System.Globalization.CultureInfo.InvariantCulture),
            n.GetAttribute("data-data"), n.GetAttribute("data-callid"))),
    ];
}
