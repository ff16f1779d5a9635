"""HQ commands and queries, one module per area."""
