namespace CallCluster.Contracts.Journal;

/// <summary>The command resumer's only event: every command opened at or below journal offset
/// <paramref name="Offset"/> is known closed, so its scans start above it.</summary>
public sealed record ResumerWatermarkAdvanced(long Offset) : ICallClusterMessage;
