"""hq_service: chain directory, program configuration, phone index and chain-wide read models."""
