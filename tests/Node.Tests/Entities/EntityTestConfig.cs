using Akka.Configuration;

namespace CallCluster.Node.Tests.Entities;

/// <summary>A local ActorSystem with Akka's in-memory journal: entity logic is tested here; the SQL journal is
/// exercised by the end-to-end tests.</summary>
internal static class EntityTestConfig
{
    /// <summary>The dialog entities' mailbox as hocon/node.conf configures it, so that tests run them on the product's
    /// mailbox (DialogEntity.Props names it). Declared first: static fields initialize in order.</summary>
    public static readonly Config DialogMailbox = ConfigurationFactory.ParseString(
        """callcluster.dialog-mailbox.mailbox-type = "CallCluster.Node.Mailboxes.SingleConsumerMailbox, CallCluster.Node" """);

    public static readonly Config Config = ConfigurationFactory.ParseString("""
        akka.actor.provider = local
        akka.loglevel = INFO
        akka.persistence.journal.plugin = "akka.persistence.journal.inmem"
        akka.persistence.snapshot-store.plugin = "akka.persistence.snapshot-store.inmem"
        """).WithFallback(DialogMailbox);
}
