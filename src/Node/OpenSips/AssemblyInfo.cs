using System.Runtime.CompilerServices;

// The OpenSIPS connector tests reach internals (reply parser, first request id) to test edge cases directly.
[assembly: InternalsVisibleTo("CallCluster.Node.Tests")]
