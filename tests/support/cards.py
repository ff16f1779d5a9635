"""The steps most tests take at a till, over gRPC: register a member and open a card, recharge it,
and check that a call is refused with a precise status.

``clients`` is anything with ``members`` and ``cards`` stubs: a region's RegionClients, or a store
agent's stubs (which fill in their own store, so pass ``store_id=""`` there); ``till`` is a
TransactionService stub."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any, Protocol

import grpc
import pytest

from chaincard.ids import new_id
from chaincard.v1 import (
    cards_pb2,
    cards_pb2_grpc,
    common_pb2,
    members_pb2,
    members_pb2_grpc,
    transactions_pb2,
)

DEADLINE = 10.0


class Clients(Protocol):
    members: members_pb2_grpc.MemberServiceStub
    cards: cards_pb2_grpc.CardServiceStub


def random_phone(prefix: str = "135") -> str:
    """A random mobile number, new to the chain (eleven digits, ``prefix`` first). From ``secrets``,
    not ``random``: hypothesis seeds ``random`` alike for every example, which would repeat numbers."""
    return f"{prefix}{secrets.randbelow(10**8):08d}"


def open_card(clients: Clients, store_id: str = "S-E-001", *, card_type: str = "SV", pin: str = "", birthday: str = "",
              name: str = "Test 测试", phone_number: str = "") -> str:
    """A new member with a new card of ``card_type`` at ``store_id``; returns the card number."""
    member = clients.members.RegisterMember(members_pb2.RegisterMemberRequest(
        request_id=new_id(), store_id=store_id, name=name, phone=phone_number or random_phone(), birthday=birthday), timeout=DEADLINE).member
    return clients.cards.OpenCard(cards_pb2.OpenCardRequest(
        request_id=new_id(), store_id=store_id, member_id=member.member_id, card_type_code=card_type, pin=pin),
        timeout=DEADLINE).card.card_number


def recharge_request(card: str, amount_fen: int, store_id: str = "S-E-001",
                     tender: common_pb2.TenderType.ValueType = common_pb2.TENDER_TYPE_CASH) -> transactions_pb2.RechargeCardRequest:
    return transactions_pb2.RechargeCardRequest(
        request_id=new_id(), store_id=store_id, card_number=card, amount_fen=amount_fen, tender=tender)


def recharge_card(till: Any, card: str, amount_fen: int, store_id: str = "S-E-001",
             tender: common_pb2.TenderType.ValueType = common_pb2.TENDER_TYPE_CASH) -> transactions_pb2.RechargeCardResponse:
    """Recharge ``card`` with ``amount_fen`` (cash unless told) through the TransactionService stub ``till``."""
    answer: transactions_pb2.RechargeCardResponse = till.RechargeCard(
        recharge_request(card, amount_fen, store_id, tender), timeout=DEADLINE)
    return answer


def funded_card(clients: Any, amount_fen: int, store_id: str = "S-E-001", *, card_type: str = "SV", name: str = "Test 测试") -> str:
    """A new card recharged with ``amount_fen`` (none when 0) at ``store_id``; ``clients`` has
    ``members``, ``cards`` and ``transactions`` stubs."""
    card = open_card(clients, store_id, card_type=card_type, name=name)
    if amount_fen:
        recharge_card(clients.transactions, card, amount_fen, store_id)
    return card


def refusal(call: Callable[..., Any], request: Any, *, timeout: float = DEADLINE) -> grpc.RpcError:
    """The error ``call(request)`` fails with (the test fails if it succeeds)."""
    with pytest.raises(grpc.RpcError) as refused:
        call(request, timeout=timeout)
    return refused.value


def assert_refused(call: Callable[..., Any], request: Any, status: grpc.StatusCode, match: str | None = None, *,
                   timeout: float = DEADLINE) -> str:
    """``call(request)`` is refused with ``status`` (and, when given, details containing ``match``);
    returns the details, for the test to check further."""
    error = refusal(call, request, timeout=timeout)
    assert error.code() == status, error.details()
    details: str = error.details()
    if match is not None:
        assert match in details, details
    return details
