using Akka.Configuration;

namespace CallCluster.Node.Dialogs;

/// <param name="EndedLinger">How long a deleted dialog stays to absorb late events.</param>
/// <param name="PartyLookupsInFlight">Party lookups (<c>dlg_list</c>) at the proxy at a time (<see cref="OpenSips.MiBackgroundLane"/>).</param>
/// <param name="PartyLookupsWaiting">Party lookups waiting beyond those; more are dropped (their call events go out without parties).</param>
public sealed record DialogSettings(TimeSpan EndedLinger, int PartyLookupsInFlight = 32, int PartyLookupsWaiting = 100_000)
{
    public static DialogSettings FromConfig(Config config) =>
        new(config.GetTimeSpan("callcluster.dialogs.ended-linger", TimeSpan.FromSeconds(30)),
            config.GetInt("callcluster.dialogs.party-lookups-in-flight", 32),
            config.GetInt("callcluster.dialogs.party-lookups-waiting", 100_000));
}
