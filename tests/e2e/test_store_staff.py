"""Store staff (S1) over the real chain: a franchisee keeps the staff of its own stores only, and
once HQ lists a store's staff, the `operator_id` its tills name must be one of them, checked by the
store agent and again by the region (the store's certificate no longer vouches for anyone).

A chain of its own: staff listed for a store change what that store's tills may do, and the shared
e2e chain's tests must not see that.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from contextlib import ExitStack

import grpc
import pytest

from chaincard.ids import new_id
from chaincard.local import demo_data
from chaincard.local.accounts import operator_token
from chaincard.local.demo_golive import run_recharge_approval
from chaincard.security.identity import Role, Scope
from chaincard.v1 import (
    audit_pb2,
    audit_pb2_grpc,
    cards_pb2,
    cards_pb2_grpc,
    common_pb2,
    directory_pb2,
    directory_pb2_grpc,
    members_pb2,
    members_pb2_grpc,
    program_config_pb2_grpc,
    transactions_pb2,
    transactions_pb2_grpc,
)
from chaincard.v1 import program_config_pb2 as pc
from tests.support.chains import running_chain

# A chain of its own (the ``chain`` fixture below): this file runs as an xdist group of its own (tests/conftest.py).
OWN_CHAIN = True
AURORA_STORE = "S-E-002"  # F-AURORA's store in region E
DEADLINE = 10


@pytest.fixture(scope="module")
def chain(tmp_path_factory, postgres, migrated, database_drops):
    aurora = next(store for store in demo_data.STORES if store.store_id == AURORA_STORE)
    with ExitStack() as stack:
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("CHAINCARD_STORE_CONFIG_POLL_SECONDS", "0.5")  # the agent sees HQ's change at once
            _, state = stack.enter_context(running_chain(postgres, tmp_path_factory.mktemp("staff-chain"), "ccstaff",
                                                         templates=migrated, drop=database_drops.drop, stores=[aurora]))
        yield state


def _status(attempt: Callable[[], object]) -> grpc.StatusCode:
    try:
        attempt()
    except grpc.RpcError as error:
        return error.code()
    return grpc.StatusCode.OK


def _upsert(chain, token: str | None, store_id: str, staff_id: str = "ST-AUR-1", *,  # type: ignore[no-untyped-def]
            role: int = directory_pb2.STAFF_ROLE_CASHIER, operator_id: str = "") -> grpc.StatusCode:
    person = directory_pb2.Staff(staff_id=staff_id, store_id=store_id, name="Lin Yu", active=True, role=role,
                                 operator_id=operator_id)
    with chain.channel("hq", token=token) as channel:
        return _status(lambda: directory_pb2_grpc.DirectoryServiceStub(channel).UpsertStaff(
            directory_pb2.UpsertStaffRequest(request_id=new_id(), staff=person), timeout=DEADLINE))


def _register(channel: grpc.Channel, operator_id: str, store_id: str = "") -> grpc.StatusCode:
    return _status(lambda: members_pb2_grpc.MemberServiceStub(channel).RegisterMember(members_pb2.RegisterMemberRequest(
        request_id=new_id(), store_id=store_id, name="Staff Test", phone=f"139{uuid.uuid4().int % 10**8:08d}",
        operator_id=operator_id), timeout=DEADLINE))


def _until(outcome: Callable[[], grpc.StatusCode], done: Callable[[grpc.StatusCode], bool],
           timeout: float = 30.0) -> grpc.StatusCode:
    """The outcome once the processes picked up HQ's latest snapshot (the region re-reads it every 10 s)."""
    deadline = time.monotonic() + timeout
    while not done(seen := outcome()) and time.monotonic() < deadline:
        time.sleep(0.5)
    return seen


def _denied(code: grpc.StatusCode) -> bool:
    return code == grpc.StatusCode.PERMISSION_DENIED


def test_a_franchisee_keeps_the_staff_of_its_own_stores_only(chain):
    aurora_admin = operator_token(chain, "staff-aurora-admin", Role.FRANCHISEE_ADMIN, Scope.franchisee("F-AURORA"))
    bamboo_admin = operator_token(chain, "staff-bamboo-admin", Role.FRANCHISEE_ADMIN, Scope.franchisee("F-BAMBOO"))

    assert _upsert(chain, aurora_admin, AURORA_STORE, "ST-AUR-9") == grpc.StatusCode.OK
    assert _upsert(chain, aurora_admin, "S-W-002", "ST-AUR-9") == grpc.StatusCode.PERMISSION_DENIED  # Bamboo's store
    # Bamboo may not take Aurora's cashier into its own store either.
    assert _upsert(chain, bamboo_admin, "S-W-002", "ST-AUR-9") == grpc.StatusCode.PERMISSION_DENIED
    with chain.channel("hq", token=bamboo_admin) as channel:
        listing = _status(lambda: directory_pb2_grpc.DirectoryServiceStub(channel).ListStaff(
            directory_pb2.ListStaffRequest(store_id=AURORA_STORE), timeout=DEADLINE))
    assert listing == grpc.StatusCode.PERMISSION_DENIED


def test_once_a_store_lists_its_staff_its_tills_must_name_one_of_them(chain):
    # S-W-001 lists nobody: its certificate still vouches for whoever it names.
    with chain.channel("region-W", as_store="S-W-001") as region_w:
        assert _register(region_w, "whoever") == grpc.StatusCode.OK

    assert _upsert(chain, None, AURORA_STORE) == grpc.StatusCode.OK  # HQ admin lists Aurora's cashier
    with chain.channel(f"store-{AURORA_STORE}") as till, chain.channel("region-E", as_store=AURORA_STORE) as region_e:
        # The agent checks its tills, and the region checks the store's own calls.
        assert _denied(_until(lambda: _register(till, "ST-NOBODY"), _denied))
        assert _denied(_until(lambda: _register(region_e, "ST-NOBODY"), _denied))
        assert _register(till, "ST-AUR-1") == grpc.StatusCode.OK
        assert _register(region_e, "ST-AUR-1") == grpc.StatusCode.OK
        assert _register(till, "") == grpc.StatusCode.OK  # nobody named: a cashier's rights


def test_a_store_manager_who_logs_in_at_the_till_must_be_on_its_staff(chain):
    manager = "staff-aurora-manager"
    manager_token = operator_token(chain, manager, Role.STORE_MANAGER, Scope.store(AURORA_STORE))
    operator_token(chain, "staff-west-cashier", Role.CASHIER, Scope.store("S-W-001"))
    # An account allowed elsewhere only cannot be linked to this store's staff.
    assert _upsert(chain, None, AURORA_STORE, "ST-AUR-2", operator_id="staff-west-cashier") \
        == grpc.StatusCode.INVALID_ARGUMENT
    assert _upsert(chain, None, AURORA_STORE, "ST-AUR-1") == grpc.StatusCode.OK  # the store lists staff

    def refund_unknown_sale(channel: grpc.Channel) -> grpc.StatusCode:
        """A manager's act on a sale that does not exist: a call let through ends NOT_FOUND or INVALID_ARGUMENT."""
        return _status(lambda: transactions_pb2_grpc.TransactionServiceStub(channel).RefundSale(
            transactions_pb2.RefundSaleRequest(request_id=new_id(), card_number="8811000000000010",
                                               original_transaction_id=new_id(), amount_fen=100, reason="staff test"),
            timeout=DEADLINE))

    with chain.channel(f"store-{AURORA_STORE}", token=manager_token) as till:
        # Not on the store's staff: the region refuses the manager the agent names.
        assert _denied(_until(lambda: refund_unknown_sale(till), _denied))
        assert _upsert(chain, None, AURORA_STORE, "ST-AUR-3", role=directory_pb2.STAFF_ROLE_STORE_MANAGER,
                       operator_id=manager) == grpc.StatusCode.OK
        # On the staff as a store manager: the call goes through to the handler.
        seen = _until(lambda: refund_unknown_sale(till), lambda code: not _denied(code))
        assert seen in (grpc.StatusCode.NOT_FOUND, grpc.StatusCode.INVALID_ARGUMENT), seen


def test_a_recharge_above_the_threshold_needs_a_store_managers_token_at_the_till(chain):
    """V5 (docs/adr/0039): the cashier is refused naming the rule; the manager who logs in at the till
    for it recharges, and the approval reaches HQ's audit log under the manager's name."""
    approver = "staff-aurora-approver"
    approver_token = operator_token(chain, approver, Role.STORE_MANAGER, Scope.store(AURORA_STORE))
    assert _upsert(chain, None, AURORA_STORE, "ST-AUR-1") == grpc.StatusCode.OK
    assert _upsert(chain, None, AURORA_STORE, "ST-AUR-5", role=directory_pb2.STAFF_ROLE_STORE_MANAGER,
                   operator_id=approver) == grpc.StatusCode.OK
    with chain.channel("hq") as channel:
        program_config_pb2_grpc.ProgramConfigServiceStub(channel).UpsertCardType(pc.UpsertCardTypeRequest(
            request_id=new_id(), card_type=pc.CardType(code="APPROVE-2K", name="Approval above ¥2,000", stored_value=True,
                                                       recharge_approval_threshold_fen=200_000, active=True)), timeout=DEADLINE)

    def recharge(channel: grpc.Channel, card: str, operator_id: str = "") -> transactions_pb2.RechargeCardResponse:
        return transactions_pb2_grpc.TransactionServiceStub(channel).RechargeCard(transactions_pb2.RechargeCardRequest(
            request_id=new_id(), card_number=card, amount_fen=300_000, tender=common_pb2.TENDER_TYPE_MOBILE_PAY,
            operator_id=operator_id), timeout=DEADLINE)

    with chain.channel(f"store-{AURORA_STORE}") as till, chain.channel(f"store-{AURORA_STORE}", token=approver_token) as manager_till:
        member = members_pb2_grpc.MemberServiceStub(till).RegisterMember(members_pb2.RegisterMemberRequest(
            request_id=new_id(), name="Approval Test", phone=f"139{uuid.uuid4().int % 10**8:08d}", operator_id="ST-AUR-1"),
            timeout=DEADLINE).member

        def open_card() -> grpc.StatusCode:
            opened.extend([cards_pb2_grpc.CardServiceStub(till).OpenCard(cards_pb2.OpenCardRequest(
                request_id=new_id(), member_id=member.member_id, card_type_code="APPROVE-2K", operator_id="ST-AUR-1"),
                timeout=DEADLINE).card.card_number])
            return grpc.StatusCode.OK

        opened: list[str] = []
        assert _until(lambda: _status(open_card), lambda code: code == grpc.StatusCode.OK) == grpc.StatusCode.OK  # the type is known
        card = opened[-1]
        with pytest.raises(grpc.RpcError) as refused:
            recharge(till, card, "ST-AUR-1")
        assert refused.value.code() == grpc.StatusCode.FAILED_PRECONDITION
        assert "exceeds the approval threshold ¥2,000.00" in refused.value.details()
        assert refused.value.details().endswith("(V5 manager approval)")
        answer = recharge(manager_till, card)
    assert answer.principal_fen == 300_000

    auditor = operator_token(chain, "staff-audit-reader", Role.AUDITOR, Scope.chain())
    deadline = time.monotonic() + 30  # the region's entry reaches HQ through the outbox and Kafka
    with chain.channel("hq", token=auditor) as channel:
        while not (entries := list(audit_pb2_grpc.AuditServiceStub(channel).ListAuditEntries(audit_pb2.ListAuditEntriesRequest(
                target_id=card, action="recharge.approve"), timeout=DEADLINE).entries)) and time.monotonic() < deadline:
            time.sleep(0.5)
    assert [(entry.actor, entry.store_id, entry.amount_fen) for entry in entries] == [(approver, AURORA_STORE, 300_000)]


def test_the_demos_manager_approved_recharge(chain, capsys):  # type: ignore[no-untyped-def]
    """`chaincard demo`'s V5 step (issue 15 item 9): it lists S-E-002's staff, so it plays last here,
    where the store's staff are listed already."""
    shown = run_recharge_approval(chain)
    assert shown.cashier_refusal.startswith("FAILED_PRECONDITION")
    assert "exceeds the approval threshold ¥2,000.00" in shown.cashier_refusal
    assert shown.approved_principal_fen == 300_000
    assert "approves: principal ¥3,000.00" in capsys.readouterr().out
