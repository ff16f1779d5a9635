"""The checkout core (STYLE rule 15): what the region's online checkout, its intake of offline advices
and the store agent's offline stand-in share, written once. Pure: no SQLAlchemy, no grpc.

- ``terms``: HQ's configuration snapshot as the pricing engine's terms;
- ``request``: a CheckoutRequest checked and mapped to the pricing engine's input;
- ``receipt``: the receipt layout (sale lines, card footer, offline marks);
- ``response``: a priced sale as the CheckoutResponse.

Posting a sale is the region's (region_service.posting.record_transaction, for online sales and
advices alike); the store agent only queues what it approved.
"""
