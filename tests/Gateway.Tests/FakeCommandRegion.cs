using Akka.Actor;
using CallCluster.Contracts.Commands;

namespace CallCluster.Gateway.Tests;

/// <summary>Stands in for the command shard region. Its behaviour is chosen by the command's callid:
/// silent (never answers), reject, notify-first (an Event before the Accepted), scramble (out of order and
/// duplicated notifications), keep (one Event, never ends), big (thousands of large Events),
/// anything else: Accepted, CALL_END, Ended ok. Every StartCommand and UnsubscribeCommand goes to the probe.</summary>
public sealed class FakeCommandRegion : ReceiveActor
{
    private sealed class Cmd(StartCommand start)
    {
        public StartCommand Start { get; } = start;
        public List<CommandNotification> Sent { get; } = [];
        public HashSet<IActorRef> Subscribers { get; } = [];
        public bool Ended => Sent.Any(n => n.Kind == NotificationKind.Ended);
    }

    private readonly Dictionary<string, Cmd> _cmds = new();

    public FakeCommandRegion(IActorRef probe)
    {
        Receive<StartCommand>(s =>
        {
            probe.Tell(s);
            if (_cmds.TryGetValue(s.CmdId, out var existing))
            {
                if (existing.Start.Method != s.Method || !existing.Start.Params.OrderBy(p => p.Key).SequenceEqual(s.Params.OrderBy(p => p.Key)))
                {
                    s.Subscriber.Tell(new CommandRejected(s.CmdId, ErrorCodes.InvalidParams, "Invalid params", "cmd_id: used with other params"));
                    return;
                }

                existing.Subscribers.Add(s.Subscriber);
                s.Subscriber.Tell(new CommandAccepted(s.CmdId, true));
                existing.Sent.ForEach(n => s.Subscriber.Tell(n));
                return;
            }

            var callid = s.Params.GetValueOrDefault("callid", "");
            if (callid == "silent")
            {
                return;
            }

            if (callid == "reject")
            {
                s.Subscriber.Tell(new CommandRejected(s.CmdId, ErrorCodes.CallUnknown, "call unknown", "no dialog reject"));
                return;
            }

            var cmd = new Cmd(s);
            cmd.Subscribers.Add(s.Subscriber);
            _cmds[s.CmdId] = cmd;
            var sub = s.Subscriber;
            switch (callid)
            {
                case "notify-first":
                    Emit(cmd, CommandNotification.Event(s.CmdId, 1, EventCodes.CallEnd, callid));
                    sub.Tell(new CommandAccepted(s.CmdId, false));
                    Emit(cmd, CommandNotification.EndedOk(s.CmdId, 2));
                    break;
                case "scramble":
                {
                    sub.Tell(new CommandAccepted(s.CmdId, false));
                    var n1 = CommandNotification.Event(s.CmdId, 1, EventCodes.CallEnd, callid, "caller");
                    var n2 = CommandNotification.Event(s.CmdId, 2, EventCodes.CallEnd, callid, "callee");
                    var n3 = CommandNotification.EndedFailed(s.CmdId, 3, ErrorCodes.CallBusy, "busy");
                    cmd.Sent.AddRange([n1, n2, n3]);
                    foreach (var n in new[] { n2, n1, n1, n3, n2 }) sub.Tell(n);
                    break;
                }
                case "keep":
                    sub.Tell(new CommandAccepted(s.CmdId, false));
                    Emit(cmd, CommandNotification.Event(s.CmdId, 1, EventCodes.TransferProgress, callid, sipStatus: "180 Ringing"));
                    break;
                case "big":
                    sub.Tell(new CommandAccepted(s.CmdId, false));
                    var destination = "sip:" + new string('x', 8000) + "@example.com";
                    // ~48 MB: more than loopback socket buffers can absorb, so the server's sends must block.
                    for (var seq = 1; seq <= 6000; seq++)
                    {
                        sub.Tell(CommandNotification.Event(s.CmdId, seq, EventCodes.TransferProgress, callid, destination: destination));
                    }

                    break;
                default:
                    sub.Tell(new CommandAccepted(s.CmdId, false));
                    Emit(cmd, CommandNotification.Event(s.CmdId, 1, EventCodes.CallEnd, callid));
                    Emit(cmd, CommandNotification.EndedOk(s.CmdId, 2));
                    break;
            }
        });
        Receive<SubscribeCommand>(s =>
        {
            if (!_cmds.TryGetValue(s.CmdId, out var cmd))
            {
                s.Subscriber.Tell(new CommandRejected(s.CmdId, ErrorCodes.InvalidParams, "Invalid params", "cmd_id: unknown command"));
                return;
            }

            cmd.Subscribers.Add(s.Subscriber);
            s.Subscriber.Tell(new CommandSubscribed(s.CmdId, cmd.Start.Method, cmd.Ended ? "ok" : "running", cmd.Sent.Count));
            foreach (var n in cmd.Sent.Where(n => n.Seq > s.AfterSeq)) s.Subscriber.Tell(n);
        });
        Receive<GetCommand>(g =>
        {
            if (!_cmds.TryGetValue(g.CmdId, out var cmd))
            {
                Sender.Tell(new CommandRejected(g.CmdId, ErrorCodes.InvalidParams, "Invalid params", "cmd_id: unknown command"));
                return;
            }

            Sender.Tell(new CommandSnapshot(g.CmdId, cmd.Start.Method, cmd.Start.Params, cmd.Ended ? "ok" : "running", cmd.Sent.ToList()));
        });
        Receive<UnsubscribeCommand>(u =>
        {
            probe.Tell(u);
            if (_cmds.TryGetValue(u.CmdId, out var cmd)) cmd.Subscribers.Remove(u.Subscriber);
        });
    }

    private static void Emit(Cmd cmd, CommandNotification n)
    {
        cmd.Sent.Add(n);
        foreach (var s in cmd.Subscribers) s.Tell(n);
    }
}
