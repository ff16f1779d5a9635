"""Metrics (Prometheus) and traces (OpenTelemetry) of every ChainCard process (docs/adr/0051)."""
