"""Placement: host NUMA topology, the tuning model (<cputune>, <numatune>,
<memoryBacking>), automatic placement and the affinity plan's inputs."""
