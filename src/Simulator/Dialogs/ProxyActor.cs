using System.Globalization;
using Akka.Actor;
using CallCluster.Simulator.Mi;

namespace CallCluster.Simulator.Dialogs;

/// <summary>
/// The simulated OpenSIPS proxy: routes calls between simulated phones, creates a dialog actor for every INVITE that passes
/// the script (create_dialog), keeps the dialog table for dlg_list, and runs the dialog/tm/callops MI commands.
/// </summary>
public sealed class ProxyActor : ReceiveActor, IWithTimers
{
    private sealed record DeferredReply(MiReplyTarget Reply, MiResult Outcome);
    private sealed record Purge;

    private readonly SimulatorOptions _options;
    private readonly IActorRef _bus;
    private readonly MiReplier _replier;
    private readonly string _proxyIp;
    private readonly string _proxyHostPort;
    private readonly string _bindAddr;
    private readonly PhoneBook _phones = new();
    private readonly DialogJsonCache _json;
    // Creation order = dlg_list order; the Call-ID index keeps the "first dialog in the bucket" semantics.
    private readonly Dictionary<long, DialogSnapshot> _dialogs = [];
    // A linked list, so that a purged dialog leaves from the middle in O(1); its node is found through _orderNodes.
    private readonly LinkedList<long> _order = new();
    private readonly Dictionary<long, LinkedListNode<long>> _orderNodes = [];
    // Ended dialogs in the order they ended: a purge takes the expired ones from the front and never walks the table.
    // Walking it on every dlg_list cost O(dialogs) per call (8-10 % of the embedded process in a profile with 20,000-
    // 60,000 dialogs), and after a burst of new calls (each dialog entity asks dlg_list for its parties) the MI queue
    // backed up until other requests timed out (bench/README.md, "reads by tag, the simulator's dlg_list").
    private readonly Queue<(long Key, long EndedTicks)> _endedInOrder = new();
    private readonly Dictionary<string, List<long>> _byCallId = new(StringComparer.Ordinal);
    // callops marks a dialog on any transfer attempt and never clears it: later attempts get 491.
    private readonly HashSet<long> _transferTried = [];
    private long _deferred;
    // t_uac_dlg replies scheduled but not yet sent (open transactions for sim_stats).
    private int _pendingReplies;
    // Actor names stay unique even if a purged dialog's id comes back while its actor is still stopping.
    private long _spawned;

    public ITimerScheduler Timers { get; set; } = null!;

    public ProxyActor(SimulatorOptions options, IActorRef bus, MiReplier replier)
    {
        _options = options;
        _bus = bus;
        _replier = replier;
        _proxyIp = options.BindAddress.ToString();
        _proxyHostPort = $"{_proxyIp}:{options.SipPort}";
        _bindAddr = $"udp:{_proxyHostPort}";
        _json = new DialogJsonCache(_bindAddr);

        Receive<DialogSnapshot>(OnSnapshot);
        Receive<ProxyCommand>(OnCommand);
        Receive<PlaceCall>(OnPlaceCall);
        Receive<DeferredReply>(d =>
        {
            _pendingReplies--;
            _replier.Reply(d.Reply, d.Outcome);
        });
        Receive<Purge>(_ => PurgeEnded());
    }

    public static Props Props(SimulatorOptions options, IActorRef bus, MiReplier replier) =>
        Akka.Actor.Props.Create(() => new ProxyActor(options, bus, replier));

    protected override void PreStart() =>
        Timers.StartPeriodicTimer("purge", new Purge(), TimeSpan.FromSeconds(5));

    private void OnSnapshot(DialogSnapshot s)
    {
        if (!_dialogs.TryGetValue(s.Id.DbId, out var previous)) return;
        _dialogs[s.Id.DbId] = s;
        _json.Invalidate(s.Id.DbId);
        if (s.State != 5) return;
        // Without retention an ended dialog goes at once: under load, ended actors waiting for the periodic purge would
        // survive into older GC generations and make every collection expensive.
        if (_options.EndedDialogRetention <= TimeSpan.Zero) Remove(s.Id.DbId, s);
        else if (previous.State != 5 || previous.EndedTicks != s.EndedTicks) _endedInOrder.Enqueue((s.Id.DbId, s.EndedTicks));
    }

    private void OnCommand(ProxyCommand c)
    {
        var result = c.Command switch
        {
            MiCommands.DlgList => DlgList(c.Args),
            MiCommands.DlgEnd => DlgEnd(c),
            MiCommands.UacDlg => UacDlg(c),
            MiCommands.CallTransfer => Transfer(c),
            MiCommands.CallHold => Hold(c, true),
            MiCommands.CallUnhold => Hold(c, false),
            MiCommands.SimCall => SimCall(c.Args),
            MiCommands.SimHangup => SimHangup(c),
            MiCommands.SimPersona => SimPersona(c.Args),
            MiCommands.SimPhones => MiResult.Ok(_phones.Writer()),
            MiCommands.SimStats => Stats(),
            _ => MiResult.MethodNotFound,
        };
        // null: the reply is sent later (async command or forwarded to a dialog actor).
        if (result is not null) _replier.Reply(c.Reply, result);
    }

    // ---------------- dialog module ----------------

    private MiResult DlgList(MiArgs args)
    {
        PurgeEnded();
        if (args.Has("callid"))
        {
            var callId = args.Str("callid") ?? "";
            var fromTag = args.Str("from_tag");
            var first = FindFirst(callId, fromTag);
            if (first is null || first.State == 5) return MiResult.Error(404, "No such dialog");
            var one = _json.Get(first);
            return MiResult.Ok(w =>
            {
                w.WriteStartObject();
                w.WritePropertyName("Dialog");
                w.WriteRawValue(one, skipInputValidation: true);
                w.WriteEndObject();
            });
        }
        // Rendered now (cached per snapshot): the reply writer runs later, on bytes that cannot change any more.
        if (args.Has("index"))
        {
            if (!args.TryGet("index", out var iv) || !iv.TryGetInt(out var index)) return MiResult.InvalidParams("Bad type for parameter 'index'");
            if (!args.TryGet("counter", out var cv) || !cv.TryGetInt(out var counter)) return MiResult.InvalidParams("Bad type for parameter 'counter'");
            if (index < 0 || counter < 0) return MiResult.InvalidParams("Negative index or counter");
            var count = _order.Count;
            var page = _order.Skip(index).Take(counter).Select(k => _json.Get(_dialogs[k])).ToArray();
            return MiResult.Ok(w =>
            {
                w.WriteStartObject();
                w.WriteNumber("count", count);
                WriteDialogs(w, page);
                w.WriteEndObject();
            });
        }
        var all = _order.Select(k => _json.Get(_dialogs[k])).ToArray();
        return MiResult.Ok(w =>
        {
            w.WriteStartObject();
            WriteDialogs(w, all);
            w.WriteEndObject();
        });
    }

    private static void WriteDialogs(System.Text.Json.Utf8JsonWriter w, byte[][] list)
    {
        w.WriteStartArray("Dialogs");
        foreach (var d in list) w.WriteRawValue(d, skipInputValidation: true);
        w.WriteEndArray();
    }

    private MiResult? DlgEnd(ProxyCommand c)
    {
        var text = c.Args.Str("dialog_id") ?? "";
        // The dialog ID is tried first, the Call-ID second; ended dialogs are skipped.
        DialogSnapshot? d = null;
        if (DialogId.TryParse(text, out var id) && _dialogs.TryGetValue(id.DbId, out var byId) && byId.State != 5) d = byId;
        d ??= FindActive(text);
        if (d is null) return MiResult.Error(404, "Requested Dialog not found");
        d.Actor.Tell(new EndDialog(c.Reply));
        return null;
    }

    // ---------------- callops ----------------

    private static bool IsLeg(string? leg) => leg is "caller" or "callee";

    private MiResult? Transfer(ProxyCommand c)
    {
        var a = c.Args;
        var leg = a.Str("leg");
        // Recipe D reads "destination" instead of "transfer_destination": always fails in 4.0.1. A bad leg fails the same way (capture d6).
        if (!IsLeg(leg) || a.Has("transfer_fromtag")) return MiResult.ServerError("Failed to handle parameter");
        var attended = a.Has("transfer_callid");
        var bLeg = a.Str("transfer_leg");
        if (attended && !IsLeg(bLeg)) return MiResult.ServerError("Failed to handle parameter");
        var dialogA = FindActive(a.Str("callid") ?? "");
        if (dialogA is null) return MiResult.Error(404, "Dialog not found");
        DialogSnapshot? dialogB = null;
        if (attended)
        {
            dialogB = FindActive(a.Str("transfer_callid") ?? "");
            if (dialogB is null) return MiResult.Error(404, "Transfer dialog not found");
        }
        if (_transferTried.Contains(dialogA.Id.DbId)) return MiResult.Error(491, "Request Pending");

        var destination = a.Str("destination") ?? (bLeg == "caller" ? dialogB!.FromUri : dialogB!.ToUri);
        var destUri = SipUri.Parse(destination);
        if (destUri is null) return MiResult.ServerError("Command handler returned null");
        _transferTried.Add(dialogA.Id.DbId);
        _replier.Reply(c.Reply, MiResult.Accepted);

        // The REFER goes to the transferee; a phone that rejects it makes callops raise nothing at all.
        var transfereeContact = leg == "caller" ? dialogA.CallerContact : dialogA.CalleeContact;
        var transferee = SipUri.Parse(transfereeContact) ?? SipUri.Parse(leg == "caller" ? dialogA.FromUri : dialogA.ToUri)!;
        if (_phones.PersonaOf(transferee) == Persona.NoRefer) return null;

        // The transferee dials with its identity in A; a blind Refer-To carries ;osid=<A's dialog ID>.
        var callId = SipIds.PhoneToken();
        var toUri = attended ? destUri.Aor : destination + ";osid=" + dialogA.Id;
        var spec = new DialogSpec(
            NewId(callId), callId,
            leg == "caller" ? dialogA.FromUri : SipUri.Parse(dialogA.ToUri)?.Aor ?? dialogA.ToUri,
            toUri, SipIds.PhoneToken(), transfereeContact,
            SipIds.PhoneSdp(transferee.Host, transfereeContact.Length), _phones.ContactOf(destUri), _phones.PersonaOf(destUri), true,
            new TransferOrigin(dialogA.CallId, leg!, attended ? destUri.Aor : destination, !attended, dialogB?.CallId, bLeg, dialogB?.Actor, dialogA.Actor));
        StartDialog(spec);
        return null;
    }

    private MiResult? Hold(ProxyCommand c, bool hold)
    {
        var leg = c.Args.Str("leg");
        if (c.Args.Has("leg") && leg is not ("caller" or "callee" or "both")) return MiResult.Error(420, "Bad leg");
        var d = FindActive(c.Args.Str("callid") ?? "");
        if (d is null) return MiResult.Error(404, "Dialog not found");
        d.Actor.Tell(new HoldCommand(hold, leg ?? "both", c.Reply));
        return null;
    }

    // ---------------- tm ----------------

    private MiResult? UacDlg(ProxyCommand c)
    {
        var error = UacRequest.Parse(c.Args, _proxyIp, _options.SipPort, out var req);
        if (error is not null) return error;
        var r = req!;
        var method = r.Method.ToUpperInvariant();
        var persona = _phones.PersonaOf(r.Ruri);

        if (method == "INVITE" && r.ToTag is null && r.ViaProxy)
        {
            // Looped through the proxy: the script runs create_dialog() and record_route().
            var callId = r.CallId ?? SipIds.UacCallId(_proxyIp);
            var fromTag = r.FromTag ?? SipIds.UacTag();
            var spec = new DialogSpec(NewId(callId), callId, UacRequest.UriText(r.FromValue), UacRequest.UriText(r.ToValue), fromTag,
                r.Contact ?? "", r.Body ?? "", _phones.ContactOf(r.Ruri), persona,
                persona is Persona.NoAnswer or Persona.Slow,
                new UacOrigin(c.Reply, r.CSeq, r.FromValue, r.ToValue));
            StartDialog(spec);
            return null;
        }

        if (method == "BYE" && r.ToTag is not null && r.ViaProxy && r.CallId is not null && FindActive(r.CallId) is { } d)
        {
            var msg = SipMessages.Reply(_proxyHostPort, null, r.ToValue, r.ToTag, r.FromValue, r.FromTag ?? "", r.CallId, r.CSeq, SipMessages.PhoneServer, null, null);
            d.Actor.Tell(new UacBye(c.Reply, msg));
            return null;
        }

        // Anything else goes straight to the phone (a BYE that bypasses the proxy leaves the dialog alone, capture b4).
        var cid = r.CallId ?? SipIds.UacCallId(_proxyIp);
        var ftag = r.FromTag ?? SipIds.UacTag();
        if (persona == Persona.Nobody)
        {
            var tag = SipIds.Hex(4) + "." + SipIds.Hex(32);
            return UacResults.Final("404 Not Found", SipMessages.Reply(_proxyHostPort, null, r.ToValue, tag, r.FromValue, ftag, cid, r.CSeq, SipMessages.OpenSipsServer, null, null));
        }
        var toTag = r.ToTag ?? SipIds.PhoneToken();
        MiResult result;
        var delay = _options.InDialogDelay;
        if (method == "INVITE" && r.ToTag is null)
        {
            delay = persona == Persona.Slow ? _options.SlowAnswerDelay : _options.AnswerDelay;
            result = persona switch
            {
                Persona.Busy => UacResults.Final("486 Busy Here", SipMessages.Reply(_proxyHostPort, null, r.ToValue, toTag, r.FromValue, ftag, cid, r.CSeq, SipMessages.PhoneServer, null, null)),
                Persona.Reject => UacResults.Final("603 Decline", SipMessages.Reply(_proxyHostPort, null, r.ToValue, toTag, r.FromValue, ftag, cid, r.CSeq, SipMessages.PhoneServer, null, null)),
                Persona.Dnd => UacResults.Final("480 Temporarily Unavailable", SipMessages.Reply(_proxyHostPort, null, r.ToValue, toTag, r.FromValue, ftag, cid, r.CSeq, SipMessages.PhoneServer, null, null)),
                Persona.NoAnswer => UacResults.Timeout,
                _ => UacDirectAnswer(r, toTag, ftag, cid),
            };
            if (persona == Persona.NoAnswer) delay = _options.TransactionTimeout;
        }
        else
        {
            result = UacResults.Final("200 OK", SipMessages.Reply(_proxyHostPort, null, r.ToValue, toTag, r.FromValue, ftag, cid, r.CSeq, SipMessages.PhoneServer, null, null));
        }
        _pendingReplies++;
        Timers.StartSingleTimer("uac-" + (++_deferred).ToString(CultureInfo.InvariantCulture), new DeferredReply(c.Reply, result), delay);
        return null;
    }

    private MiResult UacDirectAnswer(UacRequest r, string toTag, string fromTag, string callId)
    {
        var contact = _phones.ContactOf(r.Ruri);
        var sdp = SipIds.PhoneSdp(r.Ruri.Host, contact.Length);
        var msg = SipMessages.Reply(_proxyHostPort, null, r.ToValue, toTag, r.FromValue, fromTag, callId, r.CSeq, SipMessages.PhoneServer, contact, sdp);
        return MiResult.Ok(w =>
        {
            w.WriteStartObject();
            w.WriteString("Status", "200 Answering");
            w.WriteString("RURI", contact);
            w.WriteString("Next-hop", contact);
            w.WriteString("Message", msg);
            w.WriteEndObject();
        });
    }

    // ---------------- simulated phones ----------------

    private MiResult SimCall(MiArgs args)
    {
        var spec = PhoneCall(args.Str("from"), args.Str("to"), null);
        if (spec is null) return MiResult.Error(400, "Invalid URI");
        StartDialog(spec);
        return MiResult.Ok(spec.CallId);
    }

    private void OnPlaceCall(PlaceCall p)
    {
        var spec = PhoneCall(p.FromUri, p.ToUri, Sender);
        if (spec is null)
        {
            Sender.Tell(new Status.Failure(new ArgumentException("Invalid SIP URI")));
            return;
        }
        StartDialog(spec);
    }

    private DialogSpec? PhoneCall(string? from, string? to, IActorRef? waiter)
    {
        var caller = SipUri.Parse(from);
        var callee = SipUri.Parse(to);
        if (caller is null || callee is null || caller.User.Length == 0 || callee.User.Length == 0) return null;
        var callId = SipIds.PhoneToken();
        var contact = _phones.ContactOf(caller);
        return new DialogSpec(NewId(callId), callId, caller.Aor, callee.Aor, SipIds.PhoneToken(), contact,
            SipIds.PhoneSdp(caller.Host, contact.Length), _phones.ContactOf(callee), _phones.PersonaOf(callee), true, new PhoneOrigin(waiter));
    }

    private MiResult? SimHangup(ProxyCommand c)
    {
        var d = FindActive(c.Args.Str("callid") ?? "");
        if (d is null) return MiResult.Error(404, "Dialog not found");
        d.Actor.Tell(new PhoneHangup(c.Reply));
        return null;
    }

    private MiResult SimPersona(MiArgs args)
    {
        var uri = SipUri.Parse(args.Str("uri"));
        if (uri is null || uri.User.Length == 0) return MiResult.Error(400, "Invalid URI");
        if (!Personas.TryParse(args.Str("persona") ?? "", out var persona)) return MiResult.Error(400, "Unknown persona");
        _phones.SetPersona(uri, persona);
        return MiResult.OkString;
    }

    private MiResult Stats()
    {
        PurgeEnded();
        int live = 0, ended = 0, tx = _pendingReplies;
        foreach (var d in _dialogs.Values)
        {
            if (d.State == 5) ended++; else live++;
            tx += d.Transactions;
        }
        var stats = new SimStats(live, ended, tx, _phones.Count, Context.GetChildren().Count(), _transferTried.Count);
        return MiResult.Ok(stats.Write);
    }

    // ---------------- table ----------------

    private void StartDialog(DialogSpec spec)
    {
        var actor = Context.ActorOf(DialogActor.Props(spec, _options, _bus, Self, _replier, _proxyHostPort), "dlg-" + spec.Id.DbId.ToString(CultureInfo.InvariantCulture) + "-" + (++_spawned).ToString(CultureInfo.InvariantCulture));
        var key = spec.Id.DbId;
        // Placeholder until the actor publishes its first snapshot (it does so in PreStart).
        _dialogs[key] = new DialogSnapshot(spec.Id, 1, spec.CallId, spec.FromUri, spec.ToUri, spec.FromTag, spec.CallerContact, null, "",
            "0", "0", spec.CallerSdp, null, 0, Environment.TickCount64, 0, 1, actor);
        _orderNodes[key] = _order.AddLast(key);
        if (!_byCallId.TryGetValue(spec.CallId, out var list)) _byCallId[spec.CallId] = list = [];
        list.Add(key);
    }

    /// <summary>h_entry from the Call-ID hash (4096 buckets, OpenSIPS's default), h_id random and unique.</summary>
    private DialogId NewId(string callId)
    {
        var entry = (uint)(StableHash(callId) & 0xFFF);
        for (var i = 0; i < 1000; i++)
        {
            var id = new DialogId(entry, (uint)Random.Shared.NextInt64(1, uint.MaxValue));
            if (!_dialogs.ContainsKey(id.DbId)) return id;
        }
        throw new InvalidOperationException("dialog id space exhausted");
    }

    private static int StableHash(string s)
    {
        var h = 5381;
        foreach (var ch in s) h = unchecked(h * 33 + ch);
        return h & int.MaxValue;
    }

    private DialogSnapshot? FindFirst(string callId, string? fromTag)
    {
        if (!_byCallId.TryGetValue(callId, out var keys)) return null;
        foreach (var k in keys)
        {
            var d = _dialogs[k];
            if (fromTag is null || d.CallerTag == fromTag) return d;
        }
        return null;
    }

    /// <summary>callops / dlg_end_dlg lookup: the first dialog with this Call-ID that has not ended.</summary>
    private DialogSnapshot? FindActive(string callId)
    {
        if (!_byCallId.TryGetValue(callId, out var keys)) return null;
        foreach (var k in keys)
            if (_dialogs[k].State != 5) return _dialogs[k];
        return null;
    }

    /// <summary>Drops the dialogs that ended longer than the retention ago: O(dialogs purged). An entry whose dialog
    /// has gone already, came back to life or ended again later is skipped (the later end has its own entry).</summary>
    private void PurgeEnded()
    {
        var cutoff = Environment.TickCount64 - (long)_options.EndedDialogRetention.TotalMilliseconds;
        while (_endedInOrder.TryPeek(out var ended) && ended.EndedTicks <= cutoff)
        {
            _endedInOrder.Dequeue();
            if (_dialogs.TryGetValue(ended.Key, out var d) && d.State == 5 && d.EndedTicks == ended.EndedTicks)
            {
                Remove(ended.Key, d);
            }
        }
    }

    /// <summary>Drops an ended dialog from every index and stops its actor.</summary>
    private void Remove(long key, DialogSnapshot d)
    {
        if (_orderNodes.Remove(key, out var node))
        {
            _order.Remove(node);
        }

        _dialogs.Remove(key);
        _json.Invalidate(key);
        _transferTried.Remove(key);
        if (_byCallId.TryGetValue(d.CallId, out var l))
        {
            l.Remove(key);
            if (l.Count == 0) _byCallId.Remove(d.CallId);
        }
        Context.Stop(d.Actor);
    }
}
