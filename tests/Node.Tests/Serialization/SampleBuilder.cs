using System.Collections;
using System.Reflection;
using Akka.Actor;
using MessagePack;

namespace CallCluster.Node.Tests.Serialization;

/// <summary>Builds a representative instance of any message record by reflection: the widest constructor and the public
/// init-only properties it does not set, every one a distinct non-default value (so a field lost in transit shows), or,
/// with <c>nulls</c>, null for every nullable reference. Interfaces take their first MessagePack union member. And compares two instances structurally
/// (records compare collections by reference; actor references compare by path).</summary>
internal sealed class SampleBuilder(IActorRef actorRef, bool nulls)
{
    private static readonly NullabilityInfoContext Nullability = new();
    private int _counter;

    public object Build(Type type)
    {
        var constructor = type.GetConstructors().OrderByDescending(c => c.GetParameters().Length).First();
        var arguments = constructor.GetParameters()
            .Select(p => nulls && !p.ParameterType.IsValueType && Nullability.Create(p).WriteState == NullabilityState.Nullable
                ? null
                : Value(p.ParameterType, p.Name!))
            .ToArray();
        var instance = constructor.Invoke(arguments);
        // Optional fields declared as init-only properties (e.g. StartCommand.TraceParent) are fields too.
        var fromConstructor = constructor.GetParameters().Select(p => p.Name).ToHashSet(StringComparer.OrdinalIgnoreCase);
        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (property.SetMethod is { IsPublic: true } && !fromConstructor.Contains(property.Name))
            {
                property.SetValue(instance,
                    nulls && !property.PropertyType.IsValueType && Nullability.Create(property).WriteState == NullabilityState.Nullable
                        ? null
                        : Value(property.PropertyType, property.Name));
            }
        }

        return instance;
    }

    private object Value(Type type, string name)
    {
        var n = ++_counter;
        if (type == typeof(string))
        {
            return $"{name}-{n}";
        }

        if (type == typeof(int))
        {
            return 100 + n;
        }

        if (type == typeof(long))
        {
            return 10_000_000_000L + n;
        }

        if (type == typeof(bool))
        {
            return true;
        }

        if (type.IsEnum)
        {
            var values = Enum.GetValues(type);
            return values.GetValue(values.Length - 1)!;
        }

        if (type == typeof(DateTimeOffset))
        {
            return new DateTimeOffset(2026, 12, 3, 8, 0, 23, TimeSpan.FromHours(2)).AddTicks(9_416_306 + n);
        }

        if (type == typeof(TimeSpan))
        {
            return TimeSpan.FromMilliseconds(1500 + n);
        }

        if (typeof(IActorRef).IsAssignableFrom(type))
        {
            return actorRef;
        }

        if (type.IsGenericType && type.GetGenericTypeDefinition() is var definition
            && (definition == typeof(IReadOnlyDictionary<,>) || definition == typeof(IDictionary<,>) || definition == typeof(Dictionary<,>)))
        {
            var (keyType, valueType) = (type.GetGenericArguments()[0], type.GetGenericArguments()[1]);
            var dictionary = (IDictionary)Activator.CreateInstance(typeof(Dictionary<,>).MakeGenericType(keyType, valueType))!;
            dictionary.Add(Value(keyType, name + "-key"), Value(valueType, name + "-value"));
            dictionary.Add(Value(keyType, name + "-key"), Value(valueType, name + "-value"));
            return dictionary;
        }

        if (type.IsArray || (type.IsGenericType && type.GetGenericTypeDefinition() is var listDefinition
                && (listDefinition == typeof(IReadOnlyList<>) || listDefinition == typeof(IList<>) || listDefinition == typeof(List<>)
                    || listDefinition == typeof(IReadOnlyCollection<>) || listDefinition == typeof(IEnumerable<>))))
        {
            var elementType = type.IsArray ? type.GetElementType()! : type.GetGenericArguments()[0];
            var array = Array.CreateInstance(elementType, 2);
            array.SetValue(Value(elementType, name + "-item"), 0);
            array.SetValue(Value(elementType, name + "-item"), 1);
            return array;
        }

        if (type.IsInterface)
        {
            var member = type.GetCustomAttributes<UnionAttribute>().OrderBy(u => u.Key).FirstOrDefault()?.SubType
                         ?? throw new NotSupportedException($"No sample for interface {type} (not a MessagePack union)");
            return Build(member);
        }

        if (type.IsClass)
        {
            return Build(type);
        }

        throw new NotSupportedException($"No sample for {type} ({name}): teach SampleBuilder this type");
    }

    /// <summary>Null when equal, else the path of the first difference.</summary>
    public static string? Difference(object? expected, object? actual, string path = "$")
    {
        if (expected is null || actual is null)
        {
            return expected is null && actual is null ? null : $"{path}: {expected ?? "null"} vs {actual ?? "null"}";
        }

        if (expected is IActorRef expectedRef && actual is IActorRef actualRef)
        {
            return expectedRef.Path.Equals(actualRef.Path) ? null : $"{path}: {expectedRef.Path} vs {actualRef.Path}";
        }

        var type = expected.GetType();
        if (type.IsPrimitive || type.IsEnum || expected is string or decimal or TimeSpan or DateTime)
        {
            return expected.Equals(actual) ? null : $"{path}: {expected} vs {actual}";
        }

        if (expected is DateTimeOffset expectedTime && actual is DateTimeOffset actualTime)
        {
            return expectedTime.UtcTicks == actualTime.UtcTicks && expectedTime.Offset == actualTime.Offset
                ? null
                : $"{path}: {expectedTime:O} vs {actualTime:O}";
        }

        if (expected is IDictionary expectedMap && actual is IDictionary actualMap)
        {
            if (expectedMap.Count != actualMap.Count)
            {
                return $"{path}: {expectedMap.Count} entries vs {actualMap.Count}";
            }

            foreach (DictionaryEntry entry in expectedMap)
            {
                if (!actualMap.Contains(entry.Key))
                {
                    return $"{path}[{entry.Key}]: missing";
                }

                if (Difference(entry.Value, actualMap[entry.Key], $"{path}[{entry.Key}]") is { } inner)
                {
                    return inner;
                }
            }

            return null;
        }

        if (expected is IEnumerable expectedItems && actual is IEnumerable actualItems)
        {
            var (left, right) = (expectedItems.Cast<object?>().ToList(), actualItems.Cast<object?>().ToList());
            if (left.Count != right.Count)
            {
                return $"{path}: {left.Count} items vs {right.Count}";
            }

            return left.Select((item, i) => Difference(item, right[i], $"{path}[{i}]")).FirstOrDefault(d => d is not null);
        }

        if (type != actual.GetType())
        {
            return $"{path}: {type.Name} vs {actual.GetType().Name}";
        }

        return type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.GetIndexParameters().Length == 0 && p.Name != "EqualityContract")
            .Select(p => Difference(p.GetValue(expected), p.GetValue(actual), $"{path}.{p.Name}"))
            .FirstOrDefault(d => d is not null);
    }
}
