"""The configuration entities HQ sets through ProgramConfigService, one line each.

Everything else (the message, the request and response classes, the flags, the file format, the
snapshot lookup) is read from the proto descriptors, so a new ``Upsert*``/``Set*`` RPC with its
ConfigSnapshot field needs one more line here and nothing else.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from google.protobuf.message import Message

from chaincard.v1 import program_config_pb2

# The protobuf stubs type a descriptor as either of two classes (pure Python or upb) and their
# attributes as optional; this code reads only what every message and field descriptor has.
Descriptor = Any
FieldDescriptor = Any
MethodDescriptor = Any

SERVICE = program_config_pb2.DESCRIPTOR.services_by_name["ProgramConfigService"]


@dataclass(frozen=True)
class ConfigEntity:
    """One kind of configuration item: ``rpc`` sets it from ``request_field`` of its request; the
    running ones are ``snapshot_field`` of ConfigSnapshot; ``key_field`` names one among several
    (empty for a single chain-wide item); ``columns`` are the fields ``list`` shows besides key,
    name and active."""

    name: str
    rpc: str
    request_field: str
    snapshot_field: str
    key_field: str = ""
    columns: Sequence[str] = field(default_factory=tuple)

    @property
    def method(self) -> MethodDescriptor:
        return SERVICE.methods_by_name[self.rpc]

    @property
    def message(self) -> Descriptor:
        """The descriptor of the entity's message (e.g. CardType)."""
        return self.method.input_type.fields_by_name[self.request_field].message_type

    @property
    def keyed(self) -> bool:
        return bool(self.key_field)

    def new_message(self) -> Message:
        return message_class(self.message)()

    def request(self, request_id: str, item: Message) -> Message:
        """The ``rpc``'s request carrying ``item``."""
        request = message_class(self.method.input_type)()
        request.request_id = request_id  # type: ignore[attr-defined] # every setter's request has one
        getattr(request, self.request_field).CopyFrom(item)
        return request

    def from_response(self, response: Message) -> Message:
        """The item as HQ stored it: the response's field of the entity's type."""
        [stored] = [f.name for f in response.DESCRIPTOR.fields if f.message_type is self.message]
        item: Message = getattr(response, stored)
        return item

    def running(self, snapshot: Message) -> list[Message]:
        """The running items of this kind in ``snapshot`` (a chain-wide item is a list of one: its
        defaults when HQ has never set it)."""
        value: Any = getattr(snapshot, self.snapshot_field)
        return list(value) if self.keyed else [value]

    def key_of(self, item: Message) -> str:
        return str(getattr(item, self.key_field)) if self.keyed else ""

    def find(self, snapshot: Message, key: str) -> Message | None:
        return next((item for item in self.running(snapshot) if self.key_of(item) == key), None)


def message_class(descriptor: Descriptor) -> type[Message]:
    """The generated class of a ``chaincard.v1.program_config`` message (or of a nested one)."""
    from google.protobuf import message_factory

    return message_factory.GetMessageClass(descriptor)


# name -> (rpc, request field, snapshot field, key field, list columns). One line per entity.
ENTITIES: dict[str, ConfigEntity] = {entity.name: entity for entity in (
    ConfigEntity("card-type", "UpsertCardType", "card_type", "card_types", "code",
                 ("stored_value", "points", "count_uses", "validity_days", "default_level_code")),
    ConfigEntity("level", "UpsertLevel", "level", "levels", "code", ("rank", "discount_bp", "points_multiplier_bp")),
    ConfigEntity("level-rule", "UpsertLevelRule", "level_rule", "level_rules", "level_code",
                 ("window_days", "upgrade_window_spend_fen", "keep_window_spend_fen", "downgrade_to_level_code")),
    ConfigEntity("earn-rule", "UpsertEarnRule", "earn_rule", "earn_rules", "code",
                 ("points_per_unit", "spend_unit_fen", "multiplier_bp", "priority")),
    ConfigEntity("recharge-promotion", "UpsertRechargePromotion", "promotion", "recharge_promotions", "code",
                 ("tiers", "priority", "valid_until")),
    ConfigEntity("points-redemption-rule", "UpsertPointsRedemptionRule", "rule", "points_redemption_rules", "code",
                 ("kind", "points_cost")),
    ConfigEntity("coupon-template", "UpsertCouponTemplate", "coupon_template", "coupon_templates", "code",
                 ("kind", "face_value_fen", "discount_bp", "min_spend_fen", "validity_days")),
    ConfigEntity("count-item", "UpsertCountItem", "count_item", "count_items", "code",
                 ("uses_per_pack", "pack_price_fen", "period_days", "validity_days", "eligible_skus")),
    ConfigEntity("count-package", "UpsertCountPackage", "count_package", "count_packages", "code",
                 ("price_fen", "validity_days", "store_ids")),
    ConfigEntity("commission-plan", "UpsertCommissionPlan", "commission_plan", "commission_plans", "code",
                 ("event", "fixed_fen", "rate_bp", "level_codes", "staff_roles")),
    ConfigEntity("fee-schedule", "SetFeeSchedule", "fee_schedule", "fee_schedules", "effective_from_business_date",
                 ("interchange_bp", "collection_fee_bp", "platform_fee_bp", "coupon_fee_bp")),
    ConfigEntity("store-offline-limits", "SetStoreOfflineLimits", "store_limits", "store_offline_limits", "store_id",
                 ("limits",)),
    ConfigEntity("notification-template", "UpsertNotificationTemplate", "template", "notification_templates", "code",
                 ("event", "channel")),
    ConfigEntity("points-deduction", "SetPointsDeductionPolicy", "policy", "points_deduction", "",
                 ("enabled", "points_per_unit", "unit_value_fen", "max_bill_share_bp")),
    ConfigEntity("points-expiry", "SetPointsExpiryPolicy", "policy", "points_expiry", "", ("rule", "days")),
    ConfigEntity("referral", "SetReferralProgram", "program", "referral_program", "",
                 ("active", "points_on_card_opening", "spend_points_bp", "period_days")),
    ConfigEntity("offline-limits", "SetOfflineLimits", "limits", "offline_limits", "",
                 ("card_daily_limit_fen", "store_exposure_limit_fen", "pinless_limit_fen")),
    ConfigEntity("chain-settings", "SetChainSettings", "settings", "settings", "",
                 ("chain_name", "business_time_zone", "business_day_cutoff")),
)}


def setter_rpcs() -> set[str]:
    """Every RPC of ProgramConfigService that sets configuration (all but GetConfigSnapshot)."""
    return {method.name for method in SERVICE.methods if method.name.startswith(("Upsert", "Set"))}


def columns_of(entity: ConfigEntity) -> list[str]:
    """``list``'s columns: the key, ``name`` and ``active`` when the message has them, then the entity's own."""
    fields = entity.message.fields_by_name
    head = [name for name in (entity.key_field, "name", "active") if name and name in fields]
    return head + [name for name in entity.columns if name not in head]


def field_named(descriptor: Descriptor, name: str) -> FieldDescriptor | None:
    """A field by its proto name, its JSON name, or with ``-`` for ``_`` (as flags spell it)."""
    fields = descriptor.fields_by_name
    found = fields.get(name) or fields.get(name.replace("-", "_"))
    return found or next((f for f in descriptor.fields if f.json_name == name), None)
