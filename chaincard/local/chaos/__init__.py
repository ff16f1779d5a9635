"""Seeded chaos runs of a whole local chain (issue 20, docs/reliability.md, docs/adr/0049): a
workload of concurrent tills through the store agents, a nemesis that injects faults on a schedule
drawn from a seed, then healing, quiescence and the invariants."""
