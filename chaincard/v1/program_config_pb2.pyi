import datetime

from chaincard.v1 import directory_pb2 as _directory_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class PointsRedemptionKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    POINTS_REDEMPTION_KIND_UNSPECIFIED: _ClassVar[PointsRedemptionKind]
    POINTS_REDEMPTION_KIND_GIFT: _ClassVar[PointsRedemptionKind]
    POINTS_REDEMPTION_KIND_STORED_VALUE: _ClassVar[PointsRedemptionKind]
    POINTS_REDEMPTION_KIND_COUNT_USES: _ClassVar[PointsRedemptionKind]
    POINTS_REDEMPTION_KIND_COUPON: _ClassVar[PointsRedemptionKind]

class CouponKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    COUPON_KIND_UNSPECIFIED: _ClassVar[CouponKind]
    COUPON_KIND_CASH_VOUCHER: _ClassVar[CouponKind]
    COUPON_KIND_DISCOUNT: _ClassVar[CouponKind]
    COUPON_KIND_PRODUCT: _ClassVar[CouponKind]

class PointsExpiryRule(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    POINTS_EXPIRY_RULE_UNSPECIFIED: _ClassVar[PointsExpiryRule]
    POINTS_EXPIRY_RULE_NEVER: _ClassVar[PointsExpiryRule]
    POINTS_EXPIRY_RULE_END_OF_FOLLOWING_YEAR: _ClassVar[PointsExpiryRule]
    POINTS_EXPIRY_RULE_DAYS_AFTER_EARNING: _ClassVar[PointsExpiryRule]

class NotificationEvent(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    NOTIFICATION_EVENT_UNSPECIFIED: _ClassVar[NotificationEvent]
    NOTIFICATION_EVENT_CARD_OPENED: _ClassVar[NotificationEvent]
    NOTIFICATION_EVENT_RECHARGE: _ClassVar[NotificationEvent]
    NOTIFICATION_EVENT_SPEND: _ClassVar[NotificationEvent]
    NOTIFICATION_EVENT_REDEMPTION: _ClassVar[NotificationEvent]
    NOTIFICATION_EVENT_REFUND: _ClassVar[NotificationEvent]
    NOTIFICATION_EVENT_COUPON_EXPIRING: _ClassVar[NotificationEvent]
    NOTIFICATION_EVENT_POINTS_EXPIRING: _ClassVar[NotificationEvent]
    NOTIFICATION_EVENT_LEVEL_CHANGED: _ClassVar[NotificationEvent]
    NOTIFICATION_EVENT_MEMBER_DATE: _ClassVar[NotificationEvent]
    NOTIFICATION_EVENT_COUNT_USES_EXPIRING: _ClassVar[NotificationEvent]
    NOTIFICATION_EVENT_CAMPAIGN: _ClassVar[NotificationEvent]

class MemberDateKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    MEMBER_DATE_KIND_UNSPECIFIED: _ClassVar[MemberDateKind]
    MEMBER_DATE_KIND_BIRTHDAY: _ClassVar[MemberDateKind]
    MEMBER_DATE_KIND_WEDDING_ANNIVERSARY: _ClassVar[MemberDateKind]
    MEMBER_DATE_KIND_CHILD_BIRTHDAY: _ClassVar[MemberDateKind]

class NotificationChannel(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    NOTIFICATION_CHANNEL_UNSPECIFIED: _ClassVar[NotificationChannel]
    NOTIFICATION_CHANNEL_SMS: _ClassVar[NotificationChannel]
    NOTIFICATION_CHANNEL_WECHAT: _ClassVar[NotificationChannel]
    NOTIFICATION_CHANNEL_EMAIL: _ClassVar[NotificationChannel]

class StoredValueSplitRule(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    STORED_VALUE_SPLIT_RULE_UNSPECIFIED: _ClassVar[StoredValueSplitRule]
    STORED_VALUE_SPLIT_RULE_PROPORTIONAL: _ClassVar[StoredValueSplitRule]
    STORED_VALUE_SPLIT_RULE_PRINCIPAL_FIRST: _ClassVar[StoredValueSplitRule]
    STORED_VALUE_SPLIT_RULE_BONUS_FIRST: _ClassVar[StoredValueSplitRule]

class CommissionEvent(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    COMMISSION_EVENT_UNSPECIFIED: _ClassVar[CommissionEvent]
    COMMISSION_EVENT_CARD_OPENING: _ClassVar[CommissionEvent]
    COMMISSION_EVENT_RECHARGE: _ClassVar[CommissionEvent]
    COMMISSION_EVENT_SPEND: _ClassVar[CommissionEvent]
POINTS_REDEMPTION_KIND_UNSPECIFIED: PointsRedemptionKind
POINTS_REDEMPTION_KIND_GIFT: PointsRedemptionKind
POINTS_REDEMPTION_KIND_STORED_VALUE: PointsRedemptionKind
POINTS_REDEMPTION_KIND_COUNT_USES: PointsRedemptionKind
POINTS_REDEMPTION_KIND_COUPON: PointsRedemptionKind
COUPON_KIND_UNSPECIFIED: CouponKind
COUPON_KIND_CASH_VOUCHER: CouponKind
COUPON_KIND_DISCOUNT: CouponKind
COUPON_KIND_PRODUCT: CouponKind
POINTS_EXPIRY_RULE_UNSPECIFIED: PointsExpiryRule
POINTS_EXPIRY_RULE_NEVER: PointsExpiryRule
POINTS_EXPIRY_RULE_END_OF_FOLLOWING_YEAR: PointsExpiryRule
POINTS_EXPIRY_RULE_DAYS_AFTER_EARNING: PointsExpiryRule
NOTIFICATION_EVENT_UNSPECIFIED: NotificationEvent
NOTIFICATION_EVENT_CARD_OPENED: NotificationEvent
NOTIFICATION_EVENT_RECHARGE: NotificationEvent
NOTIFICATION_EVENT_SPEND: NotificationEvent
NOTIFICATION_EVENT_REDEMPTION: NotificationEvent
NOTIFICATION_EVENT_REFUND: NotificationEvent
NOTIFICATION_EVENT_COUPON_EXPIRING: NotificationEvent
NOTIFICATION_EVENT_POINTS_EXPIRING: NotificationEvent
NOTIFICATION_EVENT_LEVEL_CHANGED: NotificationEvent
NOTIFICATION_EVENT_MEMBER_DATE: NotificationEvent
NOTIFICATION_EVENT_COUNT_USES_EXPIRING: NotificationEvent
NOTIFICATION_EVENT_CAMPAIGN: NotificationEvent
MEMBER_DATE_KIND_UNSPECIFIED: MemberDateKind
MEMBER_DATE_KIND_BIRTHDAY: MemberDateKind
MEMBER_DATE_KIND_WEDDING_ANNIVERSARY: MemberDateKind
MEMBER_DATE_KIND_CHILD_BIRTHDAY: MemberDateKind
NOTIFICATION_CHANNEL_UNSPECIFIED: NotificationChannel
NOTIFICATION_CHANNEL_SMS: NotificationChannel
NOTIFICATION_CHANNEL_WECHAT: NotificationChannel
NOTIFICATION_CHANNEL_EMAIL: NotificationChannel
STORED_VALUE_SPLIT_RULE_UNSPECIFIED: StoredValueSplitRule
STORED_VALUE_SPLIT_RULE_PROPORTIONAL: StoredValueSplitRule
STORED_VALUE_SPLIT_RULE_PRINCIPAL_FIRST: StoredValueSplitRule
STORED_VALUE_SPLIT_RULE_BONUS_FIRST: StoredValueSplitRule
COMMISSION_EVENT_UNSPECIFIED: CommissionEvent
COMMISSION_EVENT_CARD_OPENING: CommissionEvent
COMMISSION_EVENT_RECHARGE: CommissionEvent
COMMISSION_EVENT_SPEND: CommissionEvent

class CardType(_message.Message):
    __slots__ = ("code", "name", "kind_description", "stored_value", "points", "count_uses", "validity_days", "discount", "time_limited", "trial", "default_level_code", "count_item_codes", "active", "converts_to_card_type_code", "anonymous", "conversion_min_recharge_fen", "balance_cap_fen", "real_name_threshold_fen", "non_cash_threshold_fen", "recharge_store_ids", "recharge_roles", "recharge_approval_threshold_fen", "dormant_after_days")
    CODE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    KIND_DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    STORED_VALUE_FIELD_NUMBER: _ClassVar[int]
    POINTS_FIELD_NUMBER: _ClassVar[int]
    COUNT_USES_FIELD_NUMBER: _ClassVar[int]
    VALIDITY_DAYS_FIELD_NUMBER: _ClassVar[int]
    DISCOUNT_FIELD_NUMBER: _ClassVar[int]
    TIME_LIMITED_FIELD_NUMBER: _ClassVar[int]
    TRIAL_FIELD_NUMBER: _ClassVar[int]
    DEFAULT_LEVEL_CODE_FIELD_NUMBER: _ClassVar[int]
    COUNT_ITEM_CODES_FIELD_NUMBER: _ClassVar[int]
    ACTIVE_FIELD_NUMBER: _ClassVar[int]
    CONVERTS_TO_CARD_TYPE_CODE_FIELD_NUMBER: _ClassVar[int]
    ANONYMOUS_FIELD_NUMBER: _ClassVar[int]
    CONVERSION_MIN_RECHARGE_FEN_FIELD_NUMBER: _ClassVar[int]
    BALANCE_CAP_FEN_FIELD_NUMBER: _ClassVar[int]
    REAL_NAME_THRESHOLD_FEN_FIELD_NUMBER: _ClassVar[int]
    NON_CASH_THRESHOLD_FEN_FIELD_NUMBER: _ClassVar[int]
    RECHARGE_STORE_IDS_FIELD_NUMBER: _ClassVar[int]
    RECHARGE_ROLES_FIELD_NUMBER: _ClassVar[int]
    RECHARGE_APPROVAL_THRESHOLD_FEN_FIELD_NUMBER: _ClassVar[int]
    DORMANT_AFTER_DAYS_FIELD_NUMBER: _ClassVar[int]
    code: str
    name: str
    kind_description: str
    stored_value: bool
    points: bool
    count_uses: bool
    validity_days: int
    discount: bool
    time_limited: bool
    trial: bool
    default_level_code: str
    count_item_codes: _containers.RepeatedScalarFieldContainer[str]
    active: bool
    converts_to_card_type_code: str
    anonymous: bool
    conversion_min_recharge_fen: int
    balance_cap_fen: int
    real_name_threshold_fen: int
    non_cash_threshold_fen: int
    recharge_store_ids: _containers.RepeatedScalarFieldContainer[str]
    recharge_roles: _containers.RepeatedScalarFieldContainer[_directory_pb2.StaffRole]
    recharge_approval_threshold_fen: int
    dormant_after_days: int
    def __init__(self, code: _Optional[str] = ..., name: _Optional[str] = ..., kind_description: _Optional[str] = ..., stored_value: _Optional[bool] = ..., points: _Optional[bool] = ..., count_uses: _Optional[bool] = ..., validity_days: _Optional[int] = ..., discount: _Optional[bool] = ..., time_limited: _Optional[bool] = ..., trial: _Optional[bool] = ..., default_level_code: _Optional[str] = ..., count_item_codes: _Optional[_Iterable[str]] = ..., active: _Optional[bool] = ..., converts_to_card_type_code: _Optional[str] = ..., anonymous: _Optional[bool] = ..., conversion_min_recharge_fen: _Optional[int] = ..., balance_cap_fen: _Optional[int] = ..., real_name_threshold_fen: _Optional[int] = ..., non_cash_threshold_fen: _Optional[int] = ..., recharge_store_ids: _Optional[_Iterable[str]] = ..., recharge_roles: _Optional[_Iterable[_Union[_directory_pb2.StaffRole, str]]] = ..., recharge_approval_threshold_fen: _Optional[int] = ..., dormant_after_days: _Optional[int] = ...) -> None: ...

class Level(_message.Message):
    __slots__ = ("code", "name", "rank", "discount_bp", "points_multiplier_bp", "category_discount_bp", "privileges", "price_fen", "paid_validity_days")
    class CategoryDiscountBpEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: int
        def __init__(self, key: _Optional[str] = ..., value: _Optional[int] = ...) -> None: ...
    CODE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    RANK_FIELD_NUMBER: _ClassVar[int]
    DISCOUNT_BP_FIELD_NUMBER: _ClassVar[int]
    POINTS_MULTIPLIER_BP_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_DISCOUNT_BP_FIELD_NUMBER: _ClassVar[int]
    PRIVILEGES_FIELD_NUMBER: _ClassVar[int]
    PRICE_FEN_FIELD_NUMBER: _ClassVar[int]
    PAID_VALIDITY_DAYS_FIELD_NUMBER: _ClassVar[int]
    code: str
    name: str
    rank: int
    discount_bp: int
    points_multiplier_bp: int
    category_discount_bp: _containers.ScalarMap[str, int]
    privileges: _containers.RepeatedScalarFieldContainer[str]
    price_fen: int
    paid_validity_days: int
    def __init__(self, code: _Optional[str] = ..., name: _Optional[str] = ..., rank: _Optional[int] = ..., discount_bp: _Optional[int] = ..., points_multiplier_bp: _Optional[int] = ..., category_discount_bp: _Optional[_Mapping[str, int]] = ..., privileges: _Optional[_Iterable[str]] = ..., price_fen: _Optional[int] = ..., paid_validity_days: _Optional[int] = ...) -> None: ...

class RechargeTier(_message.Message):
    __slots__ = ("min_amount_fen", "bonus_fen", "bonus_points", "coupon_template_codes")
    MIN_AMOUNT_FEN_FIELD_NUMBER: _ClassVar[int]
    BONUS_FEN_FIELD_NUMBER: _ClassVar[int]
    BONUS_POINTS_FIELD_NUMBER: _ClassVar[int]
    COUPON_TEMPLATE_CODES_FIELD_NUMBER: _ClassVar[int]
    min_amount_fen: int
    bonus_fen: int
    bonus_points: int
    coupon_template_codes: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, min_amount_fen: _Optional[int] = ..., bonus_fen: _Optional[int] = ..., bonus_points: _Optional[int] = ..., coupon_template_codes: _Optional[_Iterable[str]] = ...) -> None: ...

class RechargePromotion(_message.Message):
    __slots__ = ("code", "name", "tiers", "valid_from", "valid_until", "card_type_codes", "store_ids", "priority", "active")
    CODE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    TIERS_FIELD_NUMBER: _ClassVar[int]
    VALID_FROM_FIELD_NUMBER: _ClassVar[int]
    VALID_UNTIL_FIELD_NUMBER: _ClassVar[int]
    CARD_TYPE_CODES_FIELD_NUMBER: _ClassVar[int]
    STORE_IDS_FIELD_NUMBER: _ClassVar[int]
    PRIORITY_FIELD_NUMBER: _ClassVar[int]
    ACTIVE_FIELD_NUMBER: _ClassVar[int]
    code: str
    name: str
    tiers: _containers.RepeatedCompositeFieldContainer[RechargeTier]
    valid_from: _timestamp_pb2.Timestamp
    valid_until: _timestamp_pb2.Timestamp
    card_type_codes: _containers.RepeatedScalarFieldContainer[str]
    store_ids: _containers.RepeatedScalarFieldContainer[str]
    priority: int
    active: bool
    def __init__(self, code: _Optional[str] = ..., name: _Optional[str] = ..., tiers: _Optional[_Iterable[_Union[RechargeTier, _Mapping]]] = ..., valid_from: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., valid_until: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., card_type_codes: _Optional[_Iterable[str]] = ..., store_ids: _Optional[_Iterable[str]] = ..., priority: _Optional[int] = ..., active: _Optional[bool] = ...) -> None: ...

class EarnRule(_message.Message):
    __slots__ = ("code", "name", "points_per_unit", "spend_unit_fen", "multiplier_bp", "level_codes", "store_ids", "categories", "weekdays", "start_minute_of_day", "end_minute_of_day", "valid_from", "valid_until", "birthday_only", "priority", "active")
    CODE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    POINTS_PER_UNIT_FIELD_NUMBER: _ClassVar[int]
    SPEND_UNIT_FEN_FIELD_NUMBER: _ClassVar[int]
    MULTIPLIER_BP_FIELD_NUMBER: _ClassVar[int]
    LEVEL_CODES_FIELD_NUMBER: _ClassVar[int]
    STORE_IDS_FIELD_NUMBER: _ClassVar[int]
    CATEGORIES_FIELD_NUMBER: _ClassVar[int]
    WEEKDAYS_FIELD_NUMBER: _ClassVar[int]
    START_MINUTE_OF_DAY_FIELD_NUMBER: _ClassVar[int]
    END_MINUTE_OF_DAY_FIELD_NUMBER: _ClassVar[int]
    VALID_FROM_FIELD_NUMBER: _ClassVar[int]
    VALID_UNTIL_FIELD_NUMBER: _ClassVar[int]
    BIRTHDAY_ONLY_FIELD_NUMBER: _ClassVar[int]
    PRIORITY_FIELD_NUMBER: _ClassVar[int]
    ACTIVE_FIELD_NUMBER: _ClassVar[int]
    code: str
    name: str
    points_per_unit: int
    spend_unit_fen: int
    multiplier_bp: int
    level_codes: _containers.RepeatedScalarFieldContainer[str]
    store_ids: _containers.RepeatedScalarFieldContainer[str]
    categories: _containers.RepeatedScalarFieldContainer[str]
    weekdays: _containers.RepeatedScalarFieldContainer[int]
    start_minute_of_day: int
    end_minute_of_day: int
    valid_from: _timestamp_pb2.Timestamp
    valid_until: _timestamp_pb2.Timestamp
    birthday_only: bool
    priority: int
    active: bool
    def __init__(self, code: _Optional[str] = ..., name: _Optional[str] = ..., points_per_unit: _Optional[int] = ..., spend_unit_fen: _Optional[int] = ..., multiplier_bp: _Optional[int] = ..., level_codes: _Optional[_Iterable[str]] = ..., store_ids: _Optional[_Iterable[str]] = ..., categories: _Optional[_Iterable[str]] = ..., weekdays: _Optional[_Iterable[int]] = ..., start_minute_of_day: _Optional[int] = ..., end_minute_of_day: _Optional[int] = ..., valid_from: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., valid_until: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., birthday_only: _Optional[bool] = ..., priority: _Optional[int] = ..., active: _Optional[bool] = ...) -> None: ...

class PointsRedemptionRule(_message.Message):
    __slots__ = ("code", "name", "kind", "points_cost", "gift_sku", "stored_value_fen", "count_item_code", "count_uses", "coupon_template_code", "store_ids", "active")
    CODE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    POINTS_COST_FIELD_NUMBER: _ClassVar[int]
    GIFT_SKU_FIELD_NUMBER: _ClassVar[int]
    STORED_VALUE_FEN_FIELD_NUMBER: _ClassVar[int]
    COUNT_ITEM_CODE_FIELD_NUMBER: _ClassVar[int]
    COUNT_USES_FIELD_NUMBER: _ClassVar[int]
    COUPON_TEMPLATE_CODE_FIELD_NUMBER: _ClassVar[int]
    STORE_IDS_FIELD_NUMBER: _ClassVar[int]
    ACTIVE_FIELD_NUMBER: _ClassVar[int]
    code: str
    name: str
    kind: PointsRedemptionKind
    points_cost: int
    gift_sku: str
    stored_value_fen: int
    count_item_code: str
    count_uses: int
    coupon_template_code: str
    store_ids: _containers.RepeatedScalarFieldContainer[str]
    active: bool
    def __init__(self, code: _Optional[str] = ..., name: _Optional[str] = ..., kind: _Optional[_Union[PointsRedemptionKind, str]] = ..., points_cost: _Optional[int] = ..., gift_sku: _Optional[str] = ..., stored_value_fen: _Optional[int] = ..., count_item_code: _Optional[str] = ..., count_uses: _Optional[int] = ..., coupon_template_code: _Optional[str] = ..., store_ids: _Optional[_Iterable[str]] = ..., active: _Optional[bool] = ...) -> None: ...

class PointsDeductionPolicy(_message.Message):
    __slots__ = ("enabled", "points_per_unit", "unit_value_fen", "max_bill_share_bp", "min_points")
    ENABLED_FIELD_NUMBER: _ClassVar[int]
    POINTS_PER_UNIT_FIELD_NUMBER: _ClassVar[int]
    UNIT_VALUE_FEN_FIELD_NUMBER: _ClassVar[int]
    MAX_BILL_SHARE_BP_FIELD_NUMBER: _ClassVar[int]
    MIN_POINTS_FIELD_NUMBER: _ClassVar[int]
    enabled: bool
    points_per_unit: int
    unit_value_fen: int
    max_bill_share_bp: int
    min_points: int
    def __init__(self, enabled: _Optional[bool] = ..., points_per_unit: _Optional[int] = ..., unit_value_fen: _Optional[int] = ..., max_bill_share_bp: _Optional[int] = ..., min_points: _Optional[int] = ...) -> None: ...

class PointsExpiryPolicy(_message.Message):
    __slots__ = ("rule", "days", "reminder_days_before_expiry")
    RULE_FIELD_NUMBER: _ClassVar[int]
    DAYS_FIELD_NUMBER: _ClassVar[int]
    REMINDER_DAYS_BEFORE_EXPIRY_FIELD_NUMBER: _ClassVar[int]
    rule: PointsExpiryRule
    days: int
    reminder_days_before_expiry: int
    def __init__(self, rule: _Optional[_Union[PointsExpiryRule, str]] = ..., days: _Optional[int] = ..., reminder_days_before_expiry: _Optional[int] = ...) -> None: ...

class ReferralProgram(_message.Message):
    __slots__ = ("active", "points_on_card_opening", "spend_points_bp", "period_days")
    ACTIVE_FIELD_NUMBER: _ClassVar[int]
    POINTS_ON_CARD_OPENING_FIELD_NUMBER: _ClassVar[int]
    SPEND_POINTS_BP_FIELD_NUMBER: _ClassVar[int]
    PERIOD_DAYS_FIELD_NUMBER: _ClassVar[int]
    active: bool
    points_on_card_opening: int
    spend_points_bp: int
    period_days: int
    def __init__(self, active: _Optional[bool] = ..., points_on_card_opening: _Optional[int] = ..., spend_points_bp: _Optional[int] = ..., period_days: _Optional[int] = ...) -> None: ...

class CouponTemplate(_message.Message):
    __slots__ = ("code", "name", "kind", "face_value_fen", "discount_bp", "max_discount_fen", "product_skus", "min_spend_fen", "categories", "store_ids", "weekdays", "exclude_holidays", "validity_days", "valid_until", "stackable", "active", "start_minute_of_day", "end_minute_of_day", "level_codes", "issuer_franchisee_id", "valid_from", "transferable", "transfer_reward_points", "reminder_days_before_expiry")
    CODE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    FACE_VALUE_FEN_FIELD_NUMBER: _ClassVar[int]
    DISCOUNT_BP_FIELD_NUMBER: _ClassVar[int]
    MAX_DISCOUNT_FEN_FIELD_NUMBER: _ClassVar[int]
    PRODUCT_SKUS_FIELD_NUMBER: _ClassVar[int]
    MIN_SPEND_FEN_FIELD_NUMBER: _ClassVar[int]
    CATEGORIES_FIELD_NUMBER: _ClassVar[int]
    STORE_IDS_FIELD_NUMBER: _ClassVar[int]
    WEEKDAYS_FIELD_NUMBER: _ClassVar[int]
    EXCLUDE_HOLIDAYS_FIELD_NUMBER: _ClassVar[int]
    VALIDITY_DAYS_FIELD_NUMBER: _ClassVar[int]
    VALID_UNTIL_FIELD_NUMBER: _ClassVar[int]
    STACKABLE_FIELD_NUMBER: _ClassVar[int]
    ACTIVE_FIELD_NUMBER: _ClassVar[int]
    START_MINUTE_OF_DAY_FIELD_NUMBER: _ClassVar[int]
    END_MINUTE_OF_DAY_FIELD_NUMBER: _ClassVar[int]
    LEVEL_CODES_FIELD_NUMBER: _ClassVar[int]
    ISSUER_FRANCHISEE_ID_FIELD_NUMBER: _ClassVar[int]
    VALID_FROM_FIELD_NUMBER: _ClassVar[int]
    TRANSFERABLE_FIELD_NUMBER: _ClassVar[int]
    TRANSFER_REWARD_POINTS_FIELD_NUMBER: _ClassVar[int]
    REMINDER_DAYS_BEFORE_EXPIRY_FIELD_NUMBER: _ClassVar[int]
    code: str
    name: str
    kind: CouponKind
    face_value_fen: int
    discount_bp: int
    max_discount_fen: int
    product_skus: _containers.RepeatedScalarFieldContainer[str]
    min_spend_fen: int
    categories: _containers.RepeatedScalarFieldContainer[str]
    store_ids: _containers.RepeatedScalarFieldContainer[str]
    weekdays: _containers.RepeatedScalarFieldContainer[int]
    exclude_holidays: bool
    validity_days: int
    valid_until: _timestamp_pb2.Timestamp
    stackable: bool
    active: bool
    start_minute_of_day: int
    end_minute_of_day: int
    level_codes: _containers.RepeatedScalarFieldContainer[str]
    issuer_franchisee_id: str
    valid_from: _timestamp_pb2.Timestamp
    transferable: bool
    transfer_reward_points: int
    reminder_days_before_expiry: int
    def __init__(self, code: _Optional[str] = ..., name: _Optional[str] = ..., kind: _Optional[_Union[CouponKind, str]] = ..., face_value_fen: _Optional[int] = ..., discount_bp: _Optional[int] = ..., max_discount_fen: _Optional[int] = ..., product_skus: _Optional[_Iterable[str]] = ..., min_spend_fen: _Optional[int] = ..., categories: _Optional[_Iterable[str]] = ..., store_ids: _Optional[_Iterable[str]] = ..., weekdays: _Optional[_Iterable[int]] = ..., exclude_holidays: _Optional[bool] = ..., validity_days: _Optional[int] = ..., valid_until: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., stackable: _Optional[bool] = ..., active: _Optional[bool] = ..., start_minute_of_day: _Optional[int] = ..., end_minute_of_day: _Optional[int] = ..., level_codes: _Optional[_Iterable[str]] = ..., issuer_franchisee_id: _Optional[str] = ..., valid_from: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., transferable: _Optional[bool] = ..., transfer_reward_points: _Optional[int] = ..., reminder_days_before_expiry: _Optional[int] = ...) -> None: ...

class CountItem(_message.Message):
    __slots__ = ("code", "name", "eligible_skus", "uses_per_pack", "pack_price_fen", "validity_days", "active", "store_ids", "daily_uses_per_store", "period_days", "daily_cap_uses", "package_only")
    CODE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    ELIGIBLE_SKUS_FIELD_NUMBER: _ClassVar[int]
    USES_PER_PACK_FIELD_NUMBER: _ClassVar[int]
    PACK_PRICE_FEN_FIELD_NUMBER: _ClassVar[int]
    VALIDITY_DAYS_FIELD_NUMBER: _ClassVar[int]
    ACTIVE_FIELD_NUMBER: _ClassVar[int]
    STORE_IDS_FIELD_NUMBER: _ClassVar[int]
    DAILY_USES_PER_STORE_FIELD_NUMBER: _ClassVar[int]
    PERIOD_DAYS_FIELD_NUMBER: _ClassVar[int]
    DAILY_CAP_USES_FIELD_NUMBER: _ClassVar[int]
    PACKAGE_ONLY_FIELD_NUMBER: _ClassVar[int]
    code: str
    name: str
    eligible_skus: _containers.RepeatedScalarFieldContainer[str]
    uses_per_pack: int
    pack_price_fen: int
    validity_days: int
    active: bool
    store_ids: _containers.RepeatedScalarFieldContainer[str]
    daily_uses_per_store: int
    period_days: int
    daily_cap_uses: int
    package_only: bool
    def __init__(self, code: _Optional[str] = ..., name: _Optional[str] = ..., eligible_skus: _Optional[_Iterable[str]] = ..., uses_per_pack: _Optional[int] = ..., pack_price_fen: _Optional[int] = ..., validity_days: _Optional[int] = ..., active: _Optional[bool] = ..., store_ids: _Optional[_Iterable[str]] = ..., daily_uses_per_store: _Optional[int] = ..., period_days: _Optional[int] = ..., daily_cap_uses: _Optional[int] = ..., package_only: _Optional[bool] = ...) -> None: ...

class CountPackageItem(_message.Message):
    __slots__ = ("item_code", "uses")
    ITEM_CODE_FIELD_NUMBER: _ClassVar[int]
    USES_FIELD_NUMBER: _ClassVar[int]
    item_code: str
    uses: int
    def __init__(self, item_code: _Optional[str] = ..., uses: _Optional[int] = ...) -> None: ...

class CountPackage(_message.Message):
    __slots__ = ("code", "name", "price_fen", "items", "validity_days", "store_ids", "active")
    CODE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    PRICE_FEN_FIELD_NUMBER: _ClassVar[int]
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    VALIDITY_DAYS_FIELD_NUMBER: _ClassVar[int]
    STORE_IDS_FIELD_NUMBER: _ClassVar[int]
    ACTIVE_FIELD_NUMBER: _ClassVar[int]
    code: str
    name: str
    price_fen: int
    items: _containers.RepeatedCompositeFieldContainer[CountPackageItem]
    validity_days: int
    store_ids: _containers.RepeatedScalarFieldContainer[str]
    active: bool
    def __init__(self, code: _Optional[str] = ..., name: _Optional[str] = ..., price_fen: _Optional[int] = ..., items: _Optional[_Iterable[_Union[CountPackageItem, _Mapping]]] = ..., validity_days: _Optional[int] = ..., store_ids: _Optional[_Iterable[str]] = ..., active: _Optional[bool] = ...) -> None: ...

class FeeSchedule(_message.Message):
    __slots__ = ("effective_from_business_date", "interchange_bp", "collection_fee_bp", "platform_fee_bp", "coupon_fee_bp", "count_use_fee_bp")
    EFFECTIVE_FROM_BUSINESS_DATE_FIELD_NUMBER: _ClassVar[int]
    INTERCHANGE_BP_FIELD_NUMBER: _ClassVar[int]
    COLLECTION_FEE_BP_FIELD_NUMBER: _ClassVar[int]
    PLATFORM_FEE_BP_FIELD_NUMBER: _ClassVar[int]
    COUPON_FEE_BP_FIELD_NUMBER: _ClassVar[int]
    COUNT_USE_FEE_BP_FIELD_NUMBER: _ClassVar[int]
    effective_from_business_date: str
    interchange_bp: int
    collection_fee_bp: int
    platform_fee_bp: int
    coupon_fee_bp: int
    count_use_fee_bp: int
    def __init__(self, effective_from_business_date: _Optional[str] = ..., interchange_bp: _Optional[int] = ..., collection_fee_bp: _Optional[int] = ..., platform_fee_bp: _Optional[int] = ..., coupon_fee_bp: _Optional[int] = ..., count_use_fee_bp: _Optional[int] = ...) -> None: ...

class OfflineLimits(_message.Message):
    __slots__ = ("card_daily_limit_fen", "store_exposure_limit_fen", "pinless_limit_fen", "card_cache_max_age_seconds")
    CARD_DAILY_LIMIT_FEN_FIELD_NUMBER: _ClassVar[int]
    STORE_EXPOSURE_LIMIT_FEN_FIELD_NUMBER: _ClassVar[int]
    PINLESS_LIMIT_FEN_FIELD_NUMBER: _ClassVar[int]
    CARD_CACHE_MAX_AGE_SECONDS_FIELD_NUMBER: _ClassVar[int]
    card_daily_limit_fen: int
    store_exposure_limit_fen: int
    pinless_limit_fen: int
    card_cache_max_age_seconds: int
    def __init__(self, card_daily_limit_fen: _Optional[int] = ..., store_exposure_limit_fen: _Optional[int] = ..., pinless_limit_fen: _Optional[int] = ..., card_cache_max_age_seconds: _Optional[int] = ...) -> None: ...

class StoreOfflineLimits(_message.Message):
    __slots__ = ("store_id", "limits")
    STORE_ID_FIELD_NUMBER: _ClassVar[int]
    LIMITS_FIELD_NUMBER: _ClassVar[int]
    store_id: str
    limits: OfflineLimits
    def __init__(self, store_id: _Optional[str] = ..., limits: _Optional[_Union[OfflineLimits, _Mapping]] = ...) -> None: ...

class MemberDateGreeting(_message.Message):
    __slots__ = ("code", "kind", "days_before", "notification_template_code", "coupon_template_code", "card_type_code", "active")
    CODE_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    DAYS_BEFORE_FIELD_NUMBER: _ClassVar[int]
    NOTIFICATION_TEMPLATE_CODE_FIELD_NUMBER: _ClassVar[int]
    COUPON_TEMPLATE_CODE_FIELD_NUMBER: _ClassVar[int]
    CARD_TYPE_CODE_FIELD_NUMBER: _ClassVar[int]
    ACTIVE_FIELD_NUMBER: _ClassVar[int]
    code: str
    kind: MemberDateKind
    days_before: int
    notification_template_code: str
    coupon_template_code: str
    card_type_code: str
    active: bool
    def __init__(self, code: _Optional[str] = ..., kind: _Optional[_Union[MemberDateKind, str]] = ..., days_before: _Optional[int] = ..., notification_template_code: _Optional[str] = ..., coupon_template_code: _Optional[str] = ..., card_type_code: _Optional[str] = ..., active: _Optional[bool] = ...) -> None: ...

class NotificationTemplate(_message.Message):
    __slots__ = ("code", "event", "channel", "body", "active")
    CODE_FIELD_NUMBER: _ClassVar[int]
    EVENT_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    BODY_FIELD_NUMBER: _ClassVar[int]
    ACTIVE_FIELD_NUMBER: _ClassVar[int]
    code: str
    event: NotificationEvent
    channel: NotificationChannel
    body: str
    active: bool
    def __init__(self, code: _Optional[str] = ..., event: _Optional[_Union[NotificationEvent, str]] = ..., channel: _Optional[_Union[NotificationChannel, str]] = ..., body: _Optional[str] = ..., active: _Optional[bool] = ...) -> None: ...

class ChainSettings(_message.Message):
    __slots__ = ("chain_name", "business_time_zone", "business_day_cutoff", "pin_max_failed_attempts", "holidays", "receipt_footer", "stored_value_split", "pin_lock_minutes", "registration_coupon_template_codes", "birthday_coupon_template_codes", "member_date_greetings", "count_uses_reminder_days_before")
    CHAIN_NAME_FIELD_NUMBER: _ClassVar[int]
    BUSINESS_TIME_ZONE_FIELD_NUMBER: _ClassVar[int]
    BUSINESS_DAY_CUTOFF_FIELD_NUMBER: _ClassVar[int]
    PIN_MAX_FAILED_ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
    HOLIDAYS_FIELD_NUMBER: _ClassVar[int]
    RECEIPT_FOOTER_FIELD_NUMBER: _ClassVar[int]
    STORED_VALUE_SPLIT_FIELD_NUMBER: _ClassVar[int]
    PIN_LOCK_MINUTES_FIELD_NUMBER: _ClassVar[int]
    REGISTRATION_COUPON_TEMPLATE_CODES_FIELD_NUMBER: _ClassVar[int]
    BIRTHDAY_COUPON_TEMPLATE_CODES_FIELD_NUMBER: _ClassVar[int]
    MEMBER_DATE_GREETINGS_FIELD_NUMBER: _ClassVar[int]
    COUNT_USES_REMINDER_DAYS_BEFORE_FIELD_NUMBER: _ClassVar[int]
    chain_name: str
    business_time_zone: str
    business_day_cutoff: str
    pin_max_failed_attempts: int
    holidays: _containers.RepeatedScalarFieldContainer[str]
    receipt_footer: str
    stored_value_split: StoredValueSplitRule
    pin_lock_minutes: int
    registration_coupon_template_codes: _containers.RepeatedScalarFieldContainer[str]
    birthday_coupon_template_codes: _containers.RepeatedScalarFieldContainer[str]
    member_date_greetings: _containers.RepeatedCompositeFieldContainer[MemberDateGreeting]
    count_uses_reminder_days_before: int
    def __init__(self, chain_name: _Optional[str] = ..., business_time_zone: _Optional[str] = ..., business_day_cutoff: _Optional[str] = ..., pin_max_failed_attempts: _Optional[int] = ..., holidays: _Optional[_Iterable[str]] = ..., receipt_footer: _Optional[str] = ..., stored_value_split: _Optional[_Union[StoredValueSplitRule, str]] = ..., pin_lock_minutes: _Optional[int] = ..., registration_coupon_template_codes: _Optional[_Iterable[str]] = ..., birthday_coupon_template_codes: _Optional[_Iterable[str]] = ..., member_date_greetings: _Optional[_Iterable[_Union[MemberDateGreeting, _Mapping]]] = ..., count_uses_reminder_days_before: _Optional[int] = ...) -> None: ...

class LevelRule(_message.Message):
    __slots__ = ("level_code", "name", "window_days", "upgrade_window_spend_fen", "upgrade_window_recharge_fen", "upgrade_single_recharge_fen", "upgrade_points_balance", "keep_window_spend_fen", "keep_window_recharge_fen", "keep_points_balance", "grace_days", "downgrade_to_level_code", "active", "upgrade_single_spend_fen")
    LEVEL_CODE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    WINDOW_DAYS_FIELD_NUMBER: _ClassVar[int]
    UPGRADE_WINDOW_SPEND_FEN_FIELD_NUMBER: _ClassVar[int]
    UPGRADE_WINDOW_RECHARGE_FEN_FIELD_NUMBER: _ClassVar[int]
    UPGRADE_SINGLE_RECHARGE_FEN_FIELD_NUMBER: _ClassVar[int]
    UPGRADE_POINTS_BALANCE_FIELD_NUMBER: _ClassVar[int]
    KEEP_WINDOW_SPEND_FEN_FIELD_NUMBER: _ClassVar[int]
    KEEP_WINDOW_RECHARGE_FEN_FIELD_NUMBER: _ClassVar[int]
    KEEP_POINTS_BALANCE_FIELD_NUMBER: _ClassVar[int]
    GRACE_DAYS_FIELD_NUMBER: _ClassVar[int]
    DOWNGRADE_TO_LEVEL_CODE_FIELD_NUMBER: _ClassVar[int]
    ACTIVE_FIELD_NUMBER: _ClassVar[int]
    UPGRADE_SINGLE_SPEND_FEN_FIELD_NUMBER: _ClassVar[int]
    level_code: str
    name: str
    window_days: int
    upgrade_window_spend_fen: int
    upgrade_window_recharge_fen: int
    upgrade_single_recharge_fen: int
    upgrade_points_balance: int
    keep_window_spend_fen: int
    keep_window_recharge_fen: int
    keep_points_balance: int
    grace_days: int
    downgrade_to_level_code: str
    active: bool
    upgrade_single_spend_fen: int
    def __init__(self, level_code: _Optional[str] = ..., name: _Optional[str] = ..., window_days: _Optional[int] = ..., upgrade_window_spend_fen: _Optional[int] = ..., upgrade_window_recharge_fen: _Optional[int] = ..., upgrade_single_recharge_fen: _Optional[int] = ..., upgrade_points_balance: _Optional[int] = ..., keep_window_spend_fen: _Optional[int] = ..., keep_window_recharge_fen: _Optional[int] = ..., keep_points_balance: _Optional[int] = ..., grace_days: _Optional[int] = ..., downgrade_to_level_code: _Optional[str] = ..., active: _Optional[bool] = ..., upgrade_single_spend_fen: _Optional[int] = ...) -> None: ...

class CommissionPlan(_message.Message):
    __slots__ = ("code", "name", "event", "fixed_fen", "rate_bp", "level_codes", "staff_roles", "valid_from_business_date", "valid_until_business_date", "active")
    CODE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    EVENT_FIELD_NUMBER: _ClassVar[int]
    FIXED_FEN_FIELD_NUMBER: _ClassVar[int]
    RATE_BP_FIELD_NUMBER: _ClassVar[int]
    LEVEL_CODES_FIELD_NUMBER: _ClassVar[int]
    STAFF_ROLES_FIELD_NUMBER: _ClassVar[int]
    VALID_FROM_BUSINESS_DATE_FIELD_NUMBER: _ClassVar[int]
    VALID_UNTIL_BUSINESS_DATE_FIELD_NUMBER: _ClassVar[int]
    ACTIVE_FIELD_NUMBER: _ClassVar[int]
    code: str
    name: str
    event: CommissionEvent
    fixed_fen: int
    rate_bp: int
    level_codes: _containers.RepeatedScalarFieldContainer[str]
    staff_roles: _containers.RepeatedScalarFieldContainer[_directory_pb2.StaffRole]
    valid_from_business_date: str
    valid_until_business_date: str
    active: bool
    def __init__(self, code: _Optional[str] = ..., name: _Optional[str] = ..., event: _Optional[_Union[CommissionEvent, str]] = ..., fixed_fen: _Optional[int] = ..., rate_bp: _Optional[int] = ..., level_codes: _Optional[_Iterable[str]] = ..., staff_roles: _Optional[_Iterable[_Union[_directory_pb2.StaffRole, str]]] = ..., valid_from_business_date: _Optional[str] = ..., valid_until_business_date: _Optional[str] = ..., active: _Optional[bool] = ...) -> None: ...

class ConfigSnapshot(_message.Message):
    __slots__ = ("version", "card_types", "levels", "regions", "franchisees", "stores", "recharge_promotions", "earn_rules", "points_redemption_rules", "points_deduction", "coupon_templates", "count_items", "fee_schedules", "offline_limits", "store_offline_limits", "notification_templates", "staff", "settings", "generated_at", "points_expiry", "level_rules", "count_packages", "commission_plans", "referral_program")
    VERSION_FIELD_NUMBER: _ClassVar[int]
    CARD_TYPES_FIELD_NUMBER: _ClassVar[int]
    LEVELS_FIELD_NUMBER: _ClassVar[int]
    REGIONS_FIELD_NUMBER: _ClassVar[int]
    FRANCHISEES_FIELD_NUMBER: _ClassVar[int]
    STORES_FIELD_NUMBER: _ClassVar[int]
    RECHARGE_PROMOTIONS_FIELD_NUMBER: _ClassVar[int]
    EARN_RULES_FIELD_NUMBER: _ClassVar[int]
    POINTS_REDEMPTION_RULES_FIELD_NUMBER: _ClassVar[int]
    POINTS_DEDUCTION_FIELD_NUMBER: _ClassVar[int]
    COUPON_TEMPLATES_FIELD_NUMBER: _ClassVar[int]
    COUNT_ITEMS_FIELD_NUMBER: _ClassVar[int]
    FEE_SCHEDULES_FIELD_NUMBER: _ClassVar[int]
    OFFLINE_LIMITS_FIELD_NUMBER: _ClassVar[int]
    STORE_OFFLINE_LIMITS_FIELD_NUMBER: _ClassVar[int]
    NOTIFICATION_TEMPLATES_FIELD_NUMBER: _ClassVar[int]
    STAFF_FIELD_NUMBER: _ClassVar[int]
    SETTINGS_FIELD_NUMBER: _ClassVar[int]
    GENERATED_AT_FIELD_NUMBER: _ClassVar[int]
    POINTS_EXPIRY_FIELD_NUMBER: _ClassVar[int]
    LEVEL_RULES_FIELD_NUMBER: _ClassVar[int]
    COUNT_PACKAGES_FIELD_NUMBER: _ClassVar[int]
    COMMISSION_PLANS_FIELD_NUMBER: _ClassVar[int]
    REFERRAL_PROGRAM_FIELD_NUMBER: _ClassVar[int]
    version: int
    card_types: _containers.RepeatedCompositeFieldContainer[CardType]
    levels: _containers.RepeatedCompositeFieldContainer[Level]
    regions: _containers.RepeatedCompositeFieldContainer[_directory_pb2.Region]
    franchisees: _containers.RepeatedCompositeFieldContainer[_directory_pb2.Franchisee]
    stores: _containers.RepeatedCompositeFieldContainer[_directory_pb2.Store]
    recharge_promotions: _containers.RepeatedCompositeFieldContainer[RechargePromotion]
    earn_rules: _containers.RepeatedCompositeFieldContainer[EarnRule]
    points_redemption_rules: _containers.RepeatedCompositeFieldContainer[PointsRedemptionRule]
    points_deduction: PointsDeductionPolicy
    coupon_templates: _containers.RepeatedCompositeFieldContainer[CouponTemplate]
    count_items: _containers.RepeatedCompositeFieldContainer[CountItem]
    fee_schedules: _containers.RepeatedCompositeFieldContainer[FeeSchedule]
    offline_limits: OfflineLimits
    store_offline_limits: _containers.RepeatedCompositeFieldContainer[StoreOfflineLimits]
    notification_templates: _containers.RepeatedCompositeFieldContainer[NotificationTemplate]
    staff: _containers.RepeatedCompositeFieldContainer[_directory_pb2.Staff]
    settings: ChainSettings
    generated_at: _timestamp_pb2.Timestamp
    points_expiry: PointsExpiryPolicy
    level_rules: _containers.RepeatedCompositeFieldContainer[LevelRule]
    count_packages: _containers.RepeatedCompositeFieldContainer[CountPackage]
    commission_plans: _containers.RepeatedCompositeFieldContainer[CommissionPlan]
    referral_program: ReferralProgram
    def __init__(self, version: _Optional[int] = ..., card_types: _Optional[_Iterable[_Union[CardType, _Mapping]]] = ..., levels: _Optional[_Iterable[_Union[Level, _Mapping]]] = ..., regions: _Optional[_Iterable[_Union[_directory_pb2.Region, _Mapping]]] = ..., franchisees: _Optional[_Iterable[_Union[_directory_pb2.Franchisee, _Mapping]]] = ..., stores: _Optional[_Iterable[_Union[_directory_pb2.Store, _Mapping]]] = ..., recharge_promotions: _Optional[_Iterable[_Union[RechargePromotion, _Mapping]]] = ..., earn_rules: _Optional[_Iterable[_Union[EarnRule, _Mapping]]] = ..., points_redemption_rules: _Optional[_Iterable[_Union[PointsRedemptionRule, _Mapping]]] = ..., points_deduction: _Optional[_Union[PointsDeductionPolicy, _Mapping]] = ..., coupon_templates: _Optional[_Iterable[_Union[CouponTemplate, _Mapping]]] = ..., count_items: _Optional[_Iterable[_Union[CountItem, _Mapping]]] = ..., fee_schedules: _Optional[_Iterable[_Union[FeeSchedule, _Mapping]]] = ..., offline_limits: _Optional[_Union[OfflineLimits, _Mapping]] = ..., store_offline_limits: _Optional[_Iterable[_Union[StoreOfflineLimits, _Mapping]]] = ..., notification_templates: _Optional[_Iterable[_Union[NotificationTemplate, _Mapping]]] = ..., staff: _Optional[_Iterable[_Union[_directory_pb2.Staff, _Mapping]]] = ..., settings: _Optional[_Union[ChainSettings, _Mapping]] = ..., generated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., points_expiry: _Optional[_Union[PointsExpiryPolicy, _Mapping]] = ..., level_rules: _Optional[_Iterable[_Union[LevelRule, _Mapping]]] = ..., count_packages: _Optional[_Iterable[_Union[CountPackage, _Mapping]]] = ..., commission_plans: _Optional[_Iterable[_Union[CommissionPlan, _Mapping]]] = ..., referral_program: _Optional[_Union[ReferralProgram, _Mapping]] = ...) -> None: ...

class UpsertCardTypeRequest(_message.Message):
    __slots__ = ("request_id", "card_type")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    CARD_TYPE_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    card_type: CardType
    def __init__(self, request_id: _Optional[str] = ..., card_type: _Optional[_Union[CardType, _Mapping]] = ...) -> None: ...

class UpsertCardTypeResponse(_message.Message):
    __slots__ = ("card_type", "config_version")
    CARD_TYPE_FIELD_NUMBER: _ClassVar[int]
    CONFIG_VERSION_FIELD_NUMBER: _ClassVar[int]
    card_type: CardType
    config_version: int
    def __init__(self, card_type: _Optional[_Union[CardType, _Mapping]] = ..., config_version: _Optional[int] = ...) -> None: ...

class UpsertLevelRequest(_message.Message):
    __slots__ = ("request_id", "level")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    LEVEL_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    level: Level
    def __init__(self, request_id: _Optional[str] = ..., level: _Optional[_Union[Level, _Mapping]] = ...) -> None: ...

class UpsertLevelResponse(_message.Message):
    __slots__ = ("level", "config_version")
    LEVEL_FIELD_NUMBER: _ClassVar[int]
    CONFIG_VERSION_FIELD_NUMBER: _ClassVar[int]
    level: Level
    config_version: int
    def __init__(self, level: _Optional[_Union[Level, _Mapping]] = ..., config_version: _Optional[int] = ...) -> None: ...

class UpsertLevelRuleRequest(_message.Message):
    __slots__ = ("request_id", "level_rule")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    LEVEL_RULE_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    level_rule: LevelRule
    def __init__(self, request_id: _Optional[str] = ..., level_rule: _Optional[_Union[LevelRule, _Mapping]] = ...) -> None: ...

class UpsertLevelRuleResponse(_message.Message):
    __slots__ = ("level_rule", "config_version")
    LEVEL_RULE_FIELD_NUMBER: _ClassVar[int]
    CONFIG_VERSION_FIELD_NUMBER: _ClassVar[int]
    level_rule: LevelRule
    config_version: int
    def __init__(self, level_rule: _Optional[_Union[LevelRule, _Mapping]] = ..., config_version: _Optional[int] = ...) -> None: ...

class UpsertRechargePromotionRequest(_message.Message):
    __slots__ = ("request_id", "promotion")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    PROMOTION_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    promotion: RechargePromotion
    def __init__(self, request_id: _Optional[str] = ..., promotion: _Optional[_Union[RechargePromotion, _Mapping]] = ...) -> None: ...

class UpsertRechargePromotionResponse(_message.Message):
    __slots__ = ("promotion", "config_version")
    PROMOTION_FIELD_NUMBER: _ClassVar[int]
    CONFIG_VERSION_FIELD_NUMBER: _ClassVar[int]
    promotion: RechargePromotion
    config_version: int
    def __init__(self, promotion: _Optional[_Union[RechargePromotion, _Mapping]] = ..., config_version: _Optional[int] = ...) -> None: ...

class UpsertEarnRuleRequest(_message.Message):
    __slots__ = ("request_id", "earn_rule")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    EARN_RULE_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    earn_rule: EarnRule
    def __init__(self, request_id: _Optional[str] = ..., earn_rule: _Optional[_Union[EarnRule, _Mapping]] = ...) -> None: ...

class UpsertEarnRuleResponse(_message.Message):
    __slots__ = ("earn_rule", "config_version")
    EARN_RULE_FIELD_NUMBER: _ClassVar[int]
    CONFIG_VERSION_FIELD_NUMBER: _ClassVar[int]
    earn_rule: EarnRule
    config_version: int
    def __init__(self, earn_rule: _Optional[_Union[EarnRule, _Mapping]] = ..., config_version: _Optional[int] = ...) -> None: ...

class UpsertPointsRedemptionRuleRequest(_message.Message):
    __slots__ = ("request_id", "rule")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    RULE_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    rule: PointsRedemptionRule
    def __init__(self, request_id: _Optional[str] = ..., rule: _Optional[_Union[PointsRedemptionRule, _Mapping]] = ...) -> None: ...

class UpsertPointsRedemptionRuleResponse(_message.Message):
    __slots__ = ("rule", "config_version")
    RULE_FIELD_NUMBER: _ClassVar[int]
    CONFIG_VERSION_FIELD_NUMBER: _ClassVar[int]
    rule: PointsRedemptionRule
    config_version: int
    def __init__(self, rule: _Optional[_Union[PointsRedemptionRule, _Mapping]] = ..., config_version: _Optional[int] = ...) -> None: ...

class SetPointsDeductionPolicyRequest(_message.Message):
    __slots__ = ("request_id", "policy")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    POLICY_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    policy: PointsDeductionPolicy
    def __init__(self, request_id: _Optional[str] = ..., policy: _Optional[_Union[PointsDeductionPolicy, _Mapping]] = ...) -> None: ...

class SetPointsDeductionPolicyResponse(_message.Message):
    __slots__ = ("policy", "config_version")
    POLICY_FIELD_NUMBER: _ClassVar[int]
    CONFIG_VERSION_FIELD_NUMBER: _ClassVar[int]
    policy: PointsDeductionPolicy
    config_version: int
    def __init__(self, policy: _Optional[_Union[PointsDeductionPolicy, _Mapping]] = ..., config_version: _Optional[int] = ...) -> None: ...

class SetPointsExpiryPolicyRequest(_message.Message):
    __slots__ = ("request_id", "policy")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    POLICY_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    policy: PointsExpiryPolicy
    def __init__(self, request_id: _Optional[str] = ..., policy: _Optional[_Union[PointsExpiryPolicy, _Mapping]] = ...) -> None: ...

class SetPointsExpiryPolicyResponse(_message.Message):
    __slots__ = ("policy", "config_version")
    POLICY_FIELD_NUMBER: _ClassVar[int]
    CONFIG_VERSION_FIELD_NUMBER: _ClassVar[int]
    policy: PointsExpiryPolicy
    config_version: int
    def __init__(self, policy: _Optional[_Union[PointsExpiryPolicy, _Mapping]] = ..., config_version: _Optional[int] = ...) -> None: ...

class SetReferralProgramRequest(_message.Message):
    __slots__ = ("request_id", "program")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    PROGRAM_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    program: ReferralProgram
    def __init__(self, request_id: _Optional[str] = ..., program: _Optional[_Union[ReferralProgram, _Mapping]] = ...) -> None: ...

class SetReferralProgramResponse(_message.Message):
    __slots__ = ("program", "config_version")
    PROGRAM_FIELD_NUMBER: _ClassVar[int]
    CONFIG_VERSION_FIELD_NUMBER: _ClassVar[int]
    program: ReferralProgram
    config_version: int
    def __init__(self, program: _Optional[_Union[ReferralProgram, _Mapping]] = ..., config_version: _Optional[int] = ...) -> None: ...

class UpsertCouponTemplateRequest(_message.Message):
    __slots__ = ("request_id", "coupon_template")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    COUPON_TEMPLATE_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    coupon_template: CouponTemplate
    def __init__(self, request_id: _Optional[str] = ..., coupon_template: _Optional[_Union[CouponTemplate, _Mapping]] = ...) -> None: ...

class UpsertCouponTemplateResponse(_message.Message):
    __slots__ = ("coupon_template", "config_version")
    COUPON_TEMPLATE_FIELD_NUMBER: _ClassVar[int]
    CONFIG_VERSION_FIELD_NUMBER: _ClassVar[int]
    coupon_template: CouponTemplate
    config_version: int
    def __init__(self, coupon_template: _Optional[_Union[CouponTemplate, _Mapping]] = ..., config_version: _Optional[int] = ...) -> None: ...

class UpsertCountItemRequest(_message.Message):
    __slots__ = ("request_id", "count_item")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    COUNT_ITEM_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    count_item: CountItem
    def __init__(self, request_id: _Optional[str] = ..., count_item: _Optional[_Union[CountItem, _Mapping]] = ...) -> None: ...

class UpsertCountItemResponse(_message.Message):
    __slots__ = ("count_item", "config_version")
    COUNT_ITEM_FIELD_NUMBER: _ClassVar[int]
    CONFIG_VERSION_FIELD_NUMBER: _ClassVar[int]
    count_item: CountItem
    config_version: int
    def __init__(self, count_item: _Optional[_Union[CountItem, _Mapping]] = ..., config_version: _Optional[int] = ...) -> None: ...

class UpsertCountPackageRequest(_message.Message):
    __slots__ = ("request_id", "count_package")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    COUNT_PACKAGE_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    count_package: CountPackage
    def __init__(self, request_id: _Optional[str] = ..., count_package: _Optional[_Union[CountPackage, _Mapping]] = ...) -> None: ...

class UpsertCountPackageResponse(_message.Message):
    __slots__ = ("count_package", "config_version")
    COUNT_PACKAGE_FIELD_NUMBER: _ClassVar[int]
    CONFIG_VERSION_FIELD_NUMBER: _ClassVar[int]
    count_package: CountPackage
    config_version: int
    def __init__(self, count_package: _Optional[_Union[CountPackage, _Mapping]] = ..., config_version: _Optional[int] = ...) -> None: ...

class SetFeeScheduleRequest(_message.Message):
    __slots__ = ("request_id", "fee_schedule")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    FEE_SCHEDULE_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    fee_schedule: FeeSchedule
    def __init__(self, request_id: _Optional[str] = ..., fee_schedule: _Optional[_Union[FeeSchedule, _Mapping]] = ...) -> None: ...

class SetFeeScheduleResponse(_message.Message):
    __slots__ = ("fee_schedule", "config_version")
    FEE_SCHEDULE_FIELD_NUMBER: _ClassVar[int]
    CONFIG_VERSION_FIELD_NUMBER: _ClassVar[int]
    fee_schedule: FeeSchedule
    config_version: int
    def __init__(self, fee_schedule: _Optional[_Union[FeeSchedule, _Mapping]] = ..., config_version: _Optional[int] = ...) -> None: ...

class SetOfflineLimitsRequest(_message.Message):
    __slots__ = ("request_id", "limits")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    LIMITS_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    limits: OfflineLimits
    def __init__(self, request_id: _Optional[str] = ..., limits: _Optional[_Union[OfflineLimits, _Mapping]] = ...) -> None: ...

class SetOfflineLimitsResponse(_message.Message):
    __slots__ = ("limits", "config_version")
    LIMITS_FIELD_NUMBER: _ClassVar[int]
    CONFIG_VERSION_FIELD_NUMBER: _ClassVar[int]
    limits: OfflineLimits
    config_version: int
    def __init__(self, limits: _Optional[_Union[OfflineLimits, _Mapping]] = ..., config_version: _Optional[int] = ...) -> None: ...

class SetStoreOfflineLimitsRequest(_message.Message):
    __slots__ = ("request_id", "store_limits")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    STORE_LIMITS_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    store_limits: StoreOfflineLimits
    def __init__(self, request_id: _Optional[str] = ..., store_limits: _Optional[_Union[StoreOfflineLimits, _Mapping]] = ...) -> None: ...

class SetStoreOfflineLimitsResponse(_message.Message):
    __slots__ = ("store_limits", "config_version")
    STORE_LIMITS_FIELD_NUMBER: _ClassVar[int]
    CONFIG_VERSION_FIELD_NUMBER: _ClassVar[int]
    store_limits: StoreOfflineLimits
    config_version: int
    def __init__(self, store_limits: _Optional[_Union[StoreOfflineLimits, _Mapping]] = ..., config_version: _Optional[int] = ...) -> None: ...

class UpsertNotificationTemplateRequest(_message.Message):
    __slots__ = ("request_id", "template")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    TEMPLATE_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    template: NotificationTemplate
    def __init__(self, request_id: _Optional[str] = ..., template: _Optional[_Union[NotificationTemplate, _Mapping]] = ...) -> None: ...

class UpsertNotificationTemplateResponse(_message.Message):
    __slots__ = ("template", "config_version")
    TEMPLATE_FIELD_NUMBER: _ClassVar[int]
    CONFIG_VERSION_FIELD_NUMBER: _ClassVar[int]
    template: NotificationTemplate
    config_version: int
    def __init__(self, template: _Optional[_Union[NotificationTemplate, _Mapping]] = ..., config_version: _Optional[int] = ...) -> None: ...

class SetChainSettingsRequest(_message.Message):
    __slots__ = ("request_id", "settings")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    SETTINGS_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    settings: ChainSettings
    def __init__(self, request_id: _Optional[str] = ..., settings: _Optional[_Union[ChainSettings, _Mapping]] = ...) -> None: ...

class SetChainSettingsResponse(_message.Message):
    __slots__ = ("settings", "config_version")
    SETTINGS_FIELD_NUMBER: _ClassVar[int]
    CONFIG_VERSION_FIELD_NUMBER: _ClassVar[int]
    settings: ChainSettings
    config_version: int
    def __init__(self, settings: _Optional[_Union[ChainSettings, _Mapping]] = ..., config_version: _Optional[int] = ...) -> None: ...

class UpsertCommissionPlanRequest(_message.Message):
    __slots__ = ("request_id", "commission_plan")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    COMMISSION_PLAN_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    commission_plan: CommissionPlan
    def __init__(self, request_id: _Optional[str] = ..., commission_plan: _Optional[_Union[CommissionPlan, _Mapping]] = ...) -> None: ...

class UpsertCommissionPlanResponse(_message.Message):
    __slots__ = ("commission_plan", "config_version")
    COMMISSION_PLAN_FIELD_NUMBER: _ClassVar[int]
    CONFIG_VERSION_FIELD_NUMBER: _ClassVar[int]
    commission_plan: CommissionPlan
    config_version: int
    def __init__(self, commission_plan: _Optional[_Union[CommissionPlan, _Mapping]] = ..., config_version: _Optional[int] = ...) -> None: ...

class GetConfigSnapshotRequest(_message.Message):
    __slots__ = ("known_version",)
    KNOWN_VERSION_FIELD_NUMBER: _ClassVar[int]
    known_version: int
    def __init__(self, known_version: _Optional[int] = ...) -> None: ...

class GetConfigSnapshotResponse(_message.Message):
    __slots__ = ("snapshot", "unchanged")
    SNAPSHOT_FIELD_NUMBER: _ClassVar[int]
    UNCHANGED_FIELD_NUMBER: _ClassVar[int]
    snapshot: ConfigSnapshot
    unchanged: bool
    def __init__(self, snapshot: _Optional[_Union[ConfigSnapshot, _Mapping]] = ..., unchanged: _Optional[bool] = ...) -> None: ...
