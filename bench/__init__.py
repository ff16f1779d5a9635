"""Benchmarks, each printing its figure beside a same-run baseline (docs/BENCHMARKS.md)."""
