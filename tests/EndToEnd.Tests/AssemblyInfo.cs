// End-to-end tests start real processes, sockets and ptys and move hundreds of MB: run them one at a
// time so they do not compete for the two cores and disturb each other's timeouts.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
