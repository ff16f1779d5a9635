"""The demo's going-live steps (issue 15 item 9): a small file from a chain's old system imported
with `chaincard import` (a dry run reports the bad rows, the real run brings the rest, the
reconciliation balances), and a recharge above its card type's approval threshold that the cashier
cannot make and the store manager approves at the till, and a company buying 20 cards in one call
by invoice (C6). Each step returns what it showed, so
tests/e2e/test_chain.py checks the same outcomes a new user reads."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import grpc

from chaincard.chain_state import ChainState
from chaincard.ids import new_id
from chaincard.local import demo_data
from chaincard.local.accounts import operator_token
from chaincard.local.demo import _chaincard
from chaincard.money import format_fen
from chaincard.rpc.channels import call
from chaincard.security.identity import Role, Scope
from chaincard.v1 import (
    cards_pb2,
    cards_pb2_grpc,
    common_pb2,
    directory_pb2,
    directory_pb2_grpc,
    members_pb2,
    members_pb2_grpc,
    transactions_pb2,
    transactions_pb2_grpc,
)

# The exit status of `chaincard import` when some rows are in error (hq_service/import_cli.py).
ROWS_IN_ERROR = 3
T = TypeVar("T")
LEGACY_HEADER = "会员姓名,手机号,卡号,卡类型,开卡门店,本金余额(元),赠送余额(元),积分"


@dataclass(frozen=True)
class LegacyFile:
    path: Path
    good_rows: int
    bad_rows: int
    principal_fen: int


def _legacy_card_number() -> str:
    """A physical card number of the old system (not ChainCard's 88… virtual numbers)."""
    return "62" + "".join(random.choices("0123456789", k=14))


def write_legacy_file(directory: Path) -> LegacyFile:
    """Six members' cards as a Chinese POS exports them (GBK, Chinese headers), two rows of them bad."""
    names = ["钱芳", "孙伟", "李娜", "周杰", "吴敏", "郑强"]
    rows, principal = [], 0
    for index, name in enumerate(names):
        store = "S-E-001" if index % 2 == 0 else "S-W-001"
        yuan = 100 * (index + 1)
        principal += yuan * 100
        rows.append(f"{name},139{random.randint(0, 99_999_999):08d},{_legacy_card_number()},SV,{store},{yuan}.00,10.00,{50 * index}")
    rows.append(f"冯涛,1234,{_legacy_card_number()},SV,S-E-001,80.00,0,0")  # not a mobile number
    rows.append(f"陈静,137{random.randint(0, 99_999_999):08d},{_legacy_card_number()},SV,S-E-001,12.345,0,0")  # a third decimal
    path = directory / "legacy-cards.csv"
    path.write_bytes("\n".join([LEGACY_HEADER, *rows, ""]).encode("gbk"))
    return LegacyFile(path=path, good_rows=len(names), bad_rows=2, principal_fen=principal)


@dataclass(frozen=True)
class ImportShown:
    dry_run: str
    real_run: str
    reconciliation: str
    again: str


def run_import(state: ChainState) -> ImportShown:
    """M4, V8: the old system's cards, with their holders and opening balances, into their home regions."""
    print("\n== Going live: the old system's members, cards and balances (数据迁移) ==")
    legacy = write_legacy_file(Path(state.data_dir))
    report = Path(state.data_dir) / "legacy-cards-errors.xlsx"
    print(f"1. {legacy.path.name}: {legacy.good_rows + legacy.bad_rows} cards exported by the old POS (GBK, Chinese headers)")
    dry_run = _chaincard(state, "import", "cards", str(legacy.path), "--dry-run", "--report", str(report),
                         allowed_exit_codes=(ROWS_IN_ERROR,))
    print("2. `chaincard import cards legacy-cards.csv --dry-run --report legacy-cards-errors.xlsx` imports nothing:")
    print(_indented(dry_run))
    real_run = _chaincard(state, "import", "cards", str(legacy.path), allowed_exit_codes=(ROWS_IN_ERROR,))
    print(f"3. The real run imports the {legacy.good_rows} good rows as opening balances (no promotion, no points earned):")
    print(_indented(real_run))
    reconciliation = _chaincard(state, "import", "reconcile", str(legacy.path), allowed_exit_codes=(0, ROWS_IN_ERROR))
    print("4. `chaincard import reconcile legacy-cards.csv`: the file's totals against the ledger's")
    print(_indented(reconciliation))
    again = _chaincard(state, "import", "cards", str(legacy.path), allowed_exit_codes=(ROWS_IN_ERROR,))
    print("5. Running the file again imports nothing twice:")
    print(_indented(again))
    return ImportShown(dry_run=dry_run, real_run=real_run, reconciliation=reconciliation, again=again)


def _indented(text: str) -> str:
    return "\n".join(f"   {line}" for line in text.rstrip().splitlines())


@dataclass(frozen=True)
class ApprovalShown:
    card_number: str
    cashier_refusal: str
    approved_principal_fen: int


APPROVAL_STORE = "S-E-002"
CASHIER_STAFF_ID = "ST-E2-01"
MANAGER_OPERATOR_ID = "manager-S-E-002"
# HQ's settings reach the regions' caches and the store agents within seconds, not at once.
SETTLING_SECONDS = 30.0


def _list_staff(state: ChainState) -> None:
    """S-E-002's cashier and store manager at HQ: the region then knows who approves (docs/adr/0039)."""
    staff = [
        directory_pb2.Staff(staff_id=CASHIER_STAFF_ID, store_id=APPROVAL_STORE, name="Cashier Wu 吴", active=True,
                            role=directory_pb2.STAFF_ROLE_CASHIER),
        directory_pb2.Staff(staff_id="ST-E2-09", store_id=APPROVAL_STORE, name="Manager Xu 徐", active=True,
                            role=directory_pb2.STAFF_ROLE_STORE_MANAGER, operator_id=MANAGER_OPERATOR_ID),
    ]
    with state.channel("hq") as hq:
        directory = directory_pb2_grpc.DirectoryServiceStub(hq)
        for person in staff:
            call(directory.UpsertStaff, directory_pb2.UpsertStaffRequest(request_id=new_id(), staff=person))


def _once_settled(attempt: Callable[[], T]) -> T:
    """``attempt()`` again while HQ's new staff list or card type has not reached the till's agent and
    the region yet (they refuse meanwhile); the last refusal is raised."""
    deadline = time.monotonic() + SETTLING_SECONDS
    while True:
        try:
            return attempt()
        except grpc.RpcError as error:
            settling = error.code() in (grpc.StatusCode.PERMISSION_DENIED, grpc.StatusCode.FAILED_PRECONDITION,
                                        grpc.StatusCode.INVALID_ARGUMENT)
            if not settling or time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def run_recharge_approval(state: ChainState) -> ApprovalShown:
    """V5: a business card's recharge above its type's approval threshold (demo_data) is refused to
    the cashier; the store manager logs in at the same till and the recharge goes through, audited.
    Lists S-E-002's staff at HQ first, so its tills name their operator from then on."""
    card_type = next(t for t in demo_data.CARD_TYPES if t.recharge_approval_threshold_fen)
    amount_fen = card_type.recharge_approval_threshold_fen + 100_000
    print("\n== A recharge that needs the store manager (充值审批) ==")
    manager = operator_token(state, MANAGER_OPERATOR_ID, Role.STORE_MANAGER, Scope.store(APPROVAL_STORE),
                             display_name="Store manager, Hangzhou West Lake")
    _list_staff(state)  # after the manager's operator account exists: the staff entry names it
    with state.channel(f"store-{APPROVAL_STORE}") as till, state.channel(f"store-{APPROVAL_STORE}", token=manager) as manager_till:
        member = _once_settled(lambda: call(members_pb2_grpc.MemberServiceStub(till).RegisterMember, members_pb2.RegisterMemberRequest(
            request_id=new_id(), name="Lin Hui 林慧", phone=f"138{random.randint(0, 99_999_999):08d}",
            channel=common_pb2.REGISTRATION_CHANNEL_STORE, operator_id=CASHIER_STAFF_ID)).member)
        card = call(cards_pb2_grpc.CardServiceStub(till).OpenCard, cards_pb2.OpenCardRequest(
            request_id=new_id(), member_id=member.member_id, card_type_code=card_type.code, operator_id=CASHIER_STAFF_ID)).card
        print(f"1. S-E-002 lists its staff at HQ. Cashier Wu opens {member.name} a {card_type.name} ({card.card_number}); "
              f"HQ's rule: a recharge above {format_fen(card_type.recharge_approval_threshold_fen)} needs a store manager")

        def recharge(channel: grpc.Channel, operator_id: str = "") -> transactions_pb2.RechargeCardResponse:
            return call(transactions_pb2_grpc.TransactionServiceStub(channel).RechargeCard, transactions_pb2.RechargeCardRequest(
                request_id=new_id(), card_number=card.card_number, amount_fen=amount_fen,
                tender=common_pb2.TENDER_TYPE_BANK_CARD, operator_id=operator_id))

        try:
            recharge(till, CASHIER_STAFF_ID)
            refused = "ALLOWED (it should not be!)"
        except grpc.RpcError as error:
            refused = f"{error.code().name}: {error.details()}"
        print(f"2. Cashier Wu's {format_fen(amount_fen)} recharge is refused: {refused}")
        recharged = _once_settled(lambda: recharge(manager_till))
    principal = recharged.transaction.balances_after.principal_fen
    print(f"3. The store manager logs in at the till and approves: principal {format_fen(principal)}; "
          "the approval is in HQ's audit log (recharge.approve)")
    return ApprovalShown(card_number=card.card_number, cashier_refusal=refused, approved_principal_fen=principal)


@dataclass(frozen=True)
class CompanyShown:
    purchase: str
    cards: str
    usage: str = ""  # the company's card list after one card was spent at another franchisee


COMPANY_ID = "CO-DEMO"
COMPANY_STORE = "S-E-002"  # F-AURORA's store in region E, where the company buys
COMPANY_CARDS = 20
USAGE_STORE = "S-W-002"  # F-BAMBOO's store in region W: another franchisee, another region


def _demo_tax_id() -> str:
    from chaincard.tax_ids import check_character

    first_17 = "91330100MA2DEM700"  # no I, O, S, V or Z in the alphabet
    return first_17 + check_character(first_17)


def run_company_purchase(state: ChainState) -> CompanyShown:
    """C6: a company buys 20 named cards in one call from an order file, paid by invoice (HQ records
    the job, region E posts its chunk all-or-nothing), then lists its cards with their balances."""
    print("\n== A company buys 20 cards by invoice (企业购卡) ==")
    _chaincard(state, "company", "create", COMPANY_ID, "--name", "杭州西湖科技有限公司", "--tax-id", _demo_tax_id(),
               "--contact", "赵敏", "--phone", "13900001111", "--region", "E", "--franchisee", "F-AURORA")
    order = Path(state.data_dir) / "company-order.csv"
    lines = [f",员工{index + 1:02d},139{random.randint(0, 99_999_999):08d},{100 + 10 * index}.00" for index in range(COMPANY_CARDS)]
    order.write_text("\n".join(["card_number,holder_name,holder_phone,amount", *lines, ""]), encoding="utf-8")
    print(f"1. {COMPANY_ID} (Aurora's customer) sends {order.name}: {COMPANY_CARDS} staff members, a card each")
    purchase = _chaincard(state, "company", "recharge", COMPANY_ID, str(order), "--store", COMPANY_STORE, "--card-type", "SV")
    print(f"2. `chaincard company recharge {COMPANY_ID} {order.name} --store {COMPANY_STORE} --card-type SV`:")
    print(_indented("\n".join(purchase.splitlines()[:4] + ["…"])))
    deadline = time.monotonic() + SETTLING_SECONDS
    while True:  # HQ's card view follows the region's events within seconds
        cards = _chaincard(state, "company", "cards", COMPANY_ID)
        if (cards.count("principal ¥") == COMPANY_CARDS and "principal ¥0.00" not in cards) or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    print(f"3. `chaincard company cards {COMPANY_ID}`: its cards, balances and last use from HQ's read models")
    print(_indented("\n".join(cards.splitlines()[:6] + ["…"])))
    return CompanyShown(purchase=purchase, cards=cards, usage=_spent_elsewhere(state, cards))


def _spent_elsewhere(state: ChainState, cards: str) -> str:
    """A staff member's card pays ¥38.00 at Bamboo's store in W; the company's list then shows where
    its money was used (spent, per accepting franchisee)."""
    numbers = [line.split()[0] for line in cards.splitlines() if " principal ¥" in line]
    if not numbers:
        return ""
    card = numbers[0]
    try:
        with state.channel(f"store-{USAGE_STORE}") as till:
            call(transactions_pb2_grpc.TransactionServiceStub(till).Checkout, transactions_pb2.CheckoutRequest(
                request_id=new_id(), card_number=card, lines=[transactions_pb2.BasketLine(
                    sku="TEA-001", name="Longjing 龙井", category="tea", quantity=1, unit_price_fen=3_800)]))
    except grpc.RpcError as error:
        print(f"4. {card} at {USAGE_STORE}: {error.code().name}: {error.details()}")
        return ""
    deadline = time.monotonic() + SETTLING_SECONDS
    while True:  # HQ's transaction history follows the region's events
        listed = _chaincard(state, "company", "cards", COMPANY_ID)
        line = next((text for text in listed.splitlines() if text.strip().startswith(card)), "")
        if "F-BAMBOO" in line or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    print(f"4. {card} pays ¥38.00 at Bamboo's {USAGE_STORE} (another franchisee, region W); the company sees where:")
    print(_indented(line.strip()))
    return listed
