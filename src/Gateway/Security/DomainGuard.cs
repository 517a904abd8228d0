using Akka.Actor;
using CallCluster.Contracts.Commands;
using CallCluster.Contracts.Dialogs;
using CallCluster.Gateway.Protocol;

namespace CallCluster.Gateway.Security;

/// <summary>SIP-domain limits of a token (docs/security.md): a request that names a URI outside the token's domains, or
/// a call whose parties are not all inside them, is answered as if the call did not exist (-32001), so a tenant cannot
/// even learn that another tenant's call exists. A call is inside when every party the cluster knows for it is in a
/// listed domain and at least one is known: a call nobody named through the API (OpenSIPS's dialog events carry no
/// URIs) is outside every limited token, failing closed. Checks that need the cluster (which parties a call has, which
/// call a command acted on) run as asks, off the actor thread; the connection actor pipes their verdict to itself.</summary>
public sealed class DomainGuard(IReadOnlyList<string> domains, IActorRef commandRegion, IActorRef? dialogRegion, TimeSpan askTimeout)
{
    private static readonly string[] UriParams = ["caller", "callee", "destination"];
    private static readonly string[] CallParams = ["callid", "callid_a", "callid_b"];

    public bool UriInside(string? uri)
    {
        var host = HostOf(uri);
        return host is not null && domains.Any(d => host.Equals(d, StringComparison.OrdinalIgnoreCase));
    }

    public bool CallInside(DialogView view)
    {
        var parties = new[] { view.Caller, view.Callee }.Where(p => p is not null).ToList();
        return parties.Count > 0 && parties.All(UriInside);
    }

    /// <summary>A call event a domain-limited token may hear: every party it names is inside; one that names none (a
    /// call not started through the API whose parties are unknown) is not delivered (fails closed, like
    /// <see cref="CallInside"/>).</summary>
    public bool EventInside(Contracts.Events.CallEventRecorded e)
    {
        var parties = new[] { e.From, e.To }.Where(p => p is not null).ToList();
        return parties.Count > 0 && parties.All(UriInside);
    }

    /// <summary>Every URI the parameters name is inside, and so is every call they name.</summary>
    public async Task<bool> ParamsInsideAsync(IReadOnlyDictionary<string, string> parameters)
    {
        foreach (var name in UriParams)
        {
            if (parameters.TryGetValue(name, out var uri) && !UriInside(uri)) return false;
        }

        foreach (var name in CallParams)
        {
            if (parameters.TryGetValue(name, out var callId) && !await CallIdInsideAsync(callId).ConfigureAwait(false)) return false;
        }

        return true;
    }

    /// <summary>A command is visible when what it was started with is inside (CommandGet, CommandSubscribe).</summary>
    public async Task<bool> CommandInsideAsync(string cmdId)
    {
        var answer = await commandRegion.Ask<object>(new GetCommand(cmdId), askTimeout).ConfigureAwait(false);
        return answer is CommandSnapshot snapshot && await ParamsInsideAsync(snapshot.Params).ConfigureAwait(false);
    }

    private async Task<bool> CallIdInsideAsync(string callId)
    {
        if (dialogRegion is null) return false;
        var view = await dialogRegion.Ask<DialogView>(new GetDialog(callId), askTimeout).ConfigureAwait(false);
        return CallInside(view);
    }

    /// <summary>The host of sip:user@host:port;params, lower-cased; null when there is none.</summary>
    public static string? HostOf(string? uri)
    {
        if (string.IsNullOrEmpty(uri)) return null;
        var rest = uri.StartsWith("sips:", StringComparison.OrdinalIgnoreCase) ? uri[5..]
            : uri.StartsWith("sip:", StringComparison.OrdinalIgnoreCase) ? uri[4..] : uri;
        var at = rest.LastIndexOf('@');
        if (at >= 0) rest = rest[(at + 1)..];
        var end = rest.IndexOfAny([';', '?']);
        if (end >= 0) rest = rest[..end];
        if (rest.StartsWith('['))
        {
            var close = rest.IndexOf(']');
            return close > 0 ? rest[1..close].ToLowerInvariant() : null;
        }

        var colon = rest.IndexOf(':');
        if (colon >= 0) rest = rest[..colon];
        return rest.Length == 0 ? null : rest.TrimEnd('.').ToLowerInvariant();
    }

    public static RpcError Unknown(RpcItem item) => new(ErrorCodes.CallUnknown, "Unknown call", item switch
    {
        RpcGet g => $"cmd_id: no command {g.CmdId} is known to this cluster",
        RpcSubscribe s => $"cmd_id: no command {s.CmdId} is known to this cluster",
        _ => "no such call is known to this cluster",
    });
}
