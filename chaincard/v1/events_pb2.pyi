import datetime

from chaincard.v1 import audit_pb2 as _audit_pb2
from chaincard.v1 import common_pb2 as _common_pb2
from chaincard.v1 import program_config_pb2 as _program_config_pb2
from chaincard.v1 import transactions_pb2 as _transactions_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class EventEnvelope(_message.Message):
    __slots__ = ("event_id", "type", "schema_version", "occurred_at", "producer", "payload", "aggregate_id", "traceparent")
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    SCHEMA_VERSION_FIELD_NUMBER: _ClassVar[int]
    OCCURRED_AT_FIELD_NUMBER: _ClassVar[int]
    PRODUCER_FIELD_NUMBER: _ClassVar[int]
    PAYLOAD_FIELD_NUMBER: _ClassVar[int]
    AGGREGATE_ID_FIELD_NUMBER: _ClassVar[int]
    TRACEPARENT_FIELD_NUMBER: _ClassVar[int]
    event_id: str
    type: str
    schema_version: int
    occurred_at: _timestamp_pb2.Timestamp
    producer: str
    payload: bytes
    aggregate_id: str
    traceparent: str
    def __init__(self, event_id: _Optional[str] = ..., type: _Optional[str] = ..., schema_version: _Optional[int] = ..., occurred_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., producer: _Optional[str] = ..., payload: _Optional[bytes] = ..., aggregate_id: _Optional[str] = ..., traceparent: _Optional[str] = ...) -> None: ...

class MemberRegistered(_message.Message):
    __slots__ = ("member", "phone_hmac", "operator_id")
    MEMBER_FIELD_NUMBER: _ClassVar[int]
    PHONE_HMAC_FIELD_NUMBER: _ClassVar[int]
    OPERATOR_ID_FIELD_NUMBER: _ClassVar[int]
    member: _common_pb2.Member
    phone_hmac: str
    operator_id: str
    def __init__(self, member: _Optional[_Union[_common_pb2.Member, _Mapping]] = ..., phone_hmac: _Optional[str] = ..., operator_id: _Optional[str] = ...) -> None: ...

class MemberUpdated(_message.Message):
    __slots__ = ("member", "changed_fields", "phone_hmac", "previous_phone_hmac", "operator_id")
    MEMBER_FIELD_NUMBER: _ClassVar[int]
    CHANGED_FIELDS_FIELD_NUMBER: _ClassVar[int]
    PHONE_HMAC_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_PHONE_HMAC_FIELD_NUMBER: _ClassVar[int]
    OPERATOR_ID_FIELD_NUMBER: _ClassVar[int]
    member: _common_pb2.Member
    changed_fields: _containers.RepeatedScalarFieldContainer[str]
    phone_hmac: str
    previous_phone_hmac: str
    operator_id: str
    def __init__(self, member: _Optional[_Union[_common_pb2.Member, _Mapping]] = ..., changed_fields: _Optional[_Iterable[str]] = ..., phone_hmac: _Optional[str] = ..., previous_phone_hmac: _Optional[str] = ..., operator_id: _Optional[str] = ...) -> None: ...

class MemberErased(_message.Message):
    __slots__ = ("member", "erased_at", "operator_id")
    MEMBER_FIELD_NUMBER: _ClassVar[int]
    ERASED_AT_FIELD_NUMBER: _ClassVar[int]
    OPERATOR_ID_FIELD_NUMBER: _ClassVar[int]
    member: _common_pb2.Member
    erased_at: _timestamp_pb2.Timestamp
    operator_id: str
    def __init__(self, member: _Optional[_Union[_common_pb2.Member, _Mapping]] = ..., erased_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., operator_id: _Optional[str] = ...) -> None: ...

class CardOpened(_message.Message):
    __slots__ = ("card", "operator_id", "imported")
    CARD_FIELD_NUMBER: _ClassVar[int]
    OPERATOR_ID_FIELD_NUMBER: _ClassVar[int]
    IMPORTED_FIELD_NUMBER: _ClassVar[int]
    card: _common_pb2.Card
    operator_id: str
    imported: bool
    def __init__(self, card: _Optional[_Union[_common_pb2.Card, _Mapping]] = ..., operator_id: _Optional[str] = ..., imported: _Optional[bool] = ...) -> None: ...

class CardStateChanged(_message.Message):
    __slots__ = ("card_number", "previous_state", "state", "reason", "operator_id", "store_id", "replaced_by_card_number")
    CARD_NUMBER_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_STATE_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    OPERATOR_ID_FIELD_NUMBER: _ClassVar[int]
    STORE_ID_FIELD_NUMBER: _ClassVar[int]
    REPLACED_BY_CARD_NUMBER_FIELD_NUMBER: _ClassVar[int]
    card_number: str
    previous_state: _common_pb2.CardState
    state: _common_pb2.CardState
    reason: str
    operator_id: str
    store_id: str
    replaced_by_card_number: str
    def __init__(self, card_number: _Optional[str] = ..., previous_state: _Optional[_Union[_common_pb2.CardState, str]] = ..., state: _Optional[_Union[_common_pb2.CardState, str]] = ..., reason: _Optional[str] = ..., operator_id: _Optional[str] = ..., store_id: _Optional[str] = ..., replaced_by_card_number: _Optional[str] = ...) -> None: ...

class CardLevelChanged(_message.Message):
    __slots__ = ("card_number", "previous_level_code", "level_code", "cause", "reason", "operator_id", "store_id", "transaction_id", "changed_at")
    CARD_NUMBER_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_LEVEL_CODE_FIELD_NUMBER: _ClassVar[int]
    LEVEL_CODE_FIELD_NUMBER: _ClassVar[int]
    CAUSE_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    OPERATOR_ID_FIELD_NUMBER: _ClassVar[int]
    STORE_ID_FIELD_NUMBER: _ClassVar[int]
    TRANSACTION_ID_FIELD_NUMBER: _ClassVar[int]
    CHANGED_AT_FIELD_NUMBER: _ClassVar[int]
    card_number: str
    previous_level_code: str
    level_code: str
    cause: str
    reason: str
    operator_id: str
    store_id: str
    transaction_id: str
    changed_at: _timestamp_pb2.Timestamp
    def __init__(self, card_number: _Optional[str] = ..., previous_level_code: _Optional[str] = ..., level_code: _Optional[str] = ..., cause: _Optional[str] = ..., reason: _Optional[str] = ..., operator_id: _Optional[str] = ..., store_id: _Optional[str] = ..., transaction_id: _Optional[str] = ..., changed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class TransactionPosted(_message.Message):
    __slots__ = ("transaction", "member_id", "issuing_franchisee_id", "acquiring_store_id", "acquiring_franchisee_id", "postings", "tenders", "points_earned", "points_redeemed", "coupons", "issuing_store_id", "subtotal_fen", "discount_fen", "points_deduction_fen", "company_id")
    TRANSACTION_FIELD_NUMBER: _ClassVar[int]
    MEMBER_ID_FIELD_NUMBER: _ClassVar[int]
    ISSUING_FRANCHISEE_ID_FIELD_NUMBER: _ClassVar[int]
    ACQUIRING_STORE_ID_FIELD_NUMBER: _ClassVar[int]
    ACQUIRING_FRANCHISEE_ID_FIELD_NUMBER: _ClassVar[int]
    POSTINGS_FIELD_NUMBER: _ClassVar[int]
    TENDERS_FIELD_NUMBER: _ClassVar[int]
    POINTS_EARNED_FIELD_NUMBER: _ClassVar[int]
    POINTS_REDEEMED_FIELD_NUMBER: _ClassVar[int]
    COUPONS_FIELD_NUMBER: _ClassVar[int]
    ISSUING_STORE_ID_FIELD_NUMBER: _ClassVar[int]
    SUBTOTAL_FEN_FIELD_NUMBER: _ClassVar[int]
    DISCOUNT_FEN_FIELD_NUMBER: _ClassVar[int]
    POINTS_DEDUCTION_FEN_FIELD_NUMBER: _ClassVar[int]
    COMPANY_ID_FIELD_NUMBER: _ClassVar[int]
    transaction: _common_pb2.Transaction
    member_id: str
    issuing_franchisee_id: str
    acquiring_store_id: str
    acquiring_franchisee_id: str
    postings: _containers.RepeatedCompositeFieldContainer[_common_pb2.Posting]
    tenders: _containers.RepeatedCompositeFieldContainer[_transactions_pb2.AppliedTender]
    points_earned: int
    points_redeemed: int
    coupons: _containers.RepeatedCompositeFieldContainer[_transactions_pb2.AppliedCoupon]
    issuing_store_id: str
    subtotal_fen: int
    discount_fen: int
    points_deduction_fen: int
    company_id: str
    def __init__(self, transaction: _Optional[_Union[_common_pb2.Transaction, _Mapping]] = ..., member_id: _Optional[str] = ..., issuing_franchisee_id: _Optional[str] = ..., acquiring_store_id: _Optional[str] = ..., acquiring_franchisee_id: _Optional[str] = ..., postings: _Optional[_Iterable[_Union[_common_pb2.Posting, _Mapping]]] = ..., tenders: _Optional[_Iterable[_Union[_transactions_pb2.AppliedTender, _Mapping]]] = ..., points_earned: _Optional[int] = ..., points_redeemed: _Optional[int] = ..., coupons: _Optional[_Iterable[_Union[_transactions_pb2.AppliedCoupon, _Mapping]]] = ..., issuing_store_id: _Optional[str] = ..., subtotal_fen: _Optional[int] = ..., discount_fen: _Optional[int] = ..., points_deduction_fen: _Optional[int] = ..., company_id: _Optional[str] = ...) -> None: ...

class CompanyPaymentPosted(_message.Message):
    __slots__ = ("transaction_id", "payment_id", "company_id", "franchisee_id", "region_code", "business_date", "amount_fen", "postings", "occurred_at", "operator_id")
    TRANSACTION_ID_FIELD_NUMBER: _ClassVar[int]
    PAYMENT_ID_FIELD_NUMBER: _ClassVar[int]
    COMPANY_ID_FIELD_NUMBER: _ClassVar[int]
    FRANCHISEE_ID_FIELD_NUMBER: _ClassVar[int]
    REGION_CODE_FIELD_NUMBER: _ClassVar[int]
    BUSINESS_DATE_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FEN_FIELD_NUMBER: _ClassVar[int]
    POSTINGS_FIELD_NUMBER: _ClassVar[int]
    OCCURRED_AT_FIELD_NUMBER: _ClassVar[int]
    OPERATOR_ID_FIELD_NUMBER: _ClassVar[int]
    transaction_id: str
    payment_id: str
    company_id: str
    franchisee_id: str
    region_code: str
    business_date: str
    amount_fen: int
    postings: _containers.RepeatedCompositeFieldContainer[_common_pb2.Posting]
    occurred_at: _timestamp_pb2.Timestamp
    operator_id: str
    def __init__(self, transaction_id: _Optional[str] = ..., payment_id: _Optional[str] = ..., company_id: _Optional[str] = ..., franchisee_id: _Optional[str] = ..., region_code: _Optional[str] = ..., business_date: _Optional[str] = ..., amount_fen: _Optional[int] = ..., postings: _Optional[_Iterable[_Union[_common_pb2.Posting, _Mapping]]] = ..., occurred_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., operator_id: _Optional[str] = ...) -> None: ...

class CouponIssued(_message.Message):
    __slots__ = ("coupon", "operator_id")
    COUPON_FIELD_NUMBER: _ClassVar[int]
    OPERATOR_ID_FIELD_NUMBER: _ClassVar[int]
    coupon: _common_pb2.Coupon
    operator_id: str
    def __init__(self, coupon: _Optional[_Union[_common_pb2.Coupon, _Mapping]] = ..., operator_id: _Optional[str] = ...) -> None: ...

class CouponStateChanged(_message.Message):
    __slots__ = ("coupon_code", "card_number", "previous_state", "state", "transaction_id", "reason", "previous_card_number", "operator_id")
    COUPON_CODE_FIELD_NUMBER: _ClassVar[int]
    CARD_NUMBER_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_STATE_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    TRANSACTION_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_CARD_NUMBER_FIELD_NUMBER: _ClassVar[int]
    OPERATOR_ID_FIELD_NUMBER: _ClassVar[int]
    coupon_code: str
    card_number: str
    previous_state: _common_pb2.CouponState
    state: _common_pb2.CouponState
    transaction_id: str
    reason: str
    previous_card_number: str
    operator_id: str
    def __init__(self, coupon_code: _Optional[str] = ..., card_number: _Optional[str] = ..., previous_state: _Optional[_Union[_common_pb2.CouponState, str]] = ..., state: _Optional[_Union[_common_pb2.CouponState, str]] = ..., transaction_id: _Optional[str] = ..., reason: _Optional[str] = ..., previous_card_number: _Optional[str] = ..., operator_id: _Optional[str] = ...) -> None: ...

class CouponExpiring(_message.Message):
    __slots__ = ("coupon", "coupon_name", "member_id")
    COUPON_FIELD_NUMBER: _ClassVar[int]
    COUPON_NAME_FIELD_NUMBER: _ClassVar[int]
    MEMBER_ID_FIELD_NUMBER: _ClassVar[int]
    coupon: _common_pb2.Coupon
    coupon_name: str
    member_id: str
    def __init__(self, coupon: _Optional[_Union[_common_pb2.Coupon, _Mapping]] = ..., coupon_name: _Optional[str] = ..., member_id: _Optional[str] = ...) -> None: ...

class MemberDateComing(_message.Message):
    __slots__ = ("member_id", "card_number", "issuing_store_id", "greeting_code", "kind", "date", "days_before", "notification_template_code", "coupon_name")
    MEMBER_ID_FIELD_NUMBER: _ClassVar[int]
    CARD_NUMBER_FIELD_NUMBER: _ClassVar[int]
    ISSUING_STORE_ID_FIELD_NUMBER: _ClassVar[int]
    GREETING_CODE_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    DATE_FIELD_NUMBER: _ClassVar[int]
    DAYS_BEFORE_FIELD_NUMBER: _ClassVar[int]
    NOTIFICATION_TEMPLATE_CODE_FIELD_NUMBER: _ClassVar[int]
    COUPON_NAME_FIELD_NUMBER: _ClassVar[int]
    member_id: str
    card_number: str
    issuing_store_id: str
    greeting_code: str
    kind: _program_config_pb2.MemberDateKind
    date: str
    days_before: int
    notification_template_code: str
    coupon_name: str
    def __init__(self, member_id: _Optional[str] = ..., card_number: _Optional[str] = ..., issuing_store_id: _Optional[str] = ..., greeting_code: _Optional[str] = ..., kind: _Optional[_Union[_program_config_pb2.MemberDateKind, str]] = ..., date: _Optional[str] = ..., days_before: _Optional[int] = ..., notification_template_code: _Optional[str] = ..., coupon_name: _Optional[str] = ...) -> None: ...

class CountUsesExpiring(_message.Message):
    __slots__ = ("card_number", "member_id", "pack_id", "item_code", "item_name", "uses_left", "expires_at", "issuing_store_id")
    CARD_NUMBER_FIELD_NUMBER: _ClassVar[int]
    MEMBER_ID_FIELD_NUMBER: _ClassVar[int]
    PACK_ID_FIELD_NUMBER: _ClassVar[int]
    ITEM_CODE_FIELD_NUMBER: _ClassVar[int]
    ITEM_NAME_FIELD_NUMBER: _ClassVar[int]
    USES_LEFT_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_AT_FIELD_NUMBER: _ClassVar[int]
    ISSUING_STORE_ID_FIELD_NUMBER: _ClassVar[int]
    card_number: str
    member_id: str
    pack_id: str
    item_code: str
    item_name: str
    uses_left: int
    expires_at: _timestamp_pb2.Timestamp
    issuing_store_id: str
    def __init__(self, card_number: _Optional[str] = ..., member_id: _Optional[str] = ..., pack_id: _Optional[str] = ..., item_code: _Optional[str] = ..., item_name: _Optional[str] = ..., uses_left: _Optional[int] = ..., expires_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., issuing_store_id: _Optional[str] = ...) -> None: ...

class PointsExpiring(_message.Message):
    __slots__ = ("card_number", "member_id", "issuing_franchisee_id", "issuing_store_id", "points", "expires_at", "points_balance")
    CARD_NUMBER_FIELD_NUMBER: _ClassVar[int]
    MEMBER_ID_FIELD_NUMBER: _ClassVar[int]
    ISSUING_FRANCHISEE_ID_FIELD_NUMBER: _ClassVar[int]
    ISSUING_STORE_ID_FIELD_NUMBER: _ClassVar[int]
    POINTS_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_AT_FIELD_NUMBER: _ClassVar[int]
    POINTS_BALANCE_FIELD_NUMBER: _ClassVar[int]
    card_number: str
    member_id: str
    issuing_franchisee_id: str
    issuing_store_id: str
    points: int
    expires_at: _timestamp_pb2.Timestamp
    points_balance: int
    def __init__(self, card_number: _Optional[str] = ..., member_id: _Optional[str] = ..., issuing_franchisee_id: _Optional[str] = ..., issuing_store_id: _Optional[str] = ..., points: _Optional[int] = ..., expires_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., points_balance: _Optional[int] = ...) -> None: ...

class PointsExpiryOutlook(_message.Message):
    __slots__ = ("card_number", "issuing_franchisee_id", "points_expiring_30_days", "points_expiring_90_days", "as_of")
    CARD_NUMBER_FIELD_NUMBER: _ClassVar[int]
    ISSUING_FRANCHISEE_ID_FIELD_NUMBER: _ClassVar[int]
    POINTS_EXPIRING_30_DAYS_FIELD_NUMBER: _ClassVar[int]
    POINTS_EXPIRING_90_DAYS_FIELD_NUMBER: _ClassVar[int]
    AS_OF_FIELD_NUMBER: _ClassVar[int]
    card_number: str
    issuing_franchisee_id: str
    points_expiring_30_days: int
    points_expiring_90_days: int
    as_of: _timestamp_pb2.Timestamp
    def __init__(self, card_number: _Optional[str] = ..., issuing_franchisee_id: _Optional[str] = ..., points_expiring_30_days: _Optional[int] = ..., points_expiring_90_days: _Optional[int] = ..., as_of: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ConfigChanged(_message.Message):
    __slots__ = ("snapshot",)
    SNAPSHOT_FIELD_NUMBER: _ClassVar[int]
    snapshot: _program_config_pb2.ConfigSnapshot
    def __init__(self, snapshot: _Optional[_Union[_program_config_pb2.ConfigSnapshot, _Mapping]] = ...) -> None: ...

class AuditEntryRecorded(_message.Message):
    __slots__ = ("entry",)
    ENTRY_FIELD_NUMBER: _ClassVar[int]
    entry: _audit_pb2.AuditEntry
    def __init__(self, entry: _Optional[_Union[_audit_pb2.AuditEntry, _Mapping]] = ...) -> None: ...

class CardTypeChanged(_message.Message):
    __slots__ = ("card_number", "previous_card_type_code", "card_type_code", "cause", "expires_at", "level_code", "transaction_id", "store_id", "operator_id", "changed_at", "member_id")
    CARD_NUMBER_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_CARD_TYPE_CODE_FIELD_NUMBER: _ClassVar[int]
    CARD_TYPE_CODE_FIELD_NUMBER: _ClassVar[int]
    CAUSE_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_AT_FIELD_NUMBER: _ClassVar[int]
    LEVEL_CODE_FIELD_NUMBER: _ClassVar[int]
    TRANSACTION_ID_FIELD_NUMBER: _ClassVar[int]
    STORE_ID_FIELD_NUMBER: _ClassVar[int]
    OPERATOR_ID_FIELD_NUMBER: _ClassVar[int]
    CHANGED_AT_FIELD_NUMBER: _ClassVar[int]
    MEMBER_ID_FIELD_NUMBER: _ClassVar[int]
    card_number: str
    previous_card_type_code: str
    card_type_code: str
    cause: str
    expires_at: _timestamp_pb2.Timestamp
    level_code: str
    transaction_id: str
    store_id: str
    operator_id: str
    changed_at: _timestamp_pb2.Timestamp
    member_id: str
    def __init__(self, card_number: _Optional[str] = ..., previous_card_type_code: _Optional[str] = ..., card_type_code: _Optional[str] = ..., cause: _Optional[str] = ..., expires_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., level_code: _Optional[str] = ..., transaction_id: _Optional[str] = ..., store_id: _Optional[str] = ..., operator_id: _Optional[str] = ..., changed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., member_id: _Optional[str] = ...) -> None: ...

class MemberLevelChanged(_message.Message):
    __slots__ = ("card_number", "member_id", "previous_level_name", "level_name", "cause", "store_id", "changed_at")
    CARD_NUMBER_FIELD_NUMBER: _ClassVar[int]
    MEMBER_ID_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_LEVEL_NAME_FIELD_NUMBER: _ClassVar[int]
    LEVEL_NAME_FIELD_NUMBER: _ClassVar[int]
    CAUSE_FIELD_NUMBER: _ClassVar[int]
    STORE_ID_FIELD_NUMBER: _ClassVar[int]
    CHANGED_AT_FIELD_NUMBER: _ClassVar[int]
    card_number: str
    member_id: str
    previous_level_name: str
    level_name: str
    cause: str
    store_id: str
    changed_at: _timestamp_pb2.Timestamp
    def __init__(self, card_number: _Optional[str] = ..., member_id: _Optional[str] = ..., previous_level_name: _Optional[str] = ..., level_name: _Optional[str] = ..., cause: _Optional[str] = ..., store_id: _Optional[str] = ..., changed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class CardLinkChanged(_message.Message):
    __slots__ = ("linked_card_number", "main_card_number", "linked", "monthly_limit_fen", "month", "spent_fen", "cause", "member_id", "transaction_id", "operator_id", "changed_at")
    LINKED_CARD_NUMBER_FIELD_NUMBER: _ClassVar[int]
    MAIN_CARD_NUMBER_FIELD_NUMBER: _ClassVar[int]
    LINKED_FIELD_NUMBER: _ClassVar[int]
    MONTHLY_LIMIT_FEN_FIELD_NUMBER: _ClassVar[int]
    MONTH_FIELD_NUMBER: _ClassVar[int]
    SPENT_FEN_FIELD_NUMBER: _ClassVar[int]
    CAUSE_FIELD_NUMBER: _ClassVar[int]
    MEMBER_ID_FIELD_NUMBER: _ClassVar[int]
    TRANSACTION_ID_FIELD_NUMBER: _ClassVar[int]
    OPERATOR_ID_FIELD_NUMBER: _ClassVar[int]
    CHANGED_AT_FIELD_NUMBER: _ClassVar[int]
    linked_card_number: str
    main_card_number: str
    linked: bool
    monthly_limit_fen: int
    month: str
    spent_fen: int
    cause: str
    member_id: str
    transaction_id: str
    operator_id: str
    changed_at: _timestamp_pb2.Timestamp
    def __init__(self, linked_card_number: _Optional[str] = ..., main_card_number: _Optional[str] = ..., linked: _Optional[bool] = ..., monthly_limit_fen: _Optional[int] = ..., month: _Optional[str] = ..., spent_fen: _Optional[int] = ..., cause: _Optional[str] = ..., member_id: _Optional[str] = ..., transaction_id: _Optional[str] = ..., operator_id: _Optional[str] = ..., changed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ReferralPointsEarned(_message.Message):
    __slots__ = ("kind", "referrer_member_id", "referrer_home_region", "referee_member_id", "referee_home_region", "points", "transaction_id", "card_number", "amount_fen", "spend_points_bp", "award_event_id", "occurred_at")
    class Kind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        KIND_UNSPECIFIED: _ClassVar[ReferralPointsEarned.Kind]
        KIND_CARD_OPENING: _ClassVar[ReferralPointsEarned.Kind]
        KIND_SPEND: _ClassVar[ReferralPointsEarned.Kind]
        KIND_CLAWBACK: _ClassVar[ReferralPointsEarned.Kind]
    KIND_UNSPECIFIED: ReferralPointsEarned.Kind
    KIND_CARD_OPENING: ReferralPointsEarned.Kind
    KIND_SPEND: ReferralPointsEarned.Kind
    KIND_CLAWBACK: ReferralPointsEarned.Kind
    KIND_FIELD_NUMBER: _ClassVar[int]
    REFERRER_MEMBER_ID_FIELD_NUMBER: _ClassVar[int]
    REFERRER_HOME_REGION_FIELD_NUMBER: _ClassVar[int]
    REFEREE_MEMBER_ID_FIELD_NUMBER: _ClassVar[int]
    REFEREE_HOME_REGION_FIELD_NUMBER: _ClassVar[int]
    POINTS_FIELD_NUMBER: _ClassVar[int]
    TRANSACTION_ID_FIELD_NUMBER: _ClassVar[int]
    CARD_NUMBER_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FEN_FIELD_NUMBER: _ClassVar[int]
    SPEND_POINTS_BP_FIELD_NUMBER: _ClassVar[int]
    AWARD_EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    OCCURRED_AT_FIELD_NUMBER: _ClassVar[int]
    kind: ReferralPointsEarned.Kind
    referrer_member_id: str
    referrer_home_region: str
    referee_member_id: str
    referee_home_region: str
    points: int
    transaction_id: str
    card_number: str
    amount_fen: int
    spend_points_bp: int
    award_event_id: str
    occurred_at: _timestamp_pb2.Timestamp
    def __init__(self, kind: _Optional[_Union[ReferralPointsEarned.Kind, str]] = ..., referrer_member_id: _Optional[str] = ..., referrer_home_region: _Optional[str] = ..., referee_member_id: _Optional[str] = ..., referee_home_region: _Optional[str] = ..., points: _Optional[int] = ..., transaction_id: _Optional[str] = ..., card_number: _Optional[str] = ..., amount_fen: _Optional[int] = ..., spend_points_bp: _Optional[int] = ..., award_event_id: _Optional[str] = ..., occurred_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...
