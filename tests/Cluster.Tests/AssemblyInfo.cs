// Each test class runs its own 4-process cluster: on a 2-core machine they must not run at the same time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
