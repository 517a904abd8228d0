namespace CallCluster.Contracts.Security;

/// <summary>Journal event of the token registry: a token was issued (or replaced under the same id).</summary>
public sealed record TokenIssued(ApiToken Token) : ICallClusterMessage;

/// <summary>Journal event of the token registry: the token with this id is no longer accepted.</summary>
public sealed record TokenRevoked(string Id) : ICallClusterMessage;

/// <summary>Ask the registry to store <paramref name="Token"/> (its secret stays with whoever made it). Answered with
/// <see cref="TokenRegistryAck"/> once persisted.</summary>
public sealed record IssueToken(ApiToken Token) : ICallClusterMessage;

/// <summary>Ask the registry to revoke a token. Answered with <see cref="TokenRegistryAck"/> once persisted.</summary>
public sealed record RevokeToken(string Id) : ICallClusterMessage;

/// <summary>Ask the registry for every issued token; answered with <see cref="TokenSet"/>.</summary>
public sealed record GetTokens : ICallClusterMessage
{
    public static readonly GetTokens Instance = new();
}

/// <summary>Every issued token, the whole set each time (a few hundred records at most; no merge logic on the gateways).
/// Published to every gateway on each change; <paramref name="Version"/> grows with each change so a gateway ignores a
/// set older than the one it has.</summary>
public sealed record TokenSet(IReadOnlyList<ApiToken> Tokens, long Version) : ICallClusterMessage;

public sealed record TokenRegistryAck(bool Ok, string Message) : ICallClusterMessage;
