"""Events chain-wide: envelope, topics, outbox relay and the idempotent consumer loop."""
