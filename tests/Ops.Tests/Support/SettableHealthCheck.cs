using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace CallCluster.Ops.Tests.Support;

/// <summary>A process's own readiness check whose answer the test sets, as a call node's connector check would
/// change it.</summary>
public sealed class SettableHealthCheck(HealthCheckResult initial) : IHealthCheck
{
    private readonly Lock _gate = new();
    private HealthCheckResult _result = initial;

    public HealthCheckResult Result
    {
        get
        {
            lock (_gate)
            {
                return _result;
            }
        }
        set
        {
            lock (_gate)
            {
                _result = value;
            }
        }
    }

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(Result);
}
