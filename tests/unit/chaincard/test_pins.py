from chaincard.db.idempotency import fingerprint
from chaincard.pins import hash_pin, mask_pins, pin_matches
from chaincard.v1 import cards_pb2, transactions_pb2


def test_hash_is_salted_and_verifies():
    first, second = hash_pin("123456"), hash_pin("123456")
    assert first != second
    assert pin_matches("123456", first) and pin_matches("123456", second)
    assert not pin_matches("654321", first)
    assert not pin_matches("123456", "garbage")


def test_pins_are_masked_at_any_depth_and_nothing_else_changes():
    request = transactions_pb2.CheckoutRequest(
        request_id="r-1", card_number="881100000000010", pin="123456",
        tenders=[transactions_pb2.TenderRequest(card_number="881100000000028", pin="654321", amount_fen=100)],
    )
    masked = mask_pins(request)
    serialized = masked.SerializeToString()
    assert b"123456" not in serialized and b"654321" not in serialized
    assert masked.card_number == request.card_number and masked.tenders[0].amount_fen == 100
    assert request.pin == "123456"  # the original is untouched


def test_fingerprint_tells_pins_apart_without_holding_them():
    def change(pin: str) -> cards_pb2.ChangePinRequest:
        return cards_pb2.ChangePinRequest(request_id="r-2", card_number="881100000000010", old_pin="111111", new_pin=pin)

    assert fingerprint("ChangePin", change("222222")) == fingerprint("ChangePin", change("222222"))
    assert fingerprint("ChangePin", change("222222")) != fingerprint("ChangePin", change("333333"))
