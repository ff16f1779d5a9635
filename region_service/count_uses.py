"""Count-card uses on a card (K1, docs/adr/0029): the card's account per item, opened on first use,
and its packs (region_service.models.CountUsePack), which say when each use bought expires.

A card's uses of an item are one card account of asset "COUNT_USES:<item>" against the selling
franchisee's COUNT_USE_LIABILITY; the packs beside it split that balance by purchase and expiry.
Everything here runs under the card's row lock (the caller holds it), so two purchases or uses of
one card never interleave, and no account is opened twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from chaincard.errors import FailedPrecondition
from chaincard.ids import new_id
from chaincard.ledger import Asset, Posting, SystemAccount, count_uses_asset, transfer
from chaincard.ledger.count_use_value import value_returned, value_taken
from chaincard.pricing import CountUseIntent
from chaincard.receipts import ReceiptItem
from chaincard.v1 import common_pb2, directory_pb2
from chaincard.v1 import program_config_pb2 as pc
from region_service.ledger_store import system_account_id
from region_service.models import CountUsePack, LedgerAccount, LedgerTransaction
from region_service.repository import CARD_PURPOSE, CardAccount, LockedAccounts
from region_service.translate import COUNT_USE_CONSUMPTIONS, timestamp

_PREFIX = f"{Asset.COUNT_USES}:"
PURCHASE = "COUNT_USES_PURCHASE"
# Uses that expired in their packs (region_service.count_pack_expiry, docs/adr/0030).
EXPIRY = "COUNT_USES_EXPIRY"
# Keys of a transaction's details: uses moved per item ({item: signed uses}, as
# region_service.translate.COUNT_USES), the packs a sale took them from ([[pack id, uses, value fen], …];
# rows from before docs/adr/0031 lack the value), and per item and seller the uses and their value
# (translate.COUNT_USE_CONSUMPTIONS: Transaction.count_use_consumptions, cleared by settlement).
DETAILS_USES = "count_uses"
DETAILS_PACKS = "count_use_packs"
# Key of a refund's or void's details when it takes back uses a purchase sold (not uses a sale
# consumed: region_service.count_purchase_refunds, docs/adr/0035).
DETAILS_PURCHASE_REFUND = "count_purchase_refund"


def require_at_store(item: pc.CountItem, store: directory_pb2.Store) -> None:
    """The item's store list (K3) admits ``store``."""
    if item.store_ids and store.store_id not in item.store_ids:
        raise FailedPrecondition(f"count item {item.code} is not sold or used at store {store.store_id}")


@dataclass
class SaleUses:
    """What a sale's COUNT_USES tenders take: the postings, and the details to keep on its row."""

    postings: list[Posting] = field(default_factory=list)
    uses: dict[str, int] = field(default_factory=dict)
    packs: list[list[str | int]] = field(default_factory=list)
    # (item, seller) → [uses, value fen]: what settlement clears (docs/adr/0031).
    by_seller: dict[tuple[str, str], list[int]] = field(default_factory=dict)

    def add(self, pack: CountUsePack, uses: int, value_fen: int) -> None:
        self.packs.append([pack.pack_id, uses, value_fen])
        group = self.by_seller.setdefault((pack.item_code, pack.franchisee_id), [0, 0])
        group[0] += uses
        group[1] += value_fen

    def details(self, *, sign: int = -1) -> dict[str, object]:
        """As a transaction's details keep them: a sale's uses negative, a refund's (``sign`` 1) positive;
        the consumptions unsigned (the transaction's type says which way they went)."""
        if not self.uses:
            return {}
        consumptions = [{"item_code": item, "uses": uses, "seller_franchisee_id": seller, "value_fen": value}
                        for (item, seller), (uses, value) in sorted(self.by_seller.items()) if uses]
        return {DETAILS_USES: {item: sign * uses for item, uses in self.uses.items()}, DETAILS_PACKS: self.packs,
                COUNT_USE_CONSUMPTIONS: consumptions}


def take_for_sale(session: Session, locked: LockedAccounts, snapshot: pc.ConfigSnapshot, intents: Sequence[CountUseIntent], *,
                  card_number: str, store: directory_pb2.Store, business_date: date, now: datetime) -> SaleUses:
    """Take each intent's uses from the card's packs, earliest expiry first (expired packs left
    alone), after the item's store list and daily quota (K3) admit them; FAILED_PRECONDITION
    naming the item otherwise. Each use goes back to the liability of the franchisee that sold it."""
    taken = SaleUses()
    items = {item.code: item for item in snapshot.count_items}
    for intent in intents:
        item = items[intent.item_code]  # the pricing input checked it exists
        require_at_store(item, store)
        if item.daily_uses_per_store:
            used = used_today(session, card_number, store.store_id, business_date, item.code)
            if used + intent.uses > item.daily_uses_per_store:
                raise FailedPrecondition(
                    f"count item {item.code} allows {item.daily_uses_per_store} uses per day at store {store.store_id}; "
                    f"card {card_number} used {used} today, so {intent.uses} more is too many")
        asset = count_uses_asset(item.code)
        packs = usable_packs(session, card_number, item.code, now)
        usable = sum(pack.uses_left for pack in packs)
        if usable < intent.uses:
            raise FailedPrecondition(f"card {card_number} has {usable} usable uses of {item.code}; the sale needs {intent.uses}")
        card_account = locked.of_card(card_number)[asset].account_id
        take_from_packs(session, packs, intent.uses, asset=asset, card_account=card_account, into=taken, postings=taken.postings)
        taken.uses[item.code] = intent.uses
    return taken


def usable_packs(session: Session, card_number: str, item_code: str, at: datetime, *,
                 for_update: bool = False) -> Sequence[CountUsePack]:
    """The card's packs of the item with uses left and not expired at ``at``, in the order uses come
    out of them: earliest expiry first (packs that never expire last), then the oldest."""
    query = (
        select(CountUsePack)
        .where(CountUsePack.card_number == card_number, CountUsePack.item_code == item_code, CountUsePack.uses_left > 0,
               or_(CountUsePack.expires_at.is_(None), CountUsePack.expires_at > at))
        .order_by(CountUsePack.expires_at.asc().nulls_last(), CountUsePack.bought_at, CountUsePack.pack_id)
    )
    return session.execute(query.with_for_update() if for_update else query).scalars().all()


def take_from_packs(session: Session, packs: Sequence[CountUsePack], uses: int, *, asset: str, card_account: str,
                    into: SaleUses, postings: list[Posting]) -> int:
    """Take up to ``uses`` from ``packs`` in their order, each at its floor-share value, into ``into``;
    each use moves from the card's account to the liability of the franchisee that sold its pack
    (appended to ``postings``). Returns the uses the packs could not give."""
    wanted = uses
    for pack in packs:
        if wanted == 0:
            break
        n = min(wanted, pack.uses_left)
        value = value_taken(pack.value_left_fen, pack.uses_left, n)  # the pack's last use takes the rest
        pack.uses_left -= n
        pack.value_left_fen -= value
        wanted -= n
        into.add(pack, n, value)
        liability = system_account_id(session, pack.franchisee_id, SystemAccount.COUNT_USE_LIABILITY, asset)
        postings += transfer(asset, n, debit=card_account, credit=liability)
    return wanted


def used_today(session: Session, card_number: str, store_id: str, business_date: date, item_code: str) -> int:
    """Uses of ``item_code`` the card consumed at the store on the business day, net of those
    returned by refunds and voids (purchases, their refunds and expiries left out)."""
    rows = session.execute(
        select(LedgerTransaction.details)
        .where(LedgerTransaction.card_number == card_number, LedgerTransaction.store_id == store_id,
               LedgerTransaction.business_date == business_date, LedgerTransaction.type.not_in((PURCHASE, EXPIRY)))
    ).scalars()
    return -sum(int(((details or {}).get(DETAILS_USES) or {}).get(item_code, 0)) for details in rows
                if DETAILS_PURCHASE_REFUND not in (details or {}))


def receipt_items(taken: SaleUses, left: Sequence[common_pb2.CountUseBalance]) -> list[ReceiptItem]:
    """Per item the sale used: the uses taken and the uses left on the card."""
    remaining = {balance.item_code: balance.uses for balance in left}
    return [ReceiptItem(f"Uses {item} -{uses}"[:20], f"{remaining.get(item, 0)} left") for item, uses in taken.uses.items()]


def account_id(session: Session, locked: LockedAccounts, card_number: str, item_code: str) -> str:
    """The id of the card's account of ``item_code``'s uses, opened (zero) on first use; the new
    account joins ``locked``."""
    asset = count_uses_asset(item_code)
    existing = locked.of_card(card_number).get(asset)
    if existing is not None:
        return existing.account_id
    new_account = new_id()
    session.add(LedgerAccount(account_id=new_account, purpose=CARD_PURPOSE, card_number=card_number, franchisee_id="",
                              asset=asset, balance=0, debits_posted=0, credits_posted=0))
    session.flush()
    locked.by_id[new_account] = CardAccount(new_account, card_number, asset, 0, CARD_PURPOSE)
    return new_account


def add_pack(session: Session, *, card_number: str, item_code: str, franchisee_id: str, transaction_id: str, uses: int,
             bought_at: datetime, expires_at: datetime | None, price_fen: int = 0, package_code: str = "") -> None:
    """A pack of ``uses`` sold for ``price_fen`` (what its uses are worth when consumed, docs/adr/0031),
    bought alone or in ``package_code`` (its share of the package's price, docs/adr/0030)."""
    session.add(CountUsePack(pack_id=new_id(), card_number=card_number, item_code=item_code, franchisee_id=franchisee_id,
                             transaction_id=transaction_id, uses_bought=uses, uses_left=uses, bought_at=bought_at,
                             expires_at=expires_at, price_fen=price_fen, value_left_fen=price_fen,
                             package_code=package_code))


def balances(session: Session, locked: LockedAccounts, card_number: str) -> list[common_pb2.CountUseBalance]:
    """The card's uses per item, from its locked accounts (items it holds none of left out), each
    with the earliest expiry of its packs."""
    held = {asset: account.balance for asset, account in locked.of_card(card_number).items()}
    return _balances(session, card_number, held)


def read_balances(session: Session, card_number: str) -> list[common_pb2.CountUseBalance]:
    """The card's uses per item as committed (no lock: for GetBalance and GetCard)."""
    held = {asset: balance for asset, balance in session.execute(
        select(LedgerAccount.asset, LedgerAccount.balance)
        .where(LedgerAccount.card_number == card_number, LedgerAccount.purpose == CARD_PURPOSE,
               LedgerAccount.asset.startswith(_PREFIX))
    )}
    return _balances(session, card_number, held)


def _balances(session: Session, card_number: str, held: dict[str, int]) -> list[common_pb2.CountUseBalance]:
    if not any(asset.startswith(_PREFIX) and uses for asset, uses in held.items()):
        return []  # most cards hold no uses: no query on the money path (tests/integration/test_checkout_sql_path.py)
    session.flush()  # packs added in this session must count
    earliest = {item: moment for item, moment in session.execute(
        select(CountUsePack.item_code, func.min(CountUsePack.expires_at))
        .where(CountUsePack.card_number == card_number, CountUsePack.uses_left > 0)
        .group_by(CountUsePack.item_code)
    )}
    found = []
    for asset, uses in sorted(held.items()):
        if asset.startswith(_PREFIX) and uses:
            item = asset.removeprefix(_PREFIX)
            found.append(common_pb2.CountUseBalance(item_code=item, uses=uses, expires_at=timestamp(earliest.get(item))))
    return found


def refund_progress(session: Session, original: LedgerTransaction,
                    count_fen_now: int) -> tuple[list[dict[str, Any]], int, int]:
    """How far the refunds of a sale paid by count uses have gone: the details of its earlier
    refunds and voids, the fen its count-uses tenders paid, and the count-uses fen refunded so far
    (``count_fen_now`` by this refund included). Packs (below) and time passes
    (region_service.time_passes) give uses back in this proportion."""
    earlier = list(session.execute(
        select(LedgerTransaction.details).where(
            LedgerTransaction.original_transaction_id == original.transaction_id,
            LedgerTransaction.card_number == original.card_number, LedgerTransaction.type.in_(("REFUND", "VOID")))
    ).scalars().all())
    count_fen = sum(t["amount_fen"] for t in original.details.get("tenders", []) if t["type"] == str(Asset.COUNT_USES))
    refunded_fen = count_fen_now + sum(t["amount_fen"] for details in earlier for t in details.get("tenders", [])
                                       if t["type"] == str(Asset.COUNT_USES))
    return earlier, count_fen, refunded_fen


def give_back(session: Session, locked: LockedAccounts, original: LedgerTransaction, *, count_fen_now: int,
              whole: bool) -> SaleUses:
    """The uses a refund or void of ``original`` returns to the card (K1, docs/adr/0029): all that
    are still out when ``whole``; otherwise each item's uses in proportion to the count-uses tender's
    fen refunded so far (``count_fen_now`` by this refund), rounded down. They go back to the packs
    the sale took them from, latest taken first, each against its seller's liability (a pack that
    expired meanwhile keeps them unusable)."""
    taken_uses: dict[str, int] = {item: -uses for item, uses in (original.details.get(DETAILS_USES) or {}).items()}
    returned = SaleUses()
    if not taken_uses:
        return returned
    earlier, count_fen, refunded_fen = refund_progress(session, original, count_fen_now)
    back_already: dict[str, int] = {}
    pack_back: dict[str, int] = {}
    for details in earlier:
        for item, uses in (details.get(DETAILS_USES) or {}).items():
            back_already[item] = back_already.get(item, 0) + uses
        for pack_id, uses, *_value in details.get(DETAILS_PACKS) or []:
            pack_back[str(pack_id)] = pack_back.get(str(pack_id), 0) + int(uses)
    # [pack id, uses, value fen]; a sale from before docs/adr/0031 kept no value (None: the pack's price share).
    sale_packs = [(str(entry[0]), int(entry[1]), int(entry[2]) if len(entry) > 2 else None)
                  for entry in original.details.get(DETAILS_PACKS) or []]
    for item, uses in taken_uses.items():
        target = uses if whole or not count_fen else min(uses, uses * refunded_fen // count_fen)
        due = target - back_already.get(item, 0)
        if due <= 0:
            continue
        asset = count_uses_asset(item)
        card_account = locked.of_card(original.card_number)[asset].account_id
        for pack_id, took, took_value in reversed(sale_packs):
            if due == 0:
                break
            pack = session.get(CountUsePack, pack_id, with_for_update=True)
            if pack is None or pack.item_code != item:
                continue
            n = min(due, took - pack_back.get(pack_id, 0))
            if n <= 0:
                continue
            sale_value = pack.price_fen * took // pack.uses_bought if took_value is None else took_value
            value = value_returned(sale_value, took, pack_back.get(pack_id, 0), n)
            pack.uses_left += n
            pack.value_left_fen += value
            pack_back[pack_id] = pack_back.get(pack_id, 0) + n
            due -= n
            returned.add(pack, n, value)
            liability = system_account_id(session, pack.franchisee_id, SystemAccount.COUNT_USE_LIABILITY, asset)
            returned.postings += transfer(asset, n, debit=liability, credit=card_account)
        returned.uses[item] = target - back_already.get(item, 0) - due
    return returned
