"""What one PurchaseCountUses sells (K1, K2, K4; docs/adr/0029, 0030): one item's packs, or a
package's items, as purchase lines each with its share of the price."""

from __future__ import annotations

from chaincard import count_products
from chaincard.errors import FailedPrecondition, InvalidArgument
from chaincard.v1 import directory_pb2
from chaincard.v1 import program_config_pb2 as pc
from region_service.count_uses import require_at_store

MAX_PACKS = 100


def _count_item(snapshot: pc.ConfigSnapshot, item_code: str, field: str) -> pc.CountItem:
    for item in snapshot.count_items:
        if item.code == item_code:
            return item
    raise InvalidArgument(field, f"no count item {item_code!r}")


def _require_configured(item: pc.CountItem) -> None:
    if (not count_products.is_time_item(item) and item.uses_per_pack <= 0) or item.pack_price_fen < 0:
        raise FailedPrecondition(f"count item {item.code} has no pack configured")


def purchase_lines(snapshot: pc.ConfigSnapshot, *, item_code: str, package_code: str, packs: int,
                   store: directory_pb2.Store) -> list[count_products.PurchaseLine]:
    """The lines of a purchase of ``packs`` of ``item_code`` or of the package ``package_code``
    (exactly one), sold at ``store``: INVALID_ARGUMENT naming the field, FAILED_PRECONDITION when
    the item or package is no longer sold, or not at this store."""
    if item_code and package_code:
        raise InvalidArgument("package_code", "give either item_code or package_code, not both")
    if not item_code and not package_code:
        raise InvalidArgument("item_code", "is required (or package_code)")
    if not 1 <= packs <= MAX_PACKS:
        raise InvalidArgument("packs", f"must be between 1 and {MAX_PACKS}")
    if item_code:
        item = _count_item(snapshot, item_code, "item_code")
        if not item.active:
            raise FailedPrecondition(f"count item {item.code} is no longer sold")
        if item.package_only:
            raise FailedPrecondition(f"count item {item.code} is sold only in packages")
        _require_configured(item)
        require_at_store(item, store)
        return [count_products.item_line(item, packs)]
    package = next((p for p in snapshot.count_packages if p.code == package_code), None)
    if package is None:
        raise InvalidArgument("package_code", f"no count package {package_code!r}")
    if not package.active:
        raise FailedPrecondition(f"count package {package.code} is no longer sold")
    if package.store_ids and store.store_id not in package.store_ids:
        raise FailedPrecondition(f"count package {package.code} is not sold at store {store.store_id}")
    items = {line.item_code: _count_item(snapshot, line.item_code, "package_code") for line in package.items}
    for item in items.values():
        _require_configured(item)
        require_at_store(item, store)
    return count_products.package_lines(package, items, packs)
