using System.Runtime.CompilerServices;

namespace CallCluster.Tests.Shared;

/// <summary>Gives each test process's thread pool room for tests that block on it (linked into every test project by
/// tests/Directory.Build.props).
///
/// Why: xunit 2 runs test methods on pool threads, and Akka.TestKit's synchronous API (ExpectMsg, FishForMessage,
/// ReceiveWhile, the ActorSystem shutdown in Dispose) blocks the calling pool thread until an actor answers. The
/// answer itself needs a pool thread: Akka's default dispatcher and every persistence continuation run on the pool.
/// On a 2-core machine the pool starts with 2 workers; once they are all blocked, .NET adds about one thread per
/// second, so an answer could wait about 1 s on an idle machine and more than 3 s on a busy CI machine. Measured: a
/// command's first CommandAccepted from the in-memory journal came after 1,012 ms in some tests, with 4 pool threads,
/// 3 work items queued and none completing for 900 ms; 6-13 ms with this floor. A CI run failed
/// CommandEntityResumedTransferTests on exactly that 3 s timeout. The product itself never blocks a pool thread, so
/// it needs no such floor.</summary>
internal static class BlockingTestsThreadPool
{
    /// <summary>Workers the pool creates on demand, without the starvation delay: well above what the tests block at
    /// once (xunit runs one test class per core in parallel; 4 threads were blocked in the measurement above).</summary>
    private const int WorkerFloor = 64;

    [ModuleInitializer]
    internal static void RaiseTheFloor()
    {
        ThreadPool.GetMinThreads(out var workers, out var completionPorts);
        ThreadPool.SetMinThreads(Math.Max(workers, WorkerFloor), completionPorts);
    }
}
