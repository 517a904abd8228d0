using Akka.Actor;
using Akka.Serialization;
using MessagePack;
using MessagePack.Formatters;
using MessagePack.Resolvers;

namespace CallCluster.Contracts.Serialization;

/// <summary>Serializes every <see cref="ICallClusterMessage"/> (remote messages and journal events) with
/// MessagePack; the manifest is the type's full name. Actor references travel as their serialization path.
/// Bound in hocon/base.conf.</summary>
public sealed class MessagePackAkkaSerializer : SerializerWithStringManifest
{
    public const int SerializerIdentifier = 8721;

    private readonly MessagePackSerializerOptions _options;
    private readonly Dictionary<string, Type> _typesByManifest;

    public MessagePackAkkaSerializer(ExtendedActorSystem system) : base(system)
    {
        var resolver = CompositeResolver.Create(
            [new ActorRefFormatter(system)],
            [StandardResolverAllowPrivate.Instance, ContractlessStandardResolverAllowPrivate.Instance]);
        _options = MessagePackSerializerOptions.Standard.WithResolver(resolver);
        _typesByManifest = typeof(ICallClusterMessage).Assembly.GetTypes()
            .Concat(AppDomain.CurrentDomain.GetAssemblies()
                .Where(a => a.GetName().Name?.StartsWith("CallCluster.", StringComparison.Ordinal) == true)
                .SelectMany(SafeTypes))
            .Where(t => typeof(ICallClusterMessage).IsAssignableFrom(t) && t is { IsAbstract: false, IsInterface: false })
            .DistinctBy(t => t.FullName)
            .ToDictionary(t => t.FullName!, t => t);
    }

    public override int Identifier => SerializerIdentifier;

    public override string Manifest(object o) => o.GetType().FullName!;

    public override byte[] ToBinary(object obj) => MessagePackSerializer.Serialize(obj.GetType(), obj, _options);

    public override object FromBinary(byte[] bytes, string manifest)
    {
        if (!_typesByManifest.TryGetValue(manifest, out var type))
        {
            type = Type.GetType(manifest) ?? AppDomain.CurrentDomain.GetAssemblies()
                       .Select(a => a.GetType(manifest)).FirstOrDefault(t => t is not null)
                   ?? throw new SerializationException($"Unknown CallCluster message manifest '{manifest}'");
        }

        return MessagePackSerializer.Deserialize(type, bytes, _options)!;
    }

    private static IEnumerable<Type> SafeTypes(System.Reflection.Assembly assembly)
    {
        try
        {
            return assembly.GetTypes();
        }
        catch (System.Reflection.ReflectionTypeLoadException e)
        {
            return e.Types.OfType<Type>();
        }
    }

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
