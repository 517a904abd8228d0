using CallCluster.Console.Tests.Support;
using OpenQA.Selenium;
using Xunit.Abstractions;

namespace CallCluster.Console.Tests;

/// <summary>The console in headless Chromium when the gateway requires API tokens: the page says how to give one, and
/// with a token pasted it reads the views (Bearer) and runs a command over a WebSocket opened with a once-only ticket.</summary>
[Collection(SecuredNodeCollection.Name)]
public sealed class SecuredConsoleBrowserTests(SecuredNodeFixture fixture, ITestOutputHelper output)
{
    [Fact]
    public void Without_a_token_the_page_asks_for_one_and_with_it_reads_and_runs_commands()
    {
        using var browser = HeadlessChromium.Start();
        var screenshot = Path.Combine(AppContext.BaseDirectory, "TestResults", "console-token.png");
        try
        {
            browser.Driver.Navigate().GoToUrl(new Uri(fixture.HttpEndpoint, "/console/"));
            var help = browser.WaitFor(d => d.FindElements(By.Id("auth-help")).FirstOrDefault(e => e.Displayed),
                "the explanation that a token is needed");
            Assert.Contains("calls:read", help.Text);
            Assert.Empty(browser.Driver.FindElements(By.CssSelector("#members tbody tr[data-address]")));

            browser.Driver.FindElement(By.Id("token")).SendKeys(fixture.OperatorToken);
            browser.Driver.FindElement(By.CssSelector("#token-form button[type='submit']")).Click();

            browser.WaitFor(d => d.FindElements(By.CssSelector("#members tbody tr[data-status='Up']")).FirstOrDefault(),
                "the member once the token is given");
            browser.WaitFor(d => d.FindElements(By.CssSelector("#connection[data-state='open']")).FirstOrDefault(),
                "the Call API WebSocket open with a ticket");
            Assert.False(browser.Driver.FindElement(By.Id("auth-help")).Displayed);
            // The field is emptied once the token is taken: it is not left on screen.
            Assert.Equal("", browser.Driver.FindElement(By.Id("token")).GetAttribute("value"));

            var form = browser.Driver.FindElement(By.CssSelector("form[data-method='CallStart']"));
            form.FindElement(By.Name("caller")).SendKeys("sip:carol@127.0.0.1");
            form.FindElement(By.Name("callee")).SendKeys("sip:dave@127.0.0.1");
            form.FindElement(By.CssSelector("button[type='submit']")).Click();
            var start = browser.WaitFor(d => d.FindElements(By.CssSelector("#commands li.command[data-method='CallStart']"))
                .FirstOrDefault(c => c.FindElements(By.CssSelector(".command-status[data-status='ok']")).Count == 1), "the CallStart ended ok");

            // Ended again from the page, so the shared node is left with no call up.
            var newCall = start.FindElement(By.CssSelector(".notification[data-data='CALL_START']")).GetAttribute("data-callid")!;
            var end = browser.Driver.FindElement(By.CssSelector("form[data-method='CallEnd']"));
            end.FindElement(By.Name("callid")).SendKeys(newCall);
            end.FindElement(By.CssSelector("button[type='submit']")).Click();
            browser.WaitFor(d => d.FindElements(By.CssSelector("#commands li.command[data-method='CallEnd'] .command-status[data-status='ok']"))
                .FirstOrDefault(), "the CallEnd ended ok");
        }
        finally
        {
            browser.Screenshot(screenshot);
            // Both: the xunit output goes with the test result, the standard output into the CI log.
            output.WriteLine($"console screenshot: {screenshot}");
            System.Console.WriteLine($"console screenshot: {screenshot}");
        }
    }
}
