using Akka.Configuration;

namespace CallCluster.Node.Tests.Entities;

/// <summary>A local ActorSystem with Akka's in-memory journal: entity logic is tested here; the SQL journal is
/// exercised by the end-to-end tests.</summary>
internal static class EntityTestConfig
{
    public static readonly Config Config = ConfigurationFactory.ParseString("""
        akka.actor.provider = local
        akka.loglevel = INFO
        akka.persistence.journal.plugin = "akka.persistence.journal.inmem"
        akka.persistence.snapshot-store.plugin = "akka.persistence.snapshot-store.inmem"
        """);
}
