using System.Diagnostics;
using Akka.Actor;
using Akka.Persistence;
using CallCluster.Contracts.Dialogs;

namespace CallCluster.NodeBench;

/// <summary>Memory per idle tracked dialog: N DialogEntity created through the dialog region with one
/// DialogStateChanged 3→4 each (distinct ids and tags per dialog, as the EVI parser would produce), all persisted,
/// then full GCs and (GC.GetTotalMemory(true) after − before) / N, plus the working-set delta.
/// Controls, for a breakdown: the same number of bare ReceiveActor children (one Receive handler) and of bare
/// UntypedActor children (what an actor costs by itself), 10,000 bare ReceivePersistentActor (what persistence adds) and
/// 10,000 DialogEntity created directly, not through sharding (what the shard's bookkeeping adds).</summary>
public static class MemoryBench
{
    public static async Task<Dictionary<string, object?>> RunAsync(Options o)
    {
        var budget = Stopwatch.StartNew();
        var maxTotal = o.MaxSeconds ?? TimeSpan.FromSeconds(300);
        var result = new Dictionary<string, object?> { ["dialogs_requested"] = o.Dialogs, ["batch"] = o.Batch, ["origin"] = o.Origin, ["loadavg_start"] = Program.LoadAvg() };
        await using var node = await NodeFixture.StartAsync(withEvi: false);
        Program.Log($"one-node cluster up; journal {node.DbFile}");
        var run = Guid.NewGuid().ToString("N")[..6];

        // Warm-up: shards allocated, journal connections open, code jitted; these dialogs stay in both measurements.
        var warm = 1000;
        for (var i = 0; i < warm; i++) node.Dialog.Tell(Event($"w{run}", i), ActorRefs.NoSender);
        await node.CountDialogsInStateAsync(Enumerable.Range(0, warm).Select(i => $"w{run}{i:x8}").ToList(), 4, DateTime.UtcNow + TimeSpan.FromSeconds(60));
        await Task.Delay(1000);

        var (heap0, ws0) = Measure();
        Program.Log($"baseline: managed heap {heap0 / 1048576.0:F1} MiB, working set {ws0 / 1048576.0:F1} MiB");

        var created = 0;
        var sw = Stopwatch.StartNew();
        while (created < o.Dialogs && budget.Elapsed < maxTotal)
        {
            var n = Math.Min(o.Batch, o.Dialogs - created);
            for (var i = created; i < created + n; i++)
            {
                var e = Event($"m{run}", i);
                node.Dialog.Tell(e, ActorRefs.NoSender);
                if (o.Origin) node.Dialog.Tell(Origin(e.CallId, i), ActorRefs.NoSender);
            }
            var batchIds = Enumerable.Range(created, n).Select(i => $"m{run}{i:x8}").ToList();
            var inState = await node.CountDialogsInStateAsync(batchIds, 4, DateTime.UtcNow + (maxTotal - budget.Elapsed));
            created += inState;
            Program.Log($"  {created} dialogs tracked ({created / sw.Elapsed.TotalSeconds:F0}/s)");
            if (inState < n) break;
        }
        var createSeconds = sw.Elapsed.TotalSeconds;

        // Every one of them alive and in state 4 (a sample of 1,000).
        var sample = Enumerable.Range(0, 1000).Select(k => (int)((long)k * created / 1000)).Distinct().ToArray();
        var views = await Task.WhenAll(sample.Select(i => node.Dialog.Ask<DialogView>(new GetDialog($"m{run}{i:x8}"), TimeSpan.FromSeconds(30))));
        var confirmed = views.Count(v => v.State == 4);
        await Task.Delay(2000); // ask temp actors gone
        var (heap1, ws1) = Measure();
        var perDialog = (heap1 - heap0) / (double)created;
        var wsPerDialog = (ws1 - ws0) / (double)created;
        Program.Log($"{created} dialogs in {createSeconds:F1} s; sample {confirmed}/{sample.Length} in state 4; managed heap +{(heap1 - heap0) / 1048576.0:F1} MiB " +
            $"= {perDialog:F0} B/dialog; working set +{(ws1 - ws0) / 1048576.0:F1} MiB = {wsPerDialog:F0} B/dialog");
        result["dialogs"] = created;
        result["create_per_s"] = Program.Round(created / createSeconds);
        result["sample_in_state_4"] = $"{confirmed}/{sample.Length}";
        result["managed_bytes_per_dialog"] = Program.Round(perDialog);
        result["working_set_bytes_per_dialog"] = Program.Round(wsPerDialog);
        result["managed_heap_mib"] = Program.Round(heap1 / 1048576.0);
        result["target_bytes_per_dialog"] = 2048;

        if (o.Controls && budget.Elapsed < maxTotal)
        {
            var dialogSettings = CallCluster.Node.Dialogs.DialogSettings.FromConfig(node.System.Settings.Config);
            var parent = node.System.ActorOf(Props.Create(() => new ControlParent(dialogSettings)), "memory-controls");
            foreach (var kind in new[] { "receive-actor", "untyped-actor", "persistent-actor", "dialog-entity-unsharded" })
            {
                var (h0, w0) = Measure();
                var made = 0;
                // Persistent controls recover from the journal (one query each): 10,000 of them are enough for a per-actor figure.
                var persistent = kind is "persistent-actor" or "dialog-entity-unsharded";
                var goal = persistent ? Math.Min(created, 10_000) : created;
                while (made < goal && budget.Elapsed < maxTotal)
                {
                    var n = Math.Min(persistent ? 1000 : 10_000, goal - made);
                    await parent.Ask<int>(new ControlParent.Create(kind, made, n, run), TimeSpan.FromSeconds(60));
                    made += n;
                }
                var (h1, w1) = Measure();
                var per = (h1 - h0) / (double)Math.Max(1, made);
                Program.Log($"control {kind}: {made} children, managed +{per:F0} B each, working set +{(w1 - w0) / (double)Math.Max(1, made):F0} B each");
                result["control_" + kind.Replace('-', '_') + "_bytes"] = Program.Round(per);
            }
        }
        return result;
    }

    private static DialogStateChanged Event(string prefix, int i)
    {
        // Distinct strings per dialog, as the EVI parser allocates them.
        var tagA = ((ulong)i * 0x9E3779B97F4A7C15UL).ToString("x16");
        var tagB = ((ulong)i * 0xC2B2AE3D27D4EB4FUL).ToString("x16");
        return new DialogStateChanged($"{prefix}{i:x8}", $"{i % 4096}.{0xf18e0000 + i:x8}", (499725756447L + i).ToString(), tagA, tagB, 3, 4);
    }

    /// <summary>What a CallStart tells the dialog it created: its cmd_id (server-generated form) and the two parties.</summary>
    private static RecordCallOrigin Origin(string callId, int i) =>
        new(callId, $"{Guid.NewGuid():N}", $"sip:caller{i}@example.com", $"sip:callee{i}@example.com");

    private static (long Heap, long WorkingSet) Measure()
    {
        for (var i = 0; i < 3; i++)
        {
            GC.Collect(2, GCCollectionMode.Forced, true, true);
            GC.WaitForPendingFinalizers();
        }
        var heap = GC.GetTotalMemory(true);
        using var p = Process.GetCurrentProcess();
        p.Refresh();
        return (heap, p.WorkingSet64);
    }

    private sealed class ControlParent : ReceiveActor
    {
        public sealed record Create(string Kind, int From, int Count, string Run);

        public ControlParent(CallCluster.Node.Dialogs.DialogSettings dialogSettings)
        {
            // As the dialog region does: one Props, each entity named after its Call-ID.
            var dialogProps = CallCluster.Node.Dialogs.DialogEntity.Props(ActorRefs.Nobody, dialogSettings);
            Receive<Create>(c =>
            {
                var props = c.Kind switch
                {
                    "receive-actor" => Props.Create<BareReceive>(),
                    "untyped-actor" => Props.Create<BareUntyped>(),
                    _ => Props.Empty,
                };
                var children = new List<IActorRef>(c.Count);
                for (var i = c.From; i < c.From + c.Count; i++)
                {
                    var name = $"{c.Kind}-{c.Run}{i:x8}";
                    if (c.Kind == "dialog-entity-unsharded")
                    {
                        // The product's DialogEntity as a plain child (no shard bookkeeping), same event as the sharded ones.
                        var evt = Event($"u{c.Run}", i);
                        var child = Context.ActorOf(dialogProps, evt.CallId);
                        child.Tell(evt);
                        children.Add(child);
                    }
                    else
                    {
                        children.Add(Context.ActorOf(c.Kind == "persistent-actor" ? Props.Create(() => new BarePersistent(name)) : props, name));
                    }
                }
                var replyTo = Sender;
                if (c.Kind == "dialog-entity-unsharded")
                {
                    // Answered after the 3->4 event, which is ahead of it in the same mailbox.
                    Task.WhenAll(children.Select((ch, k) => ch.Ask<DialogView>(new GetDialog($"u{c.Run}{c.From + k:x8}"), TimeSpan.FromSeconds(60))))
                        .ContinueWith(_ => c.Count).PipeTo(replyTo);
                    return;
                }
                if (c.Kind != "persistent-actor")
                {
                    replyTo.Tell(c.Count);
                    return;
                }
                // Answered once every child has recovered (commands are stashed during recovery).
                Task.WhenAll(children.Select(ch => ch.Ask<string>("ready", TimeSpan.FromSeconds(60))))
                    .ContinueWith(_ => c.Count).PipeTo(replyTo);
            });
        }
    }

    private sealed class BareReceive : ReceiveActor
    {
        public BareReceive() => Receive<string>(_ => { });
    }

    /// <summary>A persistent actor with one Recover and one Command handler, recovered from an empty journal.</summary>
    private sealed class BarePersistent : ReceivePersistentActor
    {
        public BarePersistent(string id)
        {
            PersistenceId = id;
            Recover<string>(_ => { });
            Command<string>(_ => Sender.Tell("ready"));
        }

        public override string PersistenceId { get; }
    }

    private sealed class BareUntyped : UntypedActor
    {
        protected override void OnReceive(object message) { }
    }
}
