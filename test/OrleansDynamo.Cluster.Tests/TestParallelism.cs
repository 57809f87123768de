using Xunit;

// Every test here runs whole silos in this process (or beside it) on a 2-core machine. Two at once starved each
// other's in-process clusters into replica and request timeouts in clean .ci/run runs; one at a time, each test has
// the machine (the other test assemblies still run beside this one in their own processes).
[assembly: CollectionBehavior(DisableTestParallelization = true)]
