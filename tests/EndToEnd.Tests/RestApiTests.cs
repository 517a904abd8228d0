using System.Net;
using System.Text.Json;
using CallCluster.EndToEnd.Tests.Support;
using static CallCluster.TestSupport.Json;

namespace CallCluster.EndToEnd.Tests;

/// <summary>The REST API over real HTTP against the embedded node (gateway, call node, simulated OpenSIPS): every route's
/// happy path, errors as problem+json with the WebSocket API's codes, Idempotency-Key, and the OpenAPI document.</summary>
public sealed class RestApiTests(FastTimersNodeFixture fixture) : IClassFixture<FastTimersNodeFixture>, IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private readonly RestTestClient _rest = new(fixture.Node.Host.Gateway!.HttpEndpoint);

    private Task<string> PlaceCall(string from, string to) => fixture.Node.Simulator!.PlaceCallAsync(from, to);

    public void Dispose() => _rest.Dispose();

    [Fact]
    public async Task CallStart_answers_202_with_the_command_URL_and_polling_it_reaches_ok()
    {
        var started = await _rest.PostAsync("/v1/calls", new { caller = "sip:rest-alice@127.0.0.1", callee = "sip:rest-bob@127.0.0.1" });

        Assert.Equal(HttpStatusCode.Accepted, started.Status);
        var cmdId = started.Str("cmd_id")!;
        Assert.Equal($"/v1/commands/{cmdId}", started.Location!.ToString());
        Assert.Equal(started.Location.ToString(), started.Str("href"));
        Assert.Equal(("Started", "false"), (started.Str("status"), started.Str("existing")));

        var command = await _rest.WaitForEndAsync(started.Location.ToString(), Timeout);

        Assert.Equal(("ok", "CallStart", cmdId), (command.Str("status"), command.Str("method"), command.Str("cmd_id")));
        Assert.Equal("sip:rest-alice@127.0.0.1", command.Str("params", "caller"));
        Assert.Equal(["CALL_ANSWER", "TRANSFER_ACCEPT", "CALL_START", "CALL_ANSWER", "Ended ok"], RestTestClient.Codes(command));
        var newCall = Str(command.Body.GetProperty("notifications")[2], "callid")!;

        var call = await _rest.GetAsync($"/v1/calls/{Uri.EscapeDataString(newCall)}");
        Assert.Equal(HttpStatusCode.OK, call.Status);
        Assert.Equal((newCall, "confirmed", "4"), (call.Str("callid"), call.Str("state"), call.Str("state_code")));
        Assert.Equal(("sip:rest-alice@127.0.0.1", "sip:rest-bob@127.0.0.1"), (call.Str("caller"), call.Str("callee")));
        Assert.Contains(cmdId, call.Body.GetProperty("cmd_ids").EnumerateArray().Select(e => e.GetString()));
        Assert.True(DateTimeOffset.TryParse(call.Str("started_at"), out _));
    }

    [Fact]
    public async Task CallList_pages_with_limit_and_the_next_URL_and_lists_every_placed_call()
    {
        var placed = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            placed.Add(await PlaceCall($"sip:rest-list-a{i}@127.0.0.1", $"sip:rest-list-b{i}@127.0.0.1"));
        }

        foreach (var id in placed)
        {
            await _rest.WaitForCallAsync(id, Timeout);
        }

        var seen = new List<string>();
        string? next = "/v1/calls?limit=2";
        for (var page = 0; next is not null && page < 100; page++)
        {
            var answer = await _rest.GetAsync(next);
            Assert.Equal(HttpStatusCode.OK, answer.Status);
            var calls = answer.Body.GetProperty("calls").EnumerateArray().ToList();
            Assert.True(calls.Count <= 2);
            Assert.All(calls, c => Assert.False(c.TryGetProperty("cmd_ids", out _)));
            seen.AddRange(calls.Select(c => Str(c, "callid")!));
            next = answer.Body.GetProperty("next").ValueKind == JsonValueKind.Null ? null : answer.Str("next");
            Assert.Equal(next is null, answer.Body.GetProperty("next_cursor").ValueKind == JsonValueKind.Null);
        }

        Assert.Null(next);
        Assert.Equal(seen.Count, seen.Distinct().Count());
        Assert.All(placed, id => Assert.Contains(id, seen));
        Assert.Equal(seen.Order(StringComparer.Ordinal), seen);
    }

    [Fact]
    public async Task Hold_unhold_and_end_of_a_call_each_reach_ok_and_CallGet_shows_the_hold()
    {
        var callId = await PlaceCall("sip:rest-hold-a@127.0.0.1", "sip:rest-hold-b@127.0.0.1");
        var path = $"/v1/calls/{Uri.EscapeDataString(callId)}";

        var hold = await _rest.RunAsync($"{path}/hold", new { leg = "callee" }, Timeout);
        Assert.Equal(["CALL_HOLD", "Ended ok"], RestTestClient.Codes(hold));
        var held = await _rest.GetAsync(path);
        Assert.Equal(("false", "true"), (held.Str("hold", "caller"), held.Str("hold", "callee")));

        var unhold = await _rest.RunAsync($"{path}/unhold", null, Timeout);
        Assert.Equal(["CALL_UNHOLD", "Ended ok"], RestTestClient.Codes(unhold));

        var end = await _rest.RunAsync($"{path}/end", null, Timeout);
        Assert.Equal(["CALL_END", "Ended ok"], RestTestClient.Codes(end));
        Assert.Equal("ended", (await _rest.GetAsync(path)).Str("state"));
    }

    [Fact]
    public async Task Blind_transfer_moves_the_callee_to_a_new_call()
    {
        var callId = await PlaceCall("sip:rest-blind-a@127.0.0.1", "sip:rest-blind-b@127.0.0.1");

        var run = await _rest.RunAsync($"/v1/calls/{Uri.EscapeDataString(callId)}/transfer",
            new { leg = "callee", destination = "sip:rest-blind-c@127.0.0.1" }, Timeout);

        Assert.Equal(["TRANSFER_ACCEPT", "CALL_START", "Ended ok"], RestTestClient.Codes(run));
        Assert.Equal(callId, run.Str("params", "callid"));
    }

    [Fact]
    public async Task Attended_transfer_takes_call_A_from_the_path_and_call_B_from_the_body()
    {
        var callA = await PlaceCall("sip:rest-att-a@127.0.0.1", "sip:rest-att-b@127.0.0.1");
        var callB = await PlaceCall("sip:rest-att-a@127.0.0.1", "sip:rest-att-c@127.0.0.1");

        var run = await _rest.RunAsync($"/v1/calls/{Uri.EscapeDataString(callA)}/attended-transfer",
            new { leg_a = "callee", callid_b = callB, leg_b = "callee" }, Timeout);

        Assert.Equal(["TRANSFER_ACCEPT", "CALL_START", "Ended ok"], RestTestClient.Codes(run));
        Assert.Equal((callA, callB), (run.Str("params", "callid_a"), run.Str("params", "callid_b")));
    }

    [Theory]
    [InlineData("/v1/calls", """{"caller":"alice","callee":"sip:bob@127.0.0.1"}""", "caller: must be a SIP URI")]
    [InlineData("/v1/calls", """{"caller":"sip:alice@127.0.0.1"}""", "callee: required")]
    [InlineData("/v1/calls", """{"caller":"sip:a@127.0.0.1","callee":"sip:b@127.0.0.1","colour":"red"}""", "colour: unknown parameter of CallStart")]
    [InlineData("/v1/calls/some-call/hold", """{"leg":"middle"}""", "leg: must be \"caller\" or \"callee\"")]
    [InlineData("/v1/calls/some-call/hold", """{"callid":"other-call"}""", "callid: callid is given more than once")]
    [InlineData("/v1/calls/some-call/transfer", """{"leg":"callee"}""", "destination: required")]
    [InlineData("/v1/calls/some-call/attended-transfer", """{"leg_a":"callee","leg_b":"callee"}""", "callid_b: required")]
    public async Task Invalid_params_are_400_problem_json_with_code_32602_and_the_WebSocket_APIs_rule_text(string path, string body, string detail)
    {
        var answer = await _rest.PostRawAsync(path, body);

        AssertProblem(answer, HttpStatusCode.BadRequest, -32602);
        Assert.StartsWith(detail, answer.Str("detail"));
        Assert.Equal("Invalid params", answer.Str("title"));
    }

    [Theory]
    [InlineData("{\"caller\":", -32700)]
    [InlineData("[1,2]", -32600)]
    public async Task A_body_that_is_not_a_JSON_object_is_400_with_the_WebSocket_APIs_code(string body, int code)
    {
        AssertProblem(await _rest.PostRawAsync("/v1/calls", body), HttpStatusCode.BadRequest, code);
    }

    [Theory]
    [InlineData("/v1/calls?limit=0", "limit: must be an integer from 1 to 1000")]
    [InlineData("/v1/calls?limit=many", "limit: must be an integer from 1 to 1000")]
    [InlineData("/v1/calls?cursor=bm8tc3VjaC1jdXJzb3I!", "cursor: not a cursor this server gave out")]
    [InlineData("/v1/calls?page=2", "page: unknown parameter of CallList")]
    public async Task Invalid_list_queries_are_400_with_code_32602(string path, string detail)
    {
        var answer = await _rest.GetAsync(path);

        AssertProblem(answer, HttpStatusCode.BadRequest, -32602);
        Assert.Equal(detail, answer.Str("detail"));
    }

    [Fact]
    public async Task An_unknown_call_is_404_with_code_32001()
    {
        var answer = await _rest.GetAsync("/v1/calls/no-such-call-for-rest");

        AssertProblem(answer, HttpStatusCode.NotFound, -32001);
        Assert.Equal("Unknown call", answer.Str("title"));
    }

    [Fact]
    public async Task An_unknown_command_is_404_with_CommandGets_code()
    {
        AssertProblem(await _rest.GetAsync("/v1/commands/no-such-command-for-rest"), HttpStatusCode.NotFound, -32602);
    }

    [Fact]
    public async Task A_command_on_an_unknown_call_is_accepted_and_ends_failed_32001_as_on_the_WebSocket()
    {
        var end = await _rest.RunAsync("/v1/calls/no-such-call-to-end/end", null, Timeout);

        Assert.Equal(["Ended failed"], RestTestClient.Codes(end));
        Assert.Equal("-32001", Str(end.Body.GetProperty("notifications")[0], "error", "code"));
    }

    [Fact]
    public async Task A_repeated_POST_with_the_same_Idempotency_Key_returns_the_same_command_and_starts_no_second()
    {
        var callId = await PlaceCall("sip:rest-idem-a@127.0.0.1", "sip:rest-idem-b@127.0.0.1");
        var path = $"/v1/calls/{Uri.EscapeDataString(callId)}/hold";
        var key = "rest-idem-" + Guid.NewGuid().ToString("N");

        var first = await _rest.PostAsync(path, new { leg = "caller" }, key);
        var done = await _rest.WaitForEndAsync(first.Location!.ToString(), Timeout);
        var repeat = await _rest.PostAsync(path, new { leg = "caller" }, key);

        Assert.Equal((HttpStatusCode.Accepted, HttpStatusCode.Accepted), (first.Status, repeat.Status));
        Assert.Equal((key, key), (first.Str("cmd_id"), repeat.Str("cmd_id")));
        Assert.Equal(first.Location, repeat.Location);
        Assert.Equal(("false", "true"), (first.Str("existing"), repeat.Str("existing")));
        Assert.Equal("true", repeat.Headers.GetValues("Idempotent-Replayed").Single());
        // A second hold of the held leg would have failed 480; the command is the first one, still ok, and the only one.
        Assert.Equal(["CALL_HOLD", "Ended ok"], RestTestClient.Codes(done));
        Assert.Equal(RestTestClient.Codes(done), RestTestClient.Codes(await _rest.GetAsync(first.Location.ToString())));
        var call = await _rest.GetAsync($"/v1/calls/{Uri.EscapeDataString(callId)}");
        Assert.Equal([key], call.Body.GetProperty("cmd_ids").EnumerateArray().Select(e => e.GetString()!));

        // The same key with other params is refused, as a reused cmd_id is on the WebSocket.
        var other = await _rest.PostAsync(path, new { leg = "callee" }, key);
        AssertProblem(other, HttpStatusCode.BadRequest, -32602);
        Assert.Contains("already used", other.Str("detail"));
    }

    [Fact]
    public async Task The_OpenAPI_document_parses_and_lists_every_route()
    {
        var answer = await _rest.GetAsync("/openapi.json");

        Assert.Equal(HttpStatusCode.OK, answer.Status);
        Assert.StartsWith("3.", answer.Str("openapi"));
        var paths = answer.Body.GetProperty("paths");
        var routes = paths.EnumerateObject()
            .SelectMany(p => p.Value.EnumerateObject().Select(op => $"{op.Name.ToUpperInvariant()} {p.Name}"))
            .Order(StringComparer.Ordinal);
        Assert.Equal(
        [
            "GET /v1/calls", "GET /v1/calls/{callid}", "GET /v1/cluster", "GET /v1/commands/{cmd_id}", "GET /v1/webhooks", "POST /v1/calls",
            "POST /v1/calls/{callid}/attended-transfer", "POST /v1/calls/{callid}/end", "POST /v1/calls/{callid}/hold",
            "POST /v1/calls/{callid}/transfer", "POST /v1/calls/{callid}/unhold",
        ], routes);
        var start = paths.GetProperty("/v1/calls").GetProperty("post");
        Assert.True(start.GetProperty("responses").TryGetProperty("202", out _));
        Assert.True(start.GetProperty("responses").TryGetProperty("400", out _));
        Assert.True(start.TryGetProperty("requestBody", out _));
        // Optional params are optional in the document too (attended transfer's destination, hold's leg).
        var schemas = answer.Body.GetProperty("components").GetProperty("schemas");
        Assert.Equal(["leg_a", "callid_b", "leg_b"],
            schemas.GetProperty("AttendedTransferBody").GetProperty("required").EnumerateArray().Select(e => e.GetString()!));
        Assert.False(schemas.GetProperty("HoldBody").TryGetProperty("required", out _));
    }

    private static void AssertProblem(RestAnswer answer, HttpStatusCode status, int code)
    {
        Assert.Equal(status, answer.Status);
        Assert.Equal("application/problem+json", answer.ContentType);
        Assert.Equal((int)status, Int(answer.Body, "status"));
        Assert.Equal(code, Int(answer.Body, "code"));
    }
}
