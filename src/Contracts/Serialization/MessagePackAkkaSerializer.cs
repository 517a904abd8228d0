using Akka.Actor;
using Akka.Serialization;
using MessagePack;
using MessagePack.Formatters;
using MessagePack.Resolvers;

namespace CallCluster.Contracts.Serialization;

/// <summary>Serializes every <see cref="ICallClusterMessage"/> (remote messages and journal events) with
/// MessagePack. The manifest is the type's short, stable name from <see cref="ManifestTable"/>; reading accepts only
/// the manifests listed there (current and legacy full names), so nothing outside the table is ever deserialized and
/// renaming a class does not break stored journals. Actor references travel as their serialization path.
/// Bound in hocon/base.conf.</summary>
public sealed class MessagePackAkkaSerializer : SerializerWithStringManifest
{
    public const int SerializerIdentifier = 8721;

    private readonly MessagePackSerializerOptions _options;

    public MessagePackAkkaSerializer(ExtendedActorSystem system) : base(system)
    {
        var resolver = CompositeResolver.Create(
            [new ActorRefFormatter(system)],
            [StandardResolverAllowPrivate.Instance, ContractlessStandardResolverAllowPrivate.Instance]);
        _options = MessagePackSerializerOptions.Standard.WithResolver(resolver);
    }

    public override int Identifier => SerializerIdentifier;

    public override string Manifest(object o) => ManifestTable.ManifestOf(o.GetType());

    public override byte[] ToBinary(object obj)
    {
        // Refuse what could not be read back: a type missing from the table fails here, not on the receiving side.
        _ = ManifestTable.ManifestOf(obj.GetType());
        return MessagePackSerializer.Serialize(obj.GetType(), obj, _options);
    }

    public override object FromBinary(byte[] bytes, string manifest) =>
        MessagePackSerializer.Deserialize(ManifestTable.TypeOf(manifest), bytes, _options)!;

    /// <summary>Actor references as their serialization path (with the system's address), resolved on read.</summary>
    private sealed class ActorRefFormatter(ExtendedActorSystem system) : IMessagePackFormatter<IActorRef>
    {
        public void Serialize(ref MessagePackWriter writer, IActorRef value, MessagePackSerializerOptions options)
        {
            if (value is null || value.IsNobody())
            {
                writer.WriteNil();
                return;
            }

            writer.Write(Akka.Serialization.Serialization.SerializedActorPath(value));
        }

        public IActorRef Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options)
        {
            if (reader.TryReadNil())
            {
                return ActorRefs.Nobody;
            }

            var path = reader.ReadString();
            return path is null ? ActorRefs.Nobody : system.Provider.ResolveActorRef(path);
        }
    }
}

public sealed class SerializationException(string message) : Exception(message);
