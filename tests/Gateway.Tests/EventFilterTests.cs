using System.Text.Json;
using CallCluster.Contracts.Events;
using CallCluster.Gateway.Events;
using CallCluster.Gateway.Protocol;

namespace CallCluster.Gateway.Tests;

/// <summary>EventsSubscribe's parameters as the parser takes them, and the filter they become.</summary>
public sealed class EventFilterTests
{
    private static CallEventRecorded E(string name, string callId, string? from, string? to) =>
        new(name, callId, 1, 0, from, to, null, null, null, null, null);

    private static RpcItem Parse(string parameters) =>
        new RequestParser(new MethodRegistry(GatewaySettings.DefaultEnabledMethods))
            .Parse(System.Text.Encoding.UTF8.GetBytes($$"""{"jsonrpc":"2.0","id":1,"method":"EventsSubscribe","params":{{parameters}}}""")).Items[0];

    [Fact]
    public void A_party_pattern_matches_either_party_case_insensitively_and_names_and_callid_narrow_it()
    {
        var subscribe = Assert.IsType<RpcEventsSubscribe>(Parse("""{"party":"sip:*@Queue.example.com","events":["call.ringing","call.ended"],"after":"41"}"""));
        Assert.Equal(41, subscribe.After);
        var filter = subscribe.Filter;
        Assert.True(filter.Matches(E("call.ringing", "c1", "sip:a@h", "sip:q1@queue.example.com")));
        Assert.True(filter.Matches(E("call.ended", "c1", "sip:q1@queue.example.com", null)));
        Assert.False(filter.Matches(E("call.answered", "c1", "sip:a@h", "sip:q1@queue.example.com")));
        Assert.False(filter.Matches(E("call.ringing", "c1", "sip:a@h", "sip:b@h")));
        Assert.False(filter.Matches(E("call.ringing", "c1", null, null)));

        var byCall = Assert.IsType<RpcEventsSubscribe>(Parse("""{"callid":"c2"}""")).Filter;
        Assert.True(byCall.Matches(E("call.held", "c2", null, null)));
        Assert.False(byCall.Matches(E("call.held", "c1", null, null)));
        Assert.Null(Assert.IsType<RpcEventsSubscribe>(Parse("{}")).After);
    }

    [Fact]
    public void A_domain_limited_token_hears_only_calls_whose_parties_are_all_inside_its_domains()
    {
        var guard = new CallCluster.Gateway.Security.DomainGuard(["a.example"], Akka.Actor.ActorRefs.Nobody, null, TimeSpan.FromSeconds(1));
        var filter = EventFilter.All with { Visible = guard.EventInside };
        Assert.True(filter.Matches(E("call.ringing", "c1", "sip:x@a.example", "sip:y@A.example")));
        Assert.True(filter.Matches(E("call.ended", "c1", "sip:x@a.example", null)));
        Assert.False(filter.Matches(E("call.ringing", "c2", "sip:x@a.example", "sip:y@b.example")));
        Assert.False(filter.Matches(E("call.ringing", "c3", "sip:x@b.example", null)));
        Assert.False(filter.Matches(E("call.ringing", "c4", null, null)));
        Assert.True(EventFilter.All.Matches(E("call.ringing", "c4", null, null)));
    }

    [Theory]
    [InlineData("""{"events":"call.ringing"}""")]
    [InlineData("""{"events":["call.ringing",3]}""")]
    [InlineData("""{"after":41}""")]
    [InlineData("""{"after":"-1"}""")]
    [InlineData("""{"after":"99999999999999999999"}""")]
    [InlineData("""{"party":""}""")]
    public void Bad_parameters_are_32602(string parameters)
    {
        var invalid = Assert.IsType<RpcInvalid>(Parse(parameters));
        Assert.Equal(-32602, invalid.Error.Code);
    }

    [Fact]
    public void The_cursor_is_the_offset_in_decimal() =>
        Assert.Equal("1043", CallEventJson.Cursor(1043));

    [Fact]
    public void Every_event_name_is_accepted_by_the_parser()
    {
        var names = JsonSerializer.Serialize(CallEventNames.All);
        var subscribe = Assert.IsType<RpcEventsSubscribe>(Parse($$"""{"events":{{names}}}"""));
        Assert.Equal(CallEventNames.All.Order(), subscribe.Filter.Names!.Order());
    }
}
