using CallCluster.Contracts.Commands;
using CallCluster.Contracts.Dialogs;
using CallCluster.Contracts.Events;
using CallCluster.Contracts.Journal;

namespace CallCluster.Contracts.Serialization;

/// <summary>The only types <see cref="MessagePackAkkaSerializer"/> writes or reads, each under a short manifest chosen
/// once. The manifest is stored with every journal event and sent with every remote message, so it must outlive the
/// class name: a type can be renamed or moved freely, its manifest never changes and is never reused.
/// Adding a type is one line in <see cref="Entries"/>; a test fails when a concrete <see cref="ICallClusterMessage"/>
/// is missing here. See docs/serialization.md.</summary>
public static class ManifestTable
{
    /// <summary>Manifest ↔ type. Append only: never change a manifest, never reuse one of a removed type.</summary>
    private static readonly (string Manifest, Type Type)[] Entries =
    [
        // Journal events (persisted: these manifests are in every stored journal).
        ("cs", typeof(CommandStarted)),
        ("csr", typeof(CommandStepRecorded)),
        ("nr", typeof(NotificationRecorded)),
        ("dsr", typeof(DialogStateRecorded)),
        ("dca", typeof(DialogCommandAttached)),
        ("dcd", typeof(DialogCommandDetached)),
        ("dhr", typeof(DialogHoldRecorded)),
        ("csp", typeof(CallStartPrepared)),
        ("trq", typeof(TransferRequested)),
        ("hrq", typeof(HoldRequested)),
        ("rwa", typeof(ResumerWatermarkAdvanced)),

        // Command region: requests, replies, notifications, notices from dialogs.
        ("stc", typeof(StartCommand)),
        ("sbc", typeof(SubscribeCommand)),
        ("usc", typeof(UnsubscribeCommand)),
        ("gc", typeof(GetCommand)),
        ("cac", typeof(CommandAccepted)),
        ("crj", typeof(CommandRejected)),
        ("csb", typeof(CommandSubscribed)),
        ("csn", typeof(CommandSnapshot)),
        ("cn", typeof(CommandNotification)),
        ("dat", typeof(DialogAttached)),
        ("dbz", typeof(DialogBusy)),
        ("den", typeof(DialogEventNotice)),
        ("pgc", typeof(PurgeCommand)),
        ("cpg", typeof(CommandPurged)),
        ("rsc", typeof(ResumeCommand)),
        ("cwk", typeof(CommandWoken)),

        // Dialog region: requests, the view, OpenSIPS EVI events.
        ("ac", typeof(AttachCommand)),
        ("dc", typeof(DetachCommand)),
        ("rhs", typeof(RecordHoldState)),
        ("rco", typeof(RecordCallOrigin)),
        ("gd", typeof(GetDialog)),
        ("dv", typeof(DialogView)),
        ("dsc", typeof(DialogStateChanged)),
        ("cte", typeof(CallTransferEvent)),
        ("che", typeof(CallHoldEvent)),
        ("deh", typeof(DialogEventHandedOver)),
        ("dwh", typeof(DialogWatchersHandedOver)),
        ("ltc", typeof(ListTrackedCallIds)),
        ("tcp", typeof(TrackedCallIdPage)),

        // Call events (docs/call-events.md): the persisted event, the webhook registry's and endpoints' journal
        // events, and the admin palette's requests to the registry singleton with its answers.
        ("cer", typeof(CallEventRecorded)),
        ("whr", typeof(WebhookRegistered)),
        ("whx", typeof(WebhookRemoved)),
        ("who", typeof(WebhookOffsetCommitted)),
        ("whd", typeof(WebhookDeadLettered)),
        ("wha", typeof(AddWebhook)),
        ("whm", typeof(RemoveWebhook)),
        ("whl", typeof(ListWebhooks)),
        ("wdl", typeof(ListWebhookDeadLetters)),
        ("whc", typeof(WebhookChanged)),
        ("whi", typeof(WebhookInfo)),
        ("whs", typeof(WebhookList)),
        ("wds", typeof(WebhookDeadLetterList)),
        // API token registry (docs/security.md): journal events, requests and the set published to gateways.
        ("atk", typeof(Security.ApiToken)),
        ("tki", typeof(Security.TokenIssued)),
        ("tkr", typeof(Security.TokenRevoked)),
        ("itk", typeof(Security.IssueToken)),
        ("rtk", typeof(Security.RevokeToken)),
        ("gtk", typeof(Security.GetTokens)),
        ("tks", typeof(Security.TokenSet)),
        ("tka", typeof(Security.TokenRegistryAck)),
    ];

    /// <summary>Manifests written before this table existed (up to commit 72bb1e8): the type's full name at the time.
    /// Journals hold them forever, and during a rolling update older nodes still send them. Written out as literals on
    /// purpose (never typeof(...).FullName): renaming a type must not change them. Each maps to a manifest above.</summary>
    private static readonly (string LegacyManifest, string Manifest)[] LegacyEntries =
    [
        ("CallCluster.Contracts.Journal.CommandStarted", "cs"),
        ("CallCluster.Contracts.Journal.CommandStepRecorded", "csr"),
        ("CallCluster.Contracts.Journal.NotificationRecorded", "nr"),
        ("CallCluster.Contracts.Journal.DialogStateRecorded", "dsr"),
        ("CallCluster.Contracts.Journal.DialogCommandAttached", "dca"),
        ("CallCluster.Contracts.Journal.DialogCommandDetached", "dcd"),
        ("CallCluster.Contracts.Journal.DialogHoldRecorded", "dhr"),
        ("CallCluster.Contracts.Commands.StartCommand", "stc"),
        ("CallCluster.Contracts.Commands.SubscribeCommand", "sbc"),
        ("CallCluster.Contracts.Commands.UnsubscribeCommand", "usc"),
        ("CallCluster.Contracts.Commands.GetCommand", "gc"),
        ("CallCluster.Contracts.Commands.CommandAccepted", "cac"),
        ("CallCluster.Contracts.Commands.CommandRejected", "crj"),
        ("CallCluster.Contracts.Commands.CommandSubscribed", "csb"),
        ("CallCluster.Contracts.Commands.CommandSnapshot", "csn"),
        ("CallCluster.Contracts.Commands.CommandNotification", "cn"),
        ("CallCluster.Contracts.Commands.DialogAttached", "dat"),
        ("CallCluster.Contracts.Commands.DialogBusy", "dbz"),
        ("CallCluster.Contracts.Commands.DialogEventNotice", "den"),
        ("CallCluster.Contracts.Dialogs.AttachCommand", "ac"),
        ("CallCluster.Contracts.Dialogs.DetachCommand", "dc"),
        ("CallCluster.Contracts.Dialogs.RecordHoldState", "rhs"),
        ("CallCluster.Contracts.Dialogs.GetDialog", "gd"),
        ("CallCluster.Contracts.Dialogs.DialogView", "dv"),
        ("CallCluster.Contracts.Dialogs.DialogStateChanged", "dsc"),
        ("CallCluster.Contracts.Dialogs.CallTransferEvent", "cte"),
        ("CallCluster.Contracts.Dialogs.CallHoldEvent", "che"),
    ];

    private static readonly Dictionary<Type, string> ManifestsByType = Entries.ToDictionary(e => e.Type, e => e.Manifest);

    private static readonly Dictionary<string, Type> TypesByManifest = BuildTypesByManifest();

    /// <summary>Every type in the table with its (current) manifest.</summary>
    public static IReadOnlyDictionary<Type, string> Manifests => ManifestsByType;

    /// <summary>Every legacy manifest with the current manifest it stands for.</summary>
    public static IReadOnlyDictionary<string, string> LegacyManifests { get; } =
        LegacyEntries.ToDictionary(e => e.LegacyManifest, e => e.Manifest, StringComparer.Ordinal);

    /// <summary>The manifest to write for <paramref name="type"/>; throws for a type not in the table.</summary>
    public static string ManifestOf(Type type) =>
        ManifestsByType.TryGetValue(type, out var manifest)
            ? manifest
            : throw new SerializationException(
                $"{type.FullName} has no manifest: add it to CallCluster.Contracts.Serialization.ManifestTable (docs/serialization.md)");

    /// <summary>The type a stored or received manifest (current or legacy) stands for; throws for anything else.</summary>
    public static Type TypeOf(string manifest) =>
        TypesByManifest.TryGetValue(manifest, out var type)
            ? type
            : throw new SerializationException($"Unknown CallCluster message manifest '{manifest}': not in ManifestTable");

    private static Dictionary<string, Type> BuildTypesByManifest()
    {
        // Add (not indexer): a duplicate manifest or type fails the type initializer, hence every serializer and test.
        var types = new Dictionary<string, Type>(StringComparer.Ordinal);
        var seen = new HashSet<Type>();
        foreach (var (manifest, type) in Entries)
        {
            if (!seen.Add(type) || !typeof(ICallClusterMessage).IsAssignableFrom(type) || type.IsAbstract || type.IsInterface)
            {
                throw new InvalidOperationException($"ManifestTable: {type.FullName} is listed twice or is not a concrete ICallClusterMessage");
            }

            types.Add(manifest, type);
        }

        foreach (var (legacy, manifest) in LegacyEntries)
        {
            types.Add(legacy, types.TryGetValue(manifest, out var type)
                ? type
                : throw new InvalidOperationException($"ManifestTable: legacy manifest {legacy} maps to unknown manifest '{manifest}'"));
        }

        return types;
    }
}
