import datetime

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

class AdviceOutcome(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ADVICE_OUTCOME_UNSPECIFIED: _ClassVar[AdviceOutcome]
    ADVICE_OUTCOME_POSTED: _ClassVar[AdviceOutcome]
    ADVICE_OUTCOME_POSTED_OVERDRAWN: _ClassVar[AdviceOutcome]
    ADVICE_OUTCOME_DUPLICATE: _ClassVar[AdviceOutcome]
    ADVICE_OUTCOME_RETRY_LATER: _ClassVar[AdviceOutcome]
    ADVICE_OUTCOME_REJECTED: _ClassVar[AdviceOutcome]
ADVICE_OUTCOME_UNSPECIFIED: AdviceOutcome
ADVICE_OUTCOME_POSTED: AdviceOutcome
ADVICE_OUTCOME_POSTED_OVERDRAWN: AdviceOutcome
ADVICE_OUTCOME_DUPLICATE: AdviceOutcome
ADVICE_OUTCOME_RETRY_LATER: AdviceOutcome
ADVICE_OUTCOME_REJECTED: AdviceOutcome

class ListStoreConnectionsRequest(_message.Message):
    __slots__ = ("region_code", "franchisee_id", "store_id")
    REGION_CODE_FIELD_NUMBER: _ClassVar[int]
    FRANCHISEE_ID_FIELD_NUMBER: _ClassVar[int]
    STORE_ID_FIELD_NUMBER: _ClassVar[int]
    region_code: str
    franchisee_id: str
    store_id: str
    def __init__(self, region_code: _Optional[str] = ..., franchisee_id: _Optional[str] = ..., store_id: _Optional[str] = ...) -> None: ...

class ListStoreConnectionsResponse(_message.Message):
    __slots__ = ("stores", "offline_after_seconds", "as_of")
    STORES_FIELD_NUMBER: _ClassVar[int]
    OFFLINE_AFTER_SECONDS_FIELD_NUMBER: _ClassVar[int]
    AS_OF_FIELD_NUMBER: _ClassVar[int]
    stores: _containers.RepeatedCompositeFieldContainer[StoreConnection]
    offline_after_seconds: int
    as_of: _timestamp_pb2.Timestamp
    def __init__(self, stores: _Optional[_Iterable[_Union[StoreConnection, _Mapping]]] = ..., offline_after_seconds: _Optional[int] = ..., as_of: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class StoreConnection(_message.Message):
    __slots__ = ("store_id", "region_code", "franchisee_id", "last_contact_at", "online", "queue_reported", "offline_queue_depth", "oldest_queued_at", "agent_version", "agent_started_at")
    STORE_ID_FIELD_NUMBER: _ClassVar[int]
    REGION_CODE_FIELD_NUMBER: _ClassVar[int]
    FRANCHISEE_ID_FIELD_NUMBER: _ClassVar[int]
    LAST_CONTACT_AT_FIELD_NUMBER: _ClassVar[int]
    ONLINE_FIELD_NUMBER: _ClassVar[int]
    QUEUE_REPORTED_FIELD_NUMBER: _ClassVar[int]
    OFFLINE_QUEUE_DEPTH_FIELD_NUMBER: _ClassVar[int]
    OLDEST_QUEUED_AT_FIELD_NUMBER: _ClassVar[int]
    AGENT_VERSION_FIELD_NUMBER: _ClassVar[int]
    AGENT_STARTED_AT_FIELD_NUMBER: _ClassVar[int]
    store_id: str
    region_code: str
    franchisee_id: str
    last_contact_at: _timestamp_pb2.Timestamp
    online: bool
    queue_reported: bool
    offline_queue_depth: int
    oldest_queued_at: _timestamp_pb2.Timestamp
    agent_version: str
    agent_started_at: _timestamp_pb2.Timestamp
    def __init__(self, store_id: _Optional[str] = ..., region_code: _Optional[str] = ..., franchisee_id: _Optional[str] = ..., last_contact_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., online: _Optional[bool] = ..., queue_reported: _Optional[bool] = ..., offline_queue_depth: _Optional[int] = ..., oldest_queued_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., agent_version: _Optional[str] = ..., agent_started_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class PullConfigSnapshotRequest(_message.Message):
    __slots__ = ("store_id", "known_version", "status_reported", "offline_queue_depth", "oldest_queued_at", "agent_version", "agent_started_at")
    STORE_ID_FIELD_NUMBER: _ClassVar[int]
    KNOWN_VERSION_FIELD_NUMBER: _ClassVar[int]
    STATUS_REPORTED_FIELD_NUMBER: _ClassVar[int]
    OFFLINE_QUEUE_DEPTH_FIELD_NUMBER: _ClassVar[int]
    OLDEST_QUEUED_AT_FIELD_NUMBER: _ClassVar[int]
    AGENT_VERSION_FIELD_NUMBER: _ClassVar[int]
    AGENT_STARTED_AT_FIELD_NUMBER: _ClassVar[int]
    store_id: str
    known_version: int
    status_reported: bool
    offline_queue_depth: int
    oldest_queued_at: _timestamp_pb2.Timestamp
    agent_version: str
    agent_started_at: _timestamp_pb2.Timestamp
    def __init__(self, store_id: _Optional[str] = ..., known_version: _Optional[int] = ..., status_reported: _Optional[bool] = ..., offline_queue_depth: _Optional[int] = ..., oldest_queued_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., agent_version: _Optional[str] = ..., agent_started_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class PullConfigSnapshotResponse(_message.Message):
    __slots__ = ("snapshot", "unchanged")
    SNAPSHOT_FIELD_NUMBER: _ClassVar[int]
    UNCHANGED_FIELD_NUMBER: _ClassVar[int]
    snapshot: _program_config_pb2.ConfigSnapshot
    unchanged: bool
    def __init__(self, snapshot: _Optional[_Union[_program_config_pb2.ConfigSnapshot, _Mapping]] = ..., unchanged: _Optional[bool] = ...) -> None: ...

class CachedCard(_message.Message):
    __slots__ = ("card", "as_of", "offline_allowance_fen", "coupons", "coupons_listed", "member_code_key", "member_id", "count_items", "count_items_listed", "count_items_business_date")
    CARD_FIELD_NUMBER: _ClassVar[int]
    AS_OF_FIELD_NUMBER: _ClassVar[int]
    OFFLINE_ALLOWANCE_FEN_FIELD_NUMBER: _ClassVar[int]
    COUPONS_FIELD_NUMBER: _ClassVar[int]
    COUPONS_LISTED_FIELD_NUMBER: _ClassVar[int]
    MEMBER_CODE_KEY_FIELD_NUMBER: _ClassVar[int]
    MEMBER_ID_FIELD_NUMBER: _ClassVar[int]
    COUNT_ITEMS_FIELD_NUMBER: _ClassVar[int]
    COUNT_ITEMS_LISTED_FIELD_NUMBER: _ClassVar[int]
    COUNT_ITEMS_BUSINESS_DATE_FIELD_NUMBER: _ClassVar[int]
    card: _common_pb2.Card
    as_of: _timestamp_pb2.Timestamp
    offline_allowance_fen: int
    coupons: _containers.RepeatedCompositeFieldContainer[_common_pb2.Coupon]
    coupons_listed: bool
    member_code_key: bytes
    member_id: str
    count_items: _containers.RepeatedCompositeFieldContainer[CachedCountItem]
    count_items_listed: bool
    count_items_business_date: str
    def __init__(self, card: _Optional[_Union[_common_pb2.Card, _Mapping]] = ..., as_of: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., offline_allowance_fen: _Optional[int] = ..., coupons: _Optional[_Iterable[_Union[_common_pb2.Coupon, _Mapping]]] = ..., coupons_listed: _Optional[bool] = ..., member_code_key: _Optional[bytes] = ..., member_id: _Optional[str] = ..., count_items: _Optional[_Iterable[_Union[CachedCountItem, _Mapping]]] = ..., count_items_listed: _Optional[bool] = ..., count_items_business_date: _Optional[str] = ...) -> None: ...

class CachedCountItem(_message.Message):
    __slots__ = ("item_code", "packs", "used_here_today", "time_pass", "valid_from", "valid_until", "daily_cap_uses", "used_today")
    ITEM_CODE_FIELD_NUMBER: _ClassVar[int]
    PACKS_FIELD_NUMBER: _ClassVar[int]
    USED_HERE_TODAY_FIELD_NUMBER: _ClassVar[int]
    TIME_PASS_FIELD_NUMBER: _ClassVar[int]
    VALID_FROM_FIELD_NUMBER: _ClassVar[int]
    VALID_UNTIL_FIELD_NUMBER: _ClassVar[int]
    DAILY_CAP_USES_FIELD_NUMBER: _ClassVar[int]
    USED_TODAY_FIELD_NUMBER: _ClassVar[int]
    item_code: str
    packs: _containers.RepeatedCompositeFieldContainer[CachedCountPack]
    used_here_today: int
    time_pass: bool
    valid_from: _timestamp_pb2.Timestamp
    valid_until: _timestamp_pb2.Timestamp
    daily_cap_uses: int
    used_today: int
    def __init__(self, item_code: _Optional[str] = ..., packs: _Optional[_Iterable[_Union[CachedCountPack, _Mapping]]] = ..., used_here_today: _Optional[int] = ..., time_pass: _Optional[bool] = ..., valid_from: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., valid_until: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., daily_cap_uses: _Optional[int] = ..., used_today: _Optional[int] = ...) -> None: ...

class CachedCountPack(_message.Message):
    __slots__ = ("uses", "expires_at")
    USES_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_AT_FIELD_NUMBER: _ClassVar[int]
    uses: int
    expires_at: _timestamp_pb2.Timestamp
    def __init__(self, uses: _Optional[int] = ..., expires_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class RefreshCardCacheRequest(_message.Message):
    __slots__ = ("store_id", "card_numbers")
    STORE_ID_FIELD_NUMBER: _ClassVar[int]
    CARD_NUMBERS_FIELD_NUMBER: _ClassVar[int]
    store_id: str
    card_numbers: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, store_id: _Optional[str] = ..., card_numbers: _Optional[_Iterable[str]] = ...) -> None: ...

class RefreshCardCacheResponse(_message.Message):
    __slots__ = ("cards", "unknown_card_numbers")
    CARDS_FIELD_NUMBER: _ClassVar[int]
    UNKNOWN_CARD_NUMBERS_FIELD_NUMBER: _ClassVar[int]
    cards: _containers.RepeatedCompositeFieldContainer[CachedCard]
    unknown_card_numbers: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, cards: _Optional[_Iterable[_Union[CachedCard, _Mapping]]] = ..., unknown_card_numbers: _Optional[_Iterable[str]] = ...) -> None: ...

class OfflineAdvice(_message.Message):
    __slots__ = ("advice_id", "sequence", "store_id", "checkout", "offline_result", "approved_at", "pin_entered", "member_code", "member_code_verified_at")
    ADVICE_ID_FIELD_NUMBER: _ClassVar[int]
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    STORE_ID_FIELD_NUMBER: _ClassVar[int]
    CHECKOUT_FIELD_NUMBER: _ClassVar[int]
    OFFLINE_RESULT_FIELD_NUMBER: _ClassVar[int]
    APPROVED_AT_FIELD_NUMBER: _ClassVar[int]
    PIN_ENTERED_FIELD_NUMBER: _ClassVar[int]
    MEMBER_CODE_FIELD_NUMBER: _ClassVar[int]
    MEMBER_CODE_VERIFIED_AT_FIELD_NUMBER: _ClassVar[int]
    advice_id: str
    sequence: int
    store_id: str
    checkout: _transactions_pb2.CheckoutRequest
    offline_result: _transactions_pb2.CheckoutResponse
    approved_at: _timestamp_pb2.Timestamp
    pin_entered: bool
    member_code: str
    member_code_verified_at: _timestamp_pb2.Timestamp
    def __init__(self, advice_id: _Optional[str] = ..., sequence: _Optional[int] = ..., store_id: _Optional[str] = ..., checkout: _Optional[_Union[_transactions_pb2.CheckoutRequest, _Mapping]] = ..., offline_result: _Optional[_Union[_transactions_pb2.CheckoutResponse, _Mapping]] = ..., approved_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., pin_entered: _Optional[bool] = ..., member_code: _Optional[str] = ..., member_code_verified_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class OfflineAdviceResult(_message.Message):
    __slots__ = ("advice_id", "outcome", "transaction", "message", "member_code_replayed", "member_code_replay_of", "count_use_shortfalls")
    ADVICE_ID_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    TRANSACTION_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    MEMBER_CODE_REPLAYED_FIELD_NUMBER: _ClassVar[int]
    MEMBER_CODE_REPLAY_OF_FIELD_NUMBER: _ClassVar[int]
    COUNT_USE_SHORTFALLS_FIELD_NUMBER: _ClassVar[int]
    advice_id: str
    outcome: AdviceOutcome
    transaction: _common_pb2.Transaction
    message: str
    member_code_replayed: bool
    member_code_replay_of: str
    count_use_shortfalls: _containers.RepeatedCompositeFieldContainer[_common_pb2.CountUseChange]
    def __init__(self, advice_id: _Optional[str] = ..., outcome: _Optional[_Union[AdviceOutcome, str]] = ..., transaction: _Optional[_Union[_common_pb2.Transaction, _Mapping]] = ..., message: _Optional[str] = ..., member_code_replayed: _Optional[bool] = ..., member_code_replay_of: _Optional[str] = ..., count_use_shortfalls: _Optional[_Iterable[_Union[_common_pb2.CountUseChange, _Mapping]]] = ...) -> None: ...

class UploadOfflineAdvicesRequest(_message.Message):
    __slots__ = ("request_id", "store_id", "advices")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    STORE_ID_FIELD_NUMBER: _ClassVar[int]
    ADVICES_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    store_id: str
    advices: _containers.RepeatedCompositeFieldContainer[OfflineAdvice]
    def __init__(self, request_id: _Optional[str] = ..., store_id: _Optional[str] = ..., advices: _Optional[_Iterable[_Union[OfflineAdvice, _Mapping]]] = ...) -> None: ...

class UploadOfflineAdvicesResponse(_message.Message):
    __slots__ = ("results",)
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    results: _containers.RepeatedCompositeFieldContainer[OfflineAdviceResult]
    def __init__(self, results: _Optional[_Iterable[_Union[OfflineAdviceResult, _Mapping]]] = ...) -> None: ...

class SubscribeCardBalancesRequest(_message.Message):
    __slots__ = ("store_id", "after_position", "card_numbers", "other_regions")
    STORE_ID_FIELD_NUMBER: _ClassVar[int]
    AFTER_POSITION_FIELD_NUMBER: _ClassVar[int]
    CARD_NUMBERS_FIELD_NUMBER: _ClassVar[int]
    OTHER_REGIONS_FIELD_NUMBER: _ClassVar[int]
    store_id: str
    after_position: int
    card_numbers: _containers.RepeatedScalarFieldContainer[str]
    other_regions: _containers.RepeatedCompositeFieldContainer[RelayedSubscription]
    def __init__(self, store_id: _Optional[str] = ..., after_position: _Optional[int] = ..., card_numbers: _Optional[_Iterable[str]] = ..., other_regions: _Optional[_Iterable[_Union[RelayedSubscription, _Mapping]]] = ...) -> None: ...

class RelayedSubscription(_message.Message):
    __slots__ = ("region_code", "after_position", "card_numbers")
    REGION_CODE_FIELD_NUMBER: _ClassVar[int]
    AFTER_POSITION_FIELD_NUMBER: _ClassVar[int]
    CARD_NUMBERS_FIELD_NUMBER: _ClassVar[int]
    region_code: str
    after_position: int
    card_numbers: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, region_code: _Optional[str] = ..., after_position: _Optional[int] = ..., card_numbers: _Optional[_Iterable[str]] = ...) -> None: ...

class SubscribeCardBalancesResponse(_message.Message):
    __slots__ = ("position", "changes", "region_code")
    POSITION_FIELD_NUMBER: _ClassVar[int]
    CHANGES_FIELD_NUMBER: _ClassVar[int]
    REGION_CODE_FIELD_NUMBER: _ClassVar[int]
    position: int
    changes: _containers.RepeatedCompositeFieldContainer[CardBalanceChanged]
    region_code: str
    def __init__(self, position: _Optional[int] = ..., changes: _Optional[_Iterable[_Union[CardBalanceChanged, _Mapping]]] = ..., region_code: _Optional[str] = ...) -> None: ...

class CardBalanceChanged(_message.Message):
    __slots__ = ("position", "card_number", "balances", "as_of", "transaction_id", "store_id", "transaction_type", "coupons", "coupons_listed", "coupons_as_of", "level_code", "card_type_code", "count_items", "count_items_listed", "count_items_as_of", "count_items_business_date")
    POSITION_FIELD_NUMBER: _ClassVar[int]
    CARD_NUMBER_FIELD_NUMBER: _ClassVar[int]
    BALANCES_FIELD_NUMBER: _ClassVar[int]
    AS_OF_FIELD_NUMBER: _ClassVar[int]
    TRANSACTION_ID_FIELD_NUMBER: _ClassVar[int]
    STORE_ID_FIELD_NUMBER: _ClassVar[int]
    TRANSACTION_TYPE_FIELD_NUMBER: _ClassVar[int]
    COUPONS_FIELD_NUMBER: _ClassVar[int]
    COUPONS_LISTED_FIELD_NUMBER: _ClassVar[int]
    COUPONS_AS_OF_FIELD_NUMBER: _ClassVar[int]
    LEVEL_CODE_FIELD_NUMBER: _ClassVar[int]
    CARD_TYPE_CODE_FIELD_NUMBER: _ClassVar[int]
    COUNT_ITEMS_FIELD_NUMBER: _ClassVar[int]
    COUNT_ITEMS_LISTED_FIELD_NUMBER: _ClassVar[int]
    COUNT_ITEMS_AS_OF_FIELD_NUMBER: _ClassVar[int]
    COUNT_ITEMS_BUSINESS_DATE_FIELD_NUMBER: _ClassVar[int]
    position: int
    card_number: str
    balances: _common_pb2.Balances
    as_of: _timestamp_pb2.Timestamp
    transaction_id: str
    store_id: str
    transaction_type: _common_pb2.TransactionType
    coupons: _containers.RepeatedCompositeFieldContainer[_common_pb2.Coupon]
    coupons_listed: bool
    coupons_as_of: _timestamp_pb2.Timestamp
    level_code: str
    card_type_code: str
    count_items: _containers.RepeatedCompositeFieldContainer[CachedCountItem]
    count_items_listed: bool
    count_items_as_of: _timestamp_pb2.Timestamp
    count_items_business_date: str
    def __init__(self, position: _Optional[int] = ..., card_number: _Optional[str] = ..., balances: _Optional[_Union[_common_pb2.Balances, _Mapping]] = ..., as_of: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., transaction_id: _Optional[str] = ..., store_id: _Optional[str] = ..., transaction_type: _Optional[_Union[_common_pb2.TransactionType, str]] = ..., coupons: _Optional[_Iterable[_Union[_common_pb2.Coupon, _Mapping]]] = ..., coupons_listed: _Optional[bool] = ..., coupons_as_of: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., level_code: _Optional[str] = ..., card_type_code: _Optional[str] = ..., count_items: _Optional[_Iterable[_Union[CachedCountItem, _Mapping]]] = ..., count_items_listed: _Optional[bool] = ..., count_items_as_of: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., count_items_business_date: _Optional[str] = ...) -> None: ...
