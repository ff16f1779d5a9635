"""What an erased member looks like (M7): the home region writes it, HQ recognises it."""
from __future__ import annotations

from chaincard.v1 import common_pb2

#: The name and masked phone an erased member keeps; every other personal field is emptied.
ERASED = "[erased]"
#: ``notices.last_error`` of a notice whose member was erased while it was being sent.
MEMBER_ERASED = "member erased"


def is_erased(member: common_pb2.Member) -> bool:
    """Whether this profile is an erased one (nothing may be sent to it)."""
    return member.name == ERASED and member.phone_masked == ERASED
