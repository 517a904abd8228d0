// One test at a time: each starts a node and most a browser, and CI runs on two cores shared with other test projects;
// timing-sensitive waits should not compete with each other as well.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
