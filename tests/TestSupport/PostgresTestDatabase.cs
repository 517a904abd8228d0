using Npgsql;

namespace CallCluster.TestSupport;

/// <summary>A fresh database on the test PostgreSQL server (<see cref="ServerVariable"/>; CI has one), so a test's
/// journal starts empty and no test sees another's rows. Dropped (WITH FORCE: the processes under test may still hold
/// connections) on dispose.</summary>
public sealed class PostgresTestDatabase : IAsyncDisposable
{
    /// <summary>The environment variable with the connection string of a role that may create databases.</summary>
    public const string ServerVariable = "CALLCLUSTER_TEST_PG";

    private readonly string _server;

    private PostgresTestDatabase(string server, string name)
    {
        _server = server;
        Name = name;
        ConnectionString = new NpgsqlConnectionStringBuilder(server) { Database = name }.ConnectionString;
    }

    /// <summary>The server's connection string from <see cref="ServerVariable"/>, or null when it is not set (tests then
    /// use SQLite or say why they skip).</summary>
    public static string? Server
    {
        get
        {
            var server = Environment.GetEnvironmentVariable(ServerVariable);
            return string.IsNullOrWhiteSpace(server) ? null : server;
        }
    }

    public string Name { get; }

    /// <summary>The server's connection string with this database.</summary>
    public string ConnectionString { get; }

    public static async Task<PostgresTestDatabase> CreateAsync(string server, string name)
    {
        await ExecuteAsync(server, $"CREATE DATABASE \"{name}\"");
        return new PostgresTestDatabase(server, name);
    }

    public ValueTask DisposeAsync() => new(ExecuteAsync(_server, $"DROP DATABASE IF EXISTS \"{Name}\" WITH (FORCE)"));

    private static async Task ExecuteAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
