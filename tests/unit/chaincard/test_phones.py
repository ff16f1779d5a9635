"""chaincard.phones and the log filter of chaincard.logs: phone numbers normalised, masked, and
keyed by an HMAC."""

from chaincard.logs import mask_phone_numbers
from chaincard.phones import mask_phone, normalise_phone, phone_hmac


def test_phones():
    assert normalise_phone("+86 138-1234-5678") == "13812345678"
    assert normalise_phone("12345") is None
    assert mask_phone("13812345678") == "138****5678"
    assert phone_hmac("13812345678", "k") != phone_hmac("13812345678", "other")
    assert mask_phone_numbers("call 13812345678 now") == "call 138****5678 now"
