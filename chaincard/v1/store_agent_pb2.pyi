import datetime

from chaincard.v1 import common_pb2 as _common_pb2
from chaincard.v1 import store_sync_pb2 as _store_sync_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class GetStoreStatusRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetStoreStatusResponse(_message.Message):
    __slots__ = ("store_id", "region_code", "online", "last_region_contact_at", "offline_since", "offline_queue_depth", "oldest_queued_at", "offline_exposure_fen", "offline_exposure_limit_fen", "config_version", "cached_card_count", "agent_version", "rejected_advice_count", "home_regions_not_answering", "offline_approvals_today", "offline_approved_today_fen", "overdrawn_today", "overdrawn_today_fen", "receivable_cards_today", "receivable_today_fen", "coupon_conflicts_today", "coupon_conflict_today_fen")
    STORE_ID_FIELD_NUMBER: _ClassVar[int]
    REGION_CODE_FIELD_NUMBER: _ClassVar[int]
    ONLINE_FIELD_NUMBER: _ClassVar[int]
    LAST_REGION_CONTACT_AT_FIELD_NUMBER: _ClassVar[int]
    OFFLINE_SINCE_FIELD_NUMBER: _ClassVar[int]
    OFFLINE_QUEUE_DEPTH_FIELD_NUMBER: _ClassVar[int]
    OLDEST_QUEUED_AT_FIELD_NUMBER: _ClassVar[int]
    OFFLINE_EXPOSURE_FEN_FIELD_NUMBER: _ClassVar[int]
    OFFLINE_EXPOSURE_LIMIT_FEN_FIELD_NUMBER: _ClassVar[int]
    CONFIG_VERSION_FIELD_NUMBER: _ClassVar[int]
    CACHED_CARD_COUNT_FIELD_NUMBER: _ClassVar[int]
    AGENT_VERSION_FIELD_NUMBER: _ClassVar[int]
    REJECTED_ADVICE_COUNT_FIELD_NUMBER: _ClassVar[int]
    HOME_REGIONS_NOT_ANSWERING_FIELD_NUMBER: _ClassVar[int]
    OFFLINE_APPROVALS_TODAY_FIELD_NUMBER: _ClassVar[int]
    OFFLINE_APPROVED_TODAY_FEN_FIELD_NUMBER: _ClassVar[int]
    OVERDRAWN_TODAY_FIELD_NUMBER: _ClassVar[int]
    OVERDRAWN_TODAY_FEN_FIELD_NUMBER: _ClassVar[int]
    RECEIVABLE_CARDS_TODAY_FIELD_NUMBER: _ClassVar[int]
    RECEIVABLE_TODAY_FEN_FIELD_NUMBER: _ClassVar[int]
    COUPON_CONFLICTS_TODAY_FIELD_NUMBER: _ClassVar[int]
    COUPON_CONFLICT_TODAY_FEN_FIELD_NUMBER: _ClassVar[int]
    store_id: str
    region_code: str
    online: bool
    last_region_contact_at: _timestamp_pb2.Timestamp
    offline_since: _timestamp_pb2.Timestamp
    offline_queue_depth: int
    oldest_queued_at: _timestamp_pb2.Timestamp
    offline_exposure_fen: int
    offline_exposure_limit_fen: int
    config_version: int
    cached_card_count: int
    agent_version: str
    rejected_advice_count: int
    home_regions_not_answering: _containers.RepeatedCompositeFieldContainer[HomeRegionNotAnswering]
    offline_approvals_today: int
    offline_approved_today_fen: int
    overdrawn_today: int
    overdrawn_today_fen: int
    receivable_cards_today: int
    receivable_today_fen: int
    coupon_conflicts_today: int
    coupon_conflict_today_fen: int
    def __init__(self, store_id: _Optional[str] = ..., region_code: _Optional[str] = ..., online: _Optional[bool] = ..., last_region_contact_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., offline_since: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., offline_queue_depth: _Optional[int] = ..., oldest_queued_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., offline_exposure_fen: _Optional[int] = ..., offline_exposure_limit_fen: _Optional[int] = ..., config_version: _Optional[int] = ..., cached_card_count: _Optional[int] = ..., agent_version: _Optional[str] = ..., rejected_advice_count: _Optional[int] = ..., home_regions_not_answering: _Optional[_Iterable[_Union[HomeRegionNotAnswering, _Mapping]]] = ..., offline_approvals_today: _Optional[int] = ..., offline_approved_today_fen: _Optional[int] = ..., overdrawn_today: _Optional[int] = ..., overdrawn_today_fen: _Optional[int] = ..., receivable_cards_today: _Optional[int] = ..., receivable_today_fen: _Optional[int] = ..., coupon_conflicts_today: _Optional[int] = ..., coupon_conflict_today_fen: _Optional[int] = ...) -> None: ...

class HomeRegionNotAnswering(_message.Message):
    __slots__ = ("region_code", "since", "last_failure_at", "message")
    REGION_CODE_FIELD_NUMBER: _ClassVar[int]
    SINCE_FIELD_NUMBER: _ClassVar[int]
    LAST_FAILURE_AT_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    region_code: str
    since: _timestamp_pb2.Timestamp
    last_failure_at: _timestamp_pb2.Timestamp
    message: str
    def __init__(self, region_code: _Optional[str] = ..., since: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., last_failure_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., message: _Optional[str] = ...) -> None: ...

class ReprintReceiptRequest(_message.Message):
    __slots__ = ("transaction_id", "paper_width")
    TRANSACTION_ID_FIELD_NUMBER: _ClassVar[int]
    PAPER_WIDTH_FIELD_NUMBER: _ClassVar[int]
    transaction_id: str
    paper_width: _common_pb2.PaperWidth
    def __init__(self, transaction_id: _Optional[str] = ..., paper_width: _Optional[_Union[_common_pb2.PaperWidth, str]] = ...) -> None: ...

class ReprintReceiptResponse(_message.Message):
    __slots__ = ("receipt", "columns")
    RECEIPT_FIELD_NUMBER: _ClassVar[int]
    COLUMNS_FIELD_NUMBER: _ClassVar[int]
    receipt: _containers.RepeatedCompositeFieldContainer[_common_pb2.ReceiptLine]
    columns: int
    def __init__(self, receipt: _Optional[_Iterable[_Union[_common_pb2.ReceiptLine, _Mapping]]] = ..., columns: _Optional[int] = ...) -> None: ...

class ListQueuedAdvicesRequest(_message.Message):
    __slots__ = ("page_size", "page_token")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class QueuedAdvice(_message.Message):
    __slots__ = ("advice", "attempts", "last_attempt_at", "last_error")
    ADVICE_FIELD_NUMBER: _ClassVar[int]
    ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
    LAST_ATTEMPT_AT_FIELD_NUMBER: _ClassVar[int]
    LAST_ERROR_FIELD_NUMBER: _ClassVar[int]
    advice: _store_sync_pb2.OfflineAdvice
    attempts: int
    last_attempt_at: _timestamp_pb2.Timestamp
    last_error: str
    def __init__(self, advice: _Optional[_Union[_store_sync_pb2.OfflineAdvice, _Mapping]] = ..., attempts: _Optional[int] = ..., last_attempt_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., last_error: _Optional[str] = ...) -> None: ...

class ListQueuedAdvicesResponse(_message.Message):
    __slots__ = ("advices", "next_page_token")
    ADVICES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    advices: _containers.RepeatedCompositeFieldContainer[QueuedAdvice]
    next_page_token: str
    def __init__(self, advices: _Optional[_Iterable[_Union[QueuedAdvice, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...
