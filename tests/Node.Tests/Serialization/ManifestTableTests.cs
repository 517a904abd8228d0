using System.Reflection;
using Akka.Configuration;
using CallCluster.Contracts;
using CallCluster.Contracts.Journal;
using CallCluster.Contracts.Serialization;
using CallCluster.Hosting;

namespace CallCluster.Node.Tests.Serialization;

/// <summary>The manifest table is complete and consistent, and every type in it round-trips through the serializer as
/// Akka finds it (base.conf bindings), actor references included.</summary>
public sealed class ManifestTableTests : Akka.TestKit.Xunit2.TestKit
{
    private static readonly Config SystemConfig =
        ConfigLoader.ParseFile(Path.Combine(ConfigLoader.HoconDirectory, "base.conf"))
            .WithFallback(ConfigurationFactory.ParseString("akka.actor.provider = local"));

    public ManifestTableTests() : base(SystemConfig)
    {
    }

    public static TheoryData<string> TableManifests() => new(ManifestTable.Manifests.Values.Order(StringComparer.Ordinal));

    [Fact]
    public void Every_concrete_message_type_of_every_CallCluster_assembly_is_in_the_table()
    {
        var assemblies = Directory.GetFiles(AppContext.BaseDirectory, "CallCluster.*.dll")
            .Select(AssemblyName.GetAssemblyName)
            .Where(name => !name.Name!.EndsWith(".Tests", StringComparison.Ordinal))
            .Select(Assembly.Load)
            .ToList();
        Assert.Contains(assemblies, a => a.GetName().Name == "CallCluster.Node");
        Assert.Contains(assemblies, a => a.GetName().Name == "CallCluster.Gateway");

        var missing = assemblies
            .SelectMany(a => a.GetTypes())
            .Where(t => typeof(ICallClusterMessage).IsAssignableFrom(t) && t is { IsAbstract: false, IsInterface: false })
            .Where(t => !ManifestTable.Manifests.ContainsKey(t))
            .Select(t => $"{t.FullName} ({t.Assembly.GetName().Name})")
            .ToList();

        Assert.True(missing.Count == 0,
            "Not in CallCluster.Contracts.Serialization.ManifestTable (add one line each, see docs/serialization.md): "
            + string.Join(", ", missing));
    }

    [Fact]
    public void Manifests_are_short_and_distinct_and_every_legacy_name_maps_to_one()
    {
        Assert.All(ManifestTable.Manifests.Values, m => Assert.InRange(m.Length, 1, 8));
        Assert.Equal(ManifestTable.Manifests.Count, ManifestTable.Manifests.Values.Distinct(StringComparer.Ordinal).Count());
        Assert.All(ManifestTable.LegacyManifests, legacy => Assert.Contains(legacy.Value, ManifestTable.Manifests.Values));
        Assert.Empty(ManifestTable.LegacyManifests.Keys.Intersect(ManifestTable.Manifests.Values));
        // Every journal event type ever persisted before the table can still be read under its old name. Types added
        // after the table (e.g. CallStartPrepared, TransferRequested, HoldRequested) have none (docs/serialization.md).
        Type[] journalTypesBeforeTheTable =
        [
            typeof(CommandStarted), typeof(CommandStepRecorded), typeof(NotificationRecorded), typeof(DialogStateRecorded),
            typeof(DialogCommandAttached), typeof(DialogCommandDetached), typeof(DialogHoldRecorded),
        ];
        Assert.All(journalTypesBeforeTheTable, type => Assert.Contains(ManifestTable.Manifests[type], ManifestTable.LegacyManifests.Values));
        var journalTypesAfterTheTable = ManifestTable.Manifests.Keys
            .Where(t => typeof(ICommandJournalEvent).IsAssignableFrom(t) || typeof(IDialogJournalEvent).IsAssignableFrom(t))
            .Except(journalTypesBeforeTheTable);
        Assert.All(journalTypesAfterTheTable, type => Assert.DoesNotContain(ManifestTable.Manifests[type], ManifestTable.LegacyManifests.Values));
    }

    [Theory]
    [MemberData(nameof(TableManifests))]
    public void Every_table_type_round_trips_with_every_field_set(string manifest) => AssertRoundTrips(manifest, nulls: false);

    [Theory]
    [MemberData(nameof(TableManifests))]
    public void Every_table_type_round_trips_with_nullable_fields_null(string manifest) => AssertRoundTrips(manifest, nulls: true);

    [Fact]
    public void Legacy_full_type_names_read_as_the_type_they_name()
    {
        var serializer = (MessagePackAkkaSerializer)Sys.Serialization.FindSerializerForType(typeof(ICallClusterMessage));
        foreach (var (legacy, manifest) in ManifestTable.LegacyManifests)
        {
            var type = ManifestTable.TypeOf(manifest);
            var sample = new SampleBuilder(TestActor, nulls: false).Build(type);

            var back = serializer.FromBinary(serializer.ToBinary(sample), legacy);

            Assert.Null(SampleBuilder.Difference(sample, back));
        }
    }

    [Fact]
    public void Manifests_outside_the_table_and_types_outside_it_are_refused()
    {
        var serializer = (MessagePackAkkaSerializer)Sys.Serialization.FindSerializerForType(typeof(ICallClusterMessage));
        var bytes = serializer.ToBinary(new DialogCommandDetached("cmd-1"));

        Assert.Contains("System.String", Assert.Throws<SerializationException>(() => serializer.FromBinary(bytes, "System.String")).Message);
        Assert.Throws<SerializationException>(() => serializer.FromBinary(bytes, "CallCluster.Contracts.Journal.NoSuchEvent"));
        Assert.Throws<SerializationException>(() => serializer.FromBinary(bytes, "System.Uri, System.Private.Uri"));
        var unlisted = Assert.Throws<SerializationException>(() => serializer.Manifest(new Uri("http://x")));
        Assert.Contains("System.Uri", unlisted.Message);
        Assert.Contains("ManifestTable", unlisted.Message);
        Assert.Throws<SerializationException>(() => serializer.ToBinary(new Uri("http://x")));
    }

    private void AssertRoundTrips(string manifest, bool nulls)
    {
        var type = ManifestTable.TypeOf(manifest);
        var probe = CreateTestProbe();
        var message = new SampleBuilder(probe.Ref, nulls).Build(type);
        if (!nulls)
        {
            // The sample sets every field, so a field that does not survive shows as a difference.
            Assert.All(type.GetProperties(), p => Assert.NotNull(p.GetValue(message)));
        }

        var serializer = Sys.Serialization.FindSerializerFor(message);
        Assert.IsType<MessagePackAkkaSerializer>(serializer);
        Assert.Equal(manifest, Akka.Serialization.Serialization.ManifestFor(serializer, message));

        var bytes = serializer.ToBinary(message);
        var back = Sys.Serialization.Deserialize(bytes, serializer.Identifier, manifest);

        Assert.IsType(type, back);
        Assert.Null(SampleBuilder.Difference(message, back));
        Assert.Equal(bytes, serializer.ToBinary(back));
    }
}
