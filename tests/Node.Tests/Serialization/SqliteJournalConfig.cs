using Akka.Actor;
using Akka.Actor.Setup;
using Akka.Configuration;
using CallCluster.Hosting;
using CallCluster.Node.Persistence;

namespace CallCluster.Node.Tests.Serialization;

/// <summary>A local ActorSystem whose journal is the product's: base.conf (serializer bindings) and
/// persistence-sqlite.conf, completed by <see cref="PersistenceSetup"/> exactly as the node does, on a given file.</summary>
internal static class SqliteJournalConfig
{
    public static ActorSystemSetup Create(string sqliteFile)
    {
        var config = ConfigurationFactory.ParseString(
                "callcluster.persistence.sqlite-file = \"" + sqliteFile.Replace("\\", "\\\\") + "\"\n" +
                "akka.actor.provider = local\n" +
                "akka.loglevel = INFO\n")
            .WithFallback(ConfigLoader.ParseFile(Path.Combine(ConfigLoader.HoconDirectory, "persistence-sqlite.conf")))
            .WithFallback(ConfigLoader.ParseFile(Path.Combine(ConfigLoader.HoconDirectory, "base.conf")));
        config = PersistenceSetup.Configure(config);
        return ActorSystemSetup.Create([BootstrapSetup.Create().WithConfig(config), .. PersistenceSetup.Setups(config)]);
    }
}
