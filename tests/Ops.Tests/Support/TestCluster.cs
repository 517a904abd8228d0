extern alias callctl;
using System.Net;
using System.Text;
using Akka.Actor;
using Akka.Cluster.Sharding;
using Akka.Configuration;
using CallCluster.Hosting;
using CallCluster.Hosting.Admin;
using Microsoft.Extensions.DependencyInjection;
using CallCtl = callctl::CallCluster.Admin.CallCtl;

namespace CallCluster.Ops.Tests.Support;

/// <summary>A real one-node <c>callcluster</c> cluster (base.conf, cluster provider, any free port) with a test
/// shard region and the admin endpoint on a free loopback port.</summary>
public static class TestCluster
{
    public const string EntityType = "test-entity";

    public static Config Config() =>
        ConfigurationFactory.ParseString(
                """
                akka.loglevel = WARNING
                akka.stdout-loglevel = WARNING
                akka.remote.dot-netty.tcp { hostname = "127.0.0.1", public-hostname = "", port = 0 }
                akka.coordinated-shutdown.run-by-clr-shutdown-hook = off
                akka.cluster.split-brain-resolver.stable-after = 5s
                callcluster { roles = "call-node,gateway", seeds = "" }
                callcluster.admin { host = "127.0.0.1", port = 0, metrics-refresh = 1s }
                """)
            .WithFallback(ConfigLoader.ParseFile(Path.Combine(ConfigLoader.HoconDirectory, "base.conf")));

    public static async Task<(ActorSystem System, AdminServer Admin)> StartAsync(
        IReadOnlyList<IAdminPalette>? palettes = null, Action<IHealthChecksBuilder>? healthChecks = null, string overrides = "")
    {
        var system = ClusterBootstrap.CreateSystem(ConfigurationFactory.ParseString(overrides).WithFallback(Config()));
        try
        {
            await ClusterBootstrap.JoinAsync(system, TimeSpan.FromSeconds(30));
            await ClusterSharding.Get(system).StartAsync(EntityType, _ => Props.Create(() => new EchoEntity()),
                ClusterShardingSettings.Create(system).WithRole("call-node"),
                new EchoExtractor(ShardingSetup.NumberOfShards(system)));
            var admin = await AdminServer.StartAsync(system, AdminSettings.FromConfig(system.Settings.Config), palettes, healthChecks);
            return (system, admin);
        }
        catch
        {
            await system.Terminate();
            throw;
        }
    }

    /// <summary>Runs the real callctl entry point in-process against <paramref name="endpoint"/>.</summary>
    public static async Task<CtlResult> CtlAsync(IPEndPoint? endpoint, params string[] args) =>
        await CtlWithEnvAsync(endpoint, _ => null, CancellationToken.None, args);

    public static async Task<CtlResult> CtlWithEnvAsync(IPEndPoint? endpoint, Func<string, string?> env, CancellationToken ct,
        params string[] args)
    {
        var stdout = new LockedWriter();
        var stderr = new LockedWriter();
        var full = endpoint is null ? args : ["--endpoint", $"127.0.0.1:{endpoint.Port}", .. args];
        var exit = await CallCtl.RunAsync(full, stdout, stderr, env, ct);
        return new CtlResult(exit, stdout.Text, stderr.Text);
    }
}

public sealed record CtlResult(int Exit, string Stdout, string Stderr)
{
    public IReadOnlyList<string> Lines => Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    public override string ToString() => $"exit {Exit}\nstdout:\n{Stdout}\nstderr:\n{Stderr}";
}

/// <summary>A TextWriter another thread can read while callctl writes (cluster tail).</summary>
public sealed class LockedWriter : TextWriter
{
    private readonly StringBuilder _text = new();

    public override Encoding Encoding => Encoding.UTF8;

    public string Text
    {
        get
        {
            lock (_text)
            {
                return _text.ToString();
            }
        }
    }

    public override void Write(char value)
    {
        lock (_text)
        {
            _text.Append(value);
        }
    }

    public override void Write(string? value)
    {
        lock (_text)
        {
            _text.Append(value);
        }
    }

    public override Task WriteAsync(string? value)
    {
        Write(value);
        return Task.CompletedTask;
    }

    public override Task WriteLineAsync(string? value)
    {
        lock (_text)
        {
            _text.Append(value).Append('\n');
        }

        return Task.CompletedTask;
    }

    public override Task FlushAsync() => Task.CompletedTask;
}

/// <summary>Entity messages for the test region: the entity id travels with the message.</summary>
public sealed record Ping(string Id);

public sealed class EchoExtractor(int shards) : HashCodeMessageExtractor(shards)
{
    public override string? EntityId(object message) => message is Ping p ? p.Id : null;
}

public sealed class EchoEntity : ReceiveActor
{
    public EchoEntity() => Receive<Ping>(p => Sender.Tell(p.Id));
}
