"""A deterministic simulation of the store agent <-> region protocol (docs/adr/0048).

The production store agent (journal, region link, offline stand-in, advice forwarder, card cache,
its SQLite) and the production region servicers and handlers (over real PostgreSQL) run in this
process. Only the network and the clock are replaced, through their seams: a ``grpc.Channel`` that
hands each call to a seeded scheduler (``network``), and ``chaincard.clock`` set to virtual time.
One ``random.Random(seed)`` decides every drop, delay, duplicate, reorder, crash and restart, so a
failing seed replays: ``python -m simulation --seed N``.

A package of its own beside the services (like ``bench``): it imports store_agent and
region_service both, which no service and nothing in ``chaincard`` may.
"""
