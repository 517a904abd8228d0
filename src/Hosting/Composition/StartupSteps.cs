using Akka.Actor;
using Akka.Hosting;

namespace CallCluster.Hosting.Composition;

/// <summary>A feature's start-up work, run by Akka.Hosting in the order the features were added, each after the previous
/// one completed. A failure the operator can fix (a port in use: <see cref="ProcessMain.StartupMessage"/>) is kept and
/// skips the steps after it, for <see cref="CallClusterHost.StartAsync"/> to rethrow once the host has started: thrown
/// out of Akka.Hosting's start, it would be printed with its stack trace. Anything else (a bug) is thrown as it is.</summary>
public static class StartupSteps
{
    public static AkkaConfigurationBuilder AddStartupStep(this AkkaConfigurationBuilder akka, Func<ActorSystem, IActorRegistry, Task> step) =>
        akka.AddStartup(async (system, registry) =>
        {
            var failure = Failure.Of(system);
            if (failure.Exception is not null)
            {
                return;
            }

            try
            {
                await step(system, registry).ConfigureAwait(false);
            }
            catch (Exception e) when (ProcessMain.StartupMessage(e) is not null)
            {
                failure.Exception = e;
            }
        });

    /// <summary>The failure that stopped the start of <paramref name="system"/>; null when every step ran.</summary>
    public static Exception? FailureOf(ActorSystem system) => Failure.Of(system).Exception;

    /// <summary>Written by the steps, one at a time, and read once they are done (Akka.Hosting awaits each in turn).</summary>
    private sealed class Failure : ExtensionIdProvider<Failure.Holder>
    {
        private static readonly Failure Id = new();

        public static Holder Of(ActorSystem system) => Id.Apply(system);

        public override Holder CreateExtension(ExtendedActorSystem system) => new();

        public sealed class Holder : IExtension
        {
            public volatile Exception? Exception;
        }
    }
}
