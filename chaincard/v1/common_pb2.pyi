import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Gender(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    GENDER_UNSPECIFIED: _ClassVar[Gender]
    GENDER_FEMALE: _ClassVar[Gender]
    GENDER_MALE: _ClassVar[Gender]
    GENDER_OTHER: _ClassVar[Gender]

class RegistrationChannel(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    REGISTRATION_CHANNEL_UNSPECIFIED: _ClassVar[RegistrationChannel]
    REGISTRATION_CHANNEL_STORE: _ClassVar[RegistrationChannel]
    REGISTRATION_CHANNEL_CALL_CENTER: _ClassVar[RegistrationChannel]
    REGISTRATION_CHANNEL_WEB: _ClassVar[RegistrationChannel]
    REGISTRATION_CHANNEL_BATCH_IMPORT: _ClassVar[RegistrationChannel]

class CardForm(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CARD_FORM_UNSPECIFIED: _ClassVar[CardForm]
    CARD_FORM_VIRTUAL: _ClassVar[CardForm]
    CARD_FORM_PHYSICAL: _ClassVar[CardForm]

class CardState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CARD_STATE_UNSPECIFIED: _ClassVar[CardState]
    CARD_STATE_INACTIVE: _ClassVar[CardState]
    CARD_STATE_ACTIVE: _ClassVar[CardState]
    CARD_STATE_LOST: _ClassVar[CardState]
    CARD_STATE_FROZEN: _ClassVar[CardState]
    CARD_STATE_CLOSED: _ClassVar[CardState]
    CARD_STATE_EXPIRED: _ClassVar[CardState]
    CARD_STATE_REPLACED: _ClassVar[CardState]

class Asset(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ASSET_UNSPECIFIED: _ClassVar[Asset]
    ASSET_STORED_VALUE_PRINCIPAL: _ClassVar[Asset]
    ASSET_STORED_VALUE_BONUS: _ClassVar[Asset]
    ASSET_POINTS: _ClassVar[Asset]
    ASSET_COUNT_USES: _ClassVar[Asset]
    ASSET_COUPON_VALUE: _ClassVar[Asset]

class TenderType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TENDER_TYPE_UNSPECIFIED: _ClassVar[TenderType]
    TENDER_TYPE_STORED_VALUE: _ClassVar[TenderType]
    TENDER_TYPE_CASH: _ClassVar[TenderType]
    TENDER_TYPE_BANK_CARD: _ClassVar[TenderType]
    TENDER_TYPE_MOBILE_PAY: _ClassVar[TenderType]
    TENDER_TYPE_OTHER_MEMBER_CARD: _ClassVar[TenderType]
    TENDER_TYPE_COUNT_USES: _ClassVar[TenderType]
    TENDER_TYPE_INVOICE: _ClassVar[TenderType]

class TransactionType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TRANSACTION_TYPE_UNSPECIFIED: _ClassVar[TransactionType]
    TRANSACTION_TYPE_RECHARGE: _ClassVar[TransactionType]
    TRANSACTION_TYPE_SPEND: _ClassVar[TransactionType]
    TRANSACTION_TYPE_REFUND: _ClassVar[TransactionType]
    TRANSACTION_TYPE_VOID: _ClassVar[TransactionType]
    TRANSACTION_TYPE_POINTS_ADJUSTMENT: _ClassVar[TransactionType]
    TRANSACTION_TYPE_CARD_CLOSURE: _ClassVar[TransactionType]
    TRANSACTION_TYPE_BALANCE_TRANSFER: _ClassVar[TransactionType]
    TRANSACTION_TYPE_OFFLINE_ADVICE: _ClassVar[TransactionType]
    TRANSACTION_TYPE_POINTS_REDEMPTION: _ClassVar[TransactionType]
    TRANSACTION_TYPE_COUNT_USES_PURCHASE: _ClassVar[TransactionType]
    TRANSACTION_TYPE_EXPIRY: _ClassVar[TransactionType]
    TRANSACTION_TYPE_RECEIVABLE_WRITE_OFF: _ClassVar[TransactionType]
    TRANSACTION_TYPE_POINTS_EXPIRY: _ClassVar[TransactionType]
    TRANSACTION_TYPE_COUNT_USES_EXPIRY: _ClassVar[TransactionType]
    TRANSACTION_TYPE_LEVEL_PURCHASE: _ClassVar[TransactionType]
    TRANSACTION_TYPE_OPENING_BALANCE: _ClassVar[TransactionType]
    TRANSACTION_TYPE_COMPANY_RECHARGE: _ClassVar[TransactionType]
    TRANSACTION_TYPE_REFERRAL_POINTS: _ClassVar[TransactionType]
    TRANSACTION_TYPE_COMPANY_PAYMENT: _ClassVar[TransactionType]

class PostingDirection(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    POSTING_DIRECTION_UNSPECIFIED: _ClassVar[PostingDirection]
    POSTING_DIRECTION_DEBIT: _ClassVar[PostingDirection]
    POSTING_DIRECTION_CREDIT: _ClassVar[PostingDirection]

class PaperWidth(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PAPER_WIDTH_UNSPECIFIED: _ClassVar[PaperWidth]
    PAPER_WIDTH_58_MM: _ClassVar[PaperWidth]
    PAPER_WIDTH_80_MM: _ClassVar[PaperWidth]

class ExportFormat(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    EXPORT_FORMAT_UNSPECIFIED: _ClassVar[ExportFormat]
    EXPORT_FORMAT_CSV: _ClassVar[ExportFormat]
    EXPORT_FORMAT_XLSX: _ClassVar[ExportFormat]
    EXPORT_FORMAT_PDF: _ClassVar[ExportFormat]

class CouponState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    COUPON_STATE_UNSPECIFIED: _ClassVar[CouponState]
    COUPON_STATE_AVAILABLE: _ClassVar[CouponState]
    COUPON_STATE_REDEEMED: _ClassVar[CouponState]
    COUPON_STATE_EXPIRED: _ClassVar[CouponState]
    COUPON_STATE_VOIDED: _ClassVar[CouponState]
GENDER_UNSPECIFIED: Gender
GENDER_FEMALE: Gender
GENDER_MALE: Gender
GENDER_OTHER: Gender
REGISTRATION_CHANNEL_UNSPECIFIED: RegistrationChannel
REGISTRATION_CHANNEL_STORE: RegistrationChannel
REGISTRATION_CHANNEL_CALL_CENTER: RegistrationChannel
REGISTRATION_CHANNEL_WEB: RegistrationChannel
REGISTRATION_CHANNEL_BATCH_IMPORT: RegistrationChannel
CARD_FORM_UNSPECIFIED: CardForm
CARD_FORM_VIRTUAL: CardForm
CARD_FORM_PHYSICAL: CardForm
CARD_STATE_UNSPECIFIED: CardState
CARD_STATE_INACTIVE: CardState
CARD_STATE_ACTIVE: CardState
CARD_STATE_LOST: CardState
CARD_STATE_FROZEN: CardState
CARD_STATE_CLOSED: CardState
CARD_STATE_EXPIRED: CardState
CARD_STATE_REPLACED: CardState
ASSET_UNSPECIFIED: Asset
ASSET_STORED_VALUE_PRINCIPAL: Asset
ASSET_STORED_VALUE_BONUS: Asset
ASSET_POINTS: Asset
ASSET_COUNT_USES: Asset
ASSET_COUPON_VALUE: Asset
TENDER_TYPE_UNSPECIFIED: TenderType
TENDER_TYPE_STORED_VALUE: TenderType
TENDER_TYPE_CASH: TenderType
TENDER_TYPE_BANK_CARD: TenderType
TENDER_TYPE_MOBILE_PAY: TenderType
TENDER_TYPE_OTHER_MEMBER_CARD: TenderType
TENDER_TYPE_COUNT_USES: TenderType
TENDER_TYPE_INVOICE: TenderType
TRANSACTION_TYPE_UNSPECIFIED: TransactionType
TRANSACTION_TYPE_RECHARGE: TransactionType
TRANSACTION_TYPE_SPEND: TransactionType
TRANSACTION_TYPE_REFUND: TransactionType
TRANSACTION_TYPE_VOID: TransactionType
TRANSACTION_TYPE_POINTS_ADJUSTMENT: TransactionType
TRANSACTION_TYPE_CARD_CLOSURE: TransactionType
TRANSACTION_TYPE_BALANCE_TRANSFER: TransactionType
TRANSACTION_TYPE_OFFLINE_ADVICE: TransactionType
TRANSACTION_TYPE_POINTS_REDEMPTION: TransactionType
TRANSACTION_TYPE_COUNT_USES_PURCHASE: TransactionType
TRANSACTION_TYPE_EXPIRY: TransactionType
TRANSACTION_TYPE_RECEIVABLE_WRITE_OFF: TransactionType
TRANSACTION_TYPE_POINTS_EXPIRY: TransactionType
TRANSACTION_TYPE_COUNT_USES_EXPIRY: TransactionType
TRANSACTION_TYPE_LEVEL_PURCHASE: TransactionType
TRANSACTION_TYPE_OPENING_BALANCE: TransactionType
TRANSACTION_TYPE_COMPANY_RECHARGE: TransactionType
TRANSACTION_TYPE_REFERRAL_POINTS: TransactionType
TRANSACTION_TYPE_COMPANY_PAYMENT: TransactionType
POSTING_DIRECTION_UNSPECIFIED: PostingDirection
POSTING_DIRECTION_DEBIT: PostingDirection
POSTING_DIRECTION_CREDIT: PostingDirection
PAPER_WIDTH_UNSPECIFIED: PaperWidth
PAPER_WIDTH_58_MM: PaperWidth
PAPER_WIDTH_80_MM: PaperWidth
EXPORT_FORMAT_UNSPECIFIED: ExportFormat
EXPORT_FORMAT_CSV: ExportFormat
EXPORT_FORMAT_XLSX: ExportFormat
EXPORT_FORMAT_PDF: ExportFormat
COUPON_STATE_UNSPECIFIED: CouponState
COUPON_STATE_AVAILABLE: CouponState
COUPON_STATE_REDEEMED: CouponState
COUPON_STATE_EXPIRED: CouponState
COUPON_STATE_VOIDED: CouponState

class CountUseBalance(_message.Message):
    __slots__ = ("item_code", "uses", "expires_at", "time_pass", "period_ends_at", "daily_cap_uses", "used_today")
    ITEM_CODE_FIELD_NUMBER: _ClassVar[int]
    USES_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_AT_FIELD_NUMBER: _ClassVar[int]
    TIME_PASS_FIELD_NUMBER: _ClassVar[int]
    PERIOD_ENDS_AT_FIELD_NUMBER: _ClassVar[int]
    DAILY_CAP_USES_FIELD_NUMBER: _ClassVar[int]
    USED_TODAY_FIELD_NUMBER: _ClassVar[int]
    item_code: str
    uses: int
    expires_at: _timestamp_pb2.Timestamp
    time_pass: bool
    period_ends_at: _timestamp_pb2.Timestamp
    daily_cap_uses: int
    used_today: int
    def __init__(self, item_code: _Optional[str] = ..., uses: _Optional[int] = ..., expires_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., time_pass: _Optional[bool] = ..., period_ends_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., daily_cap_uses: _Optional[int] = ..., used_today: _Optional[int] = ...) -> None: ...

class Balances(_message.Message):
    __slots__ = ("principal_fen", "bonus_fen", "points", "count_uses", "owed_fen", "points_owed")
    PRINCIPAL_FEN_FIELD_NUMBER: _ClassVar[int]
    BONUS_FEN_FIELD_NUMBER: _ClassVar[int]
    POINTS_FIELD_NUMBER: _ClassVar[int]
    COUNT_USES_FIELD_NUMBER: _ClassVar[int]
    OWED_FEN_FIELD_NUMBER: _ClassVar[int]
    POINTS_OWED_FIELD_NUMBER: _ClassVar[int]
    principal_fen: int
    bonus_fen: int
    points: int
    count_uses: _containers.RepeatedCompositeFieldContainer[CountUseBalance]
    owed_fen: int
    points_owed: int
    def __init__(self, principal_fen: _Optional[int] = ..., bonus_fen: _Optional[int] = ..., points: _Optional[int] = ..., count_uses: _Optional[_Iterable[_Union[CountUseBalance, _Mapping]]] = ..., owed_fen: _Optional[int] = ..., points_owed: _Optional[int] = ...) -> None: ...

class ReceiptLine(_message.Message):
    __slots__ = ("text",)
    TEXT_FIELD_NUMBER: _ClassVar[int]
    text: str
    def __init__(self, text: _Optional[str] = ...) -> None: ...

class Posting(_message.Message):
    __slots__ = ("account_id", "asset", "asset_item", "direction", "amount")
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    ASSET_FIELD_NUMBER: _ClassVar[int]
    ASSET_ITEM_FIELD_NUMBER: _ClassVar[int]
    DIRECTION_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    account_id: str
    asset: Asset
    asset_item: str
    direction: PostingDirection
    amount: int
    def __init__(self, account_id: _Optional[str] = ..., asset: _Optional[_Union[Asset, str]] = ..., asset_item: _Optional[str] = ..., direction: _Optional[_Union[PostingDirection, str]] = ..., amount: _Optional[int] = ...) -> None: ...

class CountUseChange(_message.Message):
    __slots__ = ("item_code", "uses_delta")
    ITEM_CODE_FIELD_NUMBER: _ClassVar[int]
    USES_DELTA_FIELD_NUMBER: _ClassVar[int]
    item_code: str
    uses_delta: int
    def __init__(self, item_code: _Optional[str] = ..., uses_delta: _Optional[int] = ...) -> None: ...

class CountUseConsumption(_message.Message):
    __slots__ = ("item_code", "uses", "seller_franchisee_id", "value_fen")
    ITEM_CODE_FIELD_NUMBER: _ClassVar[int]
    USES_FIELD_NUMBER: _ClassVar[int]
    SELLER_FRANCHISEE_ID_FIELD_NUMBER: _ClassVar[int]
    VALUE_FEN_FIELD_NUMBER: _ClassVar[int]
    item_code: str
    uses: int
    seller_franchisee_id: str
    value_fen: int
    def __init__(self, item_code: _Optional[str] = ..., uses: _Optional[int] = ..., seller_franchisee_id: _Optional[str] = ..., value_fen: _Optional[int] = ...) -> None: ...

class Transaction(_message.Message):
    __slots__ = ("transaction_id", "type", "card_number", "store_id", "amount_fen", "principal_delta_fen", "bonus_delta_fen", "points_delta", "balances_after", "occurred_at", "business_date", "original_transaction_id", "home_region", "operator_id", "request_id", "count_use_deltas", "overdrawn", "reason", "owed_delta_fen", "posted_at", "coupon_conflicts", "count_use_consumptions", "presenting_card_number", "funding_card_number")
    TRANSACTION_ID_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    CARD_NUMBER_FIELD_NUMBER: _ClassVar[int]
    STORE_ID_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FEN_FIELD_NUMBER: _ClassVar[int]
    PRINCIPAL_DELTA_FEN_FIELD_NUMBER: _ClassVar[int]
    BONUS_DELTA_FEN_FIELD_NUMBER: _ClassVar[int]
    POINTS_DELTA_FIELD_NUMBER: _ClassVar[int]
    BALANCES_AFTER_FIELD_NUMBER: _ClassVar[int]
    OCCURRED_AT_FIELD_NUMBER: _ClassVar[int]
    BUSINESS_DATE_FIELD_NUMBER: _ClassVar[int]
    ORIGINAL_TRANSACTION_ID_FIELD_NUMBER: _ClassVar[int]
    HOME_REGION_FIELD_NUMBER: _ClassVar[int]
    OPERATOR_ID_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    COUNT_USE_DELTAS_FIELD_NUMBER: _ClassVar[int]
    OVERDRAWN_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    OWED_DELTA_FEN_FIELD_NUMBER: _ClassVar[int]
    POSTED_AT_FIELD_NUMBER: _ClassVar[int]
    COUPON_CONFLICTS_FIELD_NUMBER: _ClassVar[int]
    COUNT_USE_CONSUMPTIONS_FIELD_NUMBER: _ClassVar[int]
    PRESENTING_CARD_NUMBER_FIELD_NUMBER: _ClassVar[int]
    FUNDING_CARD_NUMBER_FIELD_NUMBER: _ClassVar[int]
    transaction_id: str
    type: TransactionType
    card_number: str
    store_id: str
    amount_fen: int
    principal_delta_fen: int
    bonus_delta_fen: int
    points_delta: int
    balances_after: Balances
    occurred_at: _timestamp_pb2.Timestamp
    business_date: str
    original_transaction_id: str
    home_region: str
    operator_id: str
    request_id: str
    count_use_deltas: _containers.RepeatedCompositeFieldContainer[CountUseChange]
    overdrawn: bool
    reason: str
    owed_delta_fen: int
    posted_at: _timestamp_pb2.Timestamp
    coupon_conflicts: _containers.RepeatedCompositeFieldContainer[CouponConflict]
    count_use_consumptions: _containers.RepeatedCompositeFieldContainer[CountUseConsumption]
    presenting_card_number: str
    funding_card_number: str
    def __init__(self, transaction_id: _Optional[str] = ..., type: _Optional[_Union[TransactionType, str]] = ..., card_number: _Optional[str] = ..., store_id: _Optional[str] = ..., amount_fen: _Optional[int] = ..., principal_delta_fen: _Optional[int] = ..., bonus_delta_fen: _Optional[int] = ..., points_delta: _Optional[int] = ..., balances_after: _Optional[_Union[Balances, _Mapping]] = ..., occurred_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., business_date: _Optional[str] = ..., original_transaction_id: _Optional[str] = ..., home_region: _Optional[str] = ..., operator_id: _Optional[str] = ..., request_id: _Optional[str] = ..., count_use_deltas: _Optional[_Iterable[_Union[CountUseChange, _Mapping]]] = ..., overdrawn: _Optional[bool] = ..., reason: _Optional[str] = ..., owed_delta_fen: _Optional[int] = ..., posted_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., coupon_conflicts: _Optional[_Iterable[_Union[CouponConflict, _Mapping]]] = ..., count_use_consumptions: _Optional[_Iterable[_Union[CountUseConsumption, _Mapping]]] = ..., presenting_card_number: _Optional[str] = ..., funding_card_number: _Optional[str] = ...) -> None: ...

class CouponConflict(_message.Message):
    __slots__ = ("coupon_code", "template_code", "discount_fen", "reason")
    COUPON_CODE_FIELD_NUMBER: _ClassVar[int]
    TEMPLATE_CODE_FIELD_NUMBER: _ClassVar[int]
    DISCOUNT_FEN_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    coupon_code: str
    template_code: str
    discount_fen: int
    reason: str
    def __init__(self, coupon_code: _Optional[str] = ..., template_code: _Optional[str] = ..., discount_fen: _Optional[int] = ..., reason: _Optional[str] = ...) -> None: ...

class Member(_message.Message):
    __slots__ = ("member_id", "home_region", "name", "phone_masked", "birthday", "gender", "email", "custom_fields", "tags", "channel", "registered_store_id", "registered_at", "updated_at", "referral_code", "referrer_member_id")
    class CustomFieldsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    MEMBER_ID_FIELD_NUMBER: _ClassVar[int]
    HOME_REGION_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    PHONE_MASKED_FIELD_NUMBER: _ClassVar[int]
    BIRTHDAY_FIELD_NUMBER: _ClassVar[int]
    GENDER_FIELD_NUMBER: _ClassVar[int]
    EMAIL_FIELD_NUMBER: _ClassVar[int]
    CUSTOM_FIELDS_FIELD_NUMBER: _ClassVar[int]
    TAGS_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    REGISTERED_STORE_ID_FIELD_NUMBER: _ClassVar[int]
    REGISTERED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    REFERRAL_CODE_FIELD_NUMBER: _ClassVar[int]
    REFERRER_MEMBER_ID_FIELD_NUMBER: _ClassVar[int]
    member_id: str
    home_region: str
    name: str
    phone_masked: str
    birthday: str
    gender: Gender
    email: str
    custom_fields: _containers.ScalarMap[str, str]
    tags: _containers.RepeatedScalarFieldContainer[str]
    channel: RegistrationChannel
    registered_store_id: str
    registered_at: _timestamp_pb2.Timestamp
    updated_at: _timestamp_pb2.Timestamp
    referral_code: str
    referrer_member_id: str
    def __init__(self, member_id: _Optional[str] = ..., home_region: _Optional[str] = ..., name: _Optional[str] = ..., phone_masked: _Optional[str] = ..., birthday: _Optional[str] = ..., gender: _Optional[_Union[Gender, str]] = ..., email: _Optional[str] = ..., custom_fields: _Optional[_Mapping[str, str]] = ..., tags: _Optional[_Iterable[str]] = ..., channel: _Optional[_Union[RegistrationChannel, str]] = ..., registered_store_id: _Optional[str] = ..., registered_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., referral_code: _Optional[str] = ..., referrer_member_id: _Optional[str] = ...) -> None: ...

class Card(_message.Message):
    __slots__ = ("card_number", "member_id", "card_type_code", "form", "state", "level_code", "issuing_franchisee_id", "issuing_store_id", "home_region", "balances", "opened_at", "expires_at", "pin_set", "pin_locked", "replaced_by_card_number", "replaces_card_number", "main_card_number", "linked_monthly_limit_fen")
    CARD_NUMBER_FIELD_NUMBER: _ClassVar[int]
    MEMBER_ID_FIELD_NUMBER: _ClassVar[int]
    CARD_TYPE_CODE_FIELD_NUMBER: _ClassVar[int]
    FORM_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    LEVEL_CODE_FIELD_NUMBER: _ClassVar[int]
    ISSUING_FRANCHISEE_ID_FIELD_NUMBER: _ClassVar[int]
    ISSUING_STORE_ID_FIELD_NUMBER: _ClassVar[int]
    HOME_REGION_FIELD_NUMBER: _ClassVar[int]
    BALANCES_FIELD_NUMBER: _ClassVar[int]
    OPENED_AT_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_AT_FIELD_NUMBER: _ClassVar[int]
    PIN_SET_FIELD_NUMBER: _ClassVar[int]
    PIN_LOCKED_FIELD_NUMBER: _ClassVar[int]
    REPLACED_BY_CARD_NUMBER_FIELD_NUMBER: _ClassVar[int]
    REPLACES_CARD_NUMBER_FIELD_NUMBER: _ClassVar[int]
    MAIN_CARD_NUMBER_FIELD_NUMBER: _ClassVar[int]
    LINKED_MONTHLY_LIMIT_FEN_FIELD_NUMBER: _ClassVar[int]
    card_number: str
    member_id: str
    card_type_code: str
    form: CardForm
    state: CardState
    level_code: str
    issuing_franchisee_id: str
    issuing_store_id: str
    home_region: str
    balances: Balances
    opened_at: _timestamp_pb2.Timestamp
    expires_at: _timestamp_pb2.Timestamp
    pin_set: bool
    pin_locked: bool
    replaced_by_card_number: str
    replaces_card_number: str
    main_card_number: str
    linked_monthly_limit_fen: int
    def __init__(self, card_number: _Optional[str] = ..., member_id: _Optional[str] = ..., card_type_code: _Optional[str] = ..., form: _Optional[_Union[CardForm, str]] = ..., state: _Optional[_Union[CardState, str]] = ..., level_code: _Optional[str] = ..., issuing_franchisee_id: _Optional[str] = ..., issuing_store_id: _Optional[str] = ..., home_region: _Optional[str] = ..., balances: _Optional[_Union[Balances, _Mapping]] = ..., opened_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., expires_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., pin_set: _Optional[bool] = ..., pin_locked: _Optional[bool] = ..., replaced_by_card_number: _Optional[str] = ..., replaces_card_number: _Optional[str] = ..., main_card_number: _Optional[str] = ..., linked_monthly_limit_fen: _Optional[int] = ...) -> None: ...

class Coupon(_message.Message):
    __slots__ = ("coupon_code", "template_code", "card_number", "state", "valid_from", "valid_until", "issued_at", "issued_reason", "redeemed_transaction_id")
    COUPON_CODE_FIELD_NUMBER: _ClassVar[int]
    TEMPLATE_CODE_FIELD_NUMBER: _ClassVar[int]
    CARD_NUMBER_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    VALID_FROM_FIELD_NUMBER: _ClassVar[int]
    VALID_UNTIL_FIELD_NUMBER: _ClassVar[int]
    ISSUED_AT_FIELD_NUMBER: _ClassVar[int]
    ISSUED_REASON_FIELD_NUMBER: _ClassVar[int]
    REDEEMED_TRANSACTION_ID_FIELD_NUMBER: _ClassVar[int]
    coupon_code: str
    template_code: str
    card_number: str
    state: CouponState
    valid_from: _timestamp_pb2.Timestamp
    valid_until: _timestamp_pb2.Timestamp
    issued_at: _timestamp_pb2.Timestamp
    issued_reason: str
    redeemed_transaction_id: str
    def __init__(self, coupon_code: _Optional[str] = ..., template_code: _Optional[str] = ..., card_number: _Optional[str] = ..., state: _Optional[_Union[CouponState, str]] = ..., valid_from: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., valid_until: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., issued_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., issued_reason: _Optional[str] = ..., redeemed_transaction_id: _Optional[str] = ...) -> None: ...

class ExportChunk(_message.Message):
    __slots__ = ("file_name", "content_type", "data", "offset", "last", "sha256_hex", "total_bytes")
    FILE_NAME_FIELD_NUMBER: _ClassVar[int]
    CONTENT_TYPE_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    OFFSET_FIELD_NUMBER: _ClassVar[int]
    LAST_FIELD_NUMBER: _ClassVar[int]
    SHA256_HEX_FIELD_NUMBER: _ClassVar[int]
    TOTAL_BYTES_FIELD_NUMBER: _ClassVar[int]
    file_name: str
    content_type: str
    data: bytes
    offset: int
    last: bool
    sha256_hex: str
    total_bytes: int
    def __init__(self, file_name: _Optional[str] = ..., content_type: _Optional[str] = ..., data: _Optional[bytes] = ..., offset: _Optional[int] = ..., last: _Optional[bool] = ..., sha256_hex: _Optional[str] = ..., total_bytes: _Optional[int] = ...) -> None: ...
