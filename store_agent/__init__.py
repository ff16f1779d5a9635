"""store_agent: the store server's gRPC front for POS terminals, with its own SQLite."""
