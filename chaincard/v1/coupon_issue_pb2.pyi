import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class BulkIssueState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    BULK_ISSUE_STATE_UNSPECIFIED: _ClassVar[BulkIssueState]
    BULK_ISSUE_STATE_RUNNING: _ClassVar[BulkIssueState]
    BULK_ISSUE_STATE_COMPLETED: _ClassVar[BulkIssueState]
    BULK_ISSUE_STATE_FAILED: _ClassVar[BulkIssueState]

class BulkIssueSkipReason(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    BULK_ISSUE_SKIP_REASON_UNSPECIFIED: _ClassVar[BulkIssueSkipReason]
    BULK_ISSUE_SKIP_REASON_UNKNOWN_CARD: _ClassVar[BulkIssueSkipReason]
    BULK_ISSUE_SKIP_REASON_CARD_NOT_ACTIVE: _ClassVar[BulkIssueSkipReason]
BULK_ISSUE_STATE_UNSPECIFIED: BulkIssueState
BULK_ISSUE_STATE_RUNNING: BulkIssueState
BULK_ISSUE_STATE_COMPLETED: BulkIssueState
BULK_ISSUE_STATE_FAILED: BulkIssueState
BULK_ISSUE_SKIP_REASON_UNSPECIFIED: BulkIssueSkipReason
BULK_ISSUE_SKIP_REASON_UNKNOWN_CARD: BulkIssueSkipReason
BULK_ISSUE_SKIP_REASON_CARD_NOT_ACTIVE: BulkIssueSkipReason

class BulkIssueStart(_message.Message):
    __slots__ = ("template_code", "reason", "filter_name")
    TEMPLATE_CODE_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    FILTER_NAME_FIELD_NUMBER: _ClassVar[int]
    template_code: str
    reason: str
    filter_name: str
    def __init__(self, template_code: _Optional[str] = ..., reason: _Optional[str] = ..., filter_name: _Optional[str] = ...) -> None: ...

class StartBulkIssueRequest(_message.Message):
    __slots__ = ("request_id", "start", "card_numbers")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    START_FIELD_NUMBER: _ClassVar[int]
    CARD_NUMBERS_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    start: BulkIssueStart
    card_numbers: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, request_id: _Optional[str] = ..., start: _Optional[_Union[BulkIssueStart, _Mapping]] = ..., card_numbers: _Optional[_Iterable[str]] = ...) -> None: ...

class StartBulkIssueResponse(_message.Message):
    __slots__ = ("job",)
    JOB_FIELD_NUMBER: _ClassVar[int]
    job: BulkIssueJob
    def __init__(self, job: _Optional[_Union[BulkIssueJob, _Mapping]] = ...) -> None: ...

class BulkIssueSkipCount(_message.Message):
    __slots__ = ("reason", "count")
    REASON_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    reason: BulkIssueSkipReason
    count: int
    def __init__(self, reason: _Optional[_Union[BulkIssueSkipReason, str]] = ..., count: _Optional[int] = ...) -> None: ...

class BulkIssueJob(_message.Message):
    __slots__ = ("job_id", "request_id", "template_code", "reason", "filter_name", "state", "cards_total", "cards_done", "cards_issued", "cards_skipped", "skipped_by_reason", "operator_id", "region_code", "created_at", "finished_at", "last_error")
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    TEMPLATE_CODE_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    FILTER_NAME_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    CARDS_TOTAL_FIELD_NUMBER: _ClassVar[int]
    CARDS_DONE_FIELD_NUMBER: _ClassVar[int]
    CARDS_ISSUED_FIELD_NUMBER: _ClassVar[int]
    CARDS_SKIPPED_FIELD_NUMBER: _ClassVar[int]
    SKIPPED_BY_REASON_FIELD_NUMBER: _ClassVar[int]
    OPERATOR_ID_FIELD_NUMBER: _ClassVar[int]
    REGION_CODE_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    FINISHED_AT_FIELD_NUMBER: _ClassVar[int]
    LAST_ERROR_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    request_id: str
    template_code: str
    reason: str
    filter_name: str
    state: BulkIssueState
    cards_total: int
    cards_done: int
    cards_issued: int
    cards_skipped: int
    skipped_by_reason: _containers.RepeatedCompositeFieldContainer[BulkIssueSkipCount]
    operator_id: str
    region_code: str
    created_at: _timestamp_pb2.Timestamp
    finished_at: _timestamp_pb2.Timestamp
    last_error: str
    def __init__(self, job_id: _Optional[str] = ..., request_id: _Optional[str] = ..., template_code: _Optional[str] = ..., reason: _Optional[str] = ..., filter_name: _Optional[str] = ..., state: _Optional[_Union[BulkIssueState, str]] = ..., cards_total: _Optional[int] = ..., cards_done: _Optional[int] = ..., cards_issued: _Optional[int] = ..., cards_skipped: _Optional[int] = ..., skipped_by_reason: _Optional[_Iterable[_Union[BulkIssueSkipCount, _Mapping]]] = ..., operator_id: _Optional[str] = ..., region_code: _Optional[str] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., finished_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., last_error: _Optional[str] = ...) -> None: ...

class GetBulkIssueRequest(_message.Message):
    __slots__ = ("job_id",)
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    def __init__(self, job_id: _Optional[str] = ...) -> None: ...

class GetBulkIssueResponse(_message.Message):
    __slots__ = ("job",)
    JOB_FIELD_NUMBER: _ClassVar[int]
    job: BulkIssueJob
    def __init__(self, job: _Optional[_Union[BulkIssueJob, _Mapping]] = ...) -> None: ...

class ListBulkIssuesRequest(_message.Message):
    __slots__ = ("region_code", "limit")
    REGION_CODE_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    region_code: str
    limit: int
    def __init__(self, region_code: _Optional[str] = ..., limit: _Optional[int] = ...) -> None: ...

class ListBulkIssuesResponse(_message.Message):
    __slots__ = ("jobs",)
    JOBS_FIELD_NUMBER: _ClassVar[int]
    jobs: _containers.RepeatedCompositeFieldContainer[BulkIssueJob]
    def __init__(self, jobs: _Optional[_Iterable[_Union[BulkIssueJob, _Mapping]]] = ...) -> None: ...

class MemberFilter(_message.Message):
    __slots__ = ("name", "description", "level_code", "card_type_code", "home_region", "issuing_franchisee_id", "issuing_store_id", "updated_at")
    NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    LEVEL_CODE_FIELD_NUMBER: _ClassVar[int]
    CARD_TYPE_CODE_FIELD_NUMBER: _ClassVar[int]
    HOME_REGION_FIELD_NUMBER: _ClassVar[int]
    ISSUING_FRANCHISEE_ID_FIELD_NUMBER: _ClassVar[int]
    ISSUING_STORE_ID_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    name: str
    description: str
    level_code: str
    card_type_code: str
    home_region: str
    issuing_franchisee_id: str
    issuing_store_id: str
    updated_at: _timestamp_pb2.Timestamp
    def __init__(self, name: _Optional[str] = ..., description: _Optional[str] = ..., level_code: _Optional[str] = ..., card_type_code: _Optional[str] = ..., home_region: _Optional[str] = ..., issuing_franchisee_id: _Optional[str] = ..., issuing_store_id: _Optional[str] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class UpsertMemberFilterRequest(_message.Message):
    __slots__ = ("request_id", "filter")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    FILTER_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    filter: MemberFilter
    def __init__(self, request_id: _Optional[str] = ..., filter: _Optional[_Union[MemberFilter, _Mapping]] = ...) -> None: ...

class UpsertMemberFilterResponse(_message.Message):
    __slots__ = ("filter",)
    FILTER_FIELD_NUMBER: _ClassVar[int]
    filter: MemberFilter
    def __init__(self, filter: _Optional[_Union[MemberFilter, _Mapping]] = ...) -> None: ...

class ListMemberFiltersRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListMemberFiltersResponse(_message.Message):
    __slots__ = ("filters",)
    FILTERS_FIELD_NUMBER: _ClassVar[int]
    filters: _containers.RepeatedCompositeFieldContainer[MemberFilter]
    def __init__(self, filters: _Optional[_Iterable[_Union[MemberFilter, _Mapping]]] = ...) -> None: ...

class IssueCouponBatchRequest(_message.Message):
    __slots__ = ("request_id", "job_id", "template_code", "reason", "card_numbers", "operator_id")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    TEMPLATE_CODE_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    CARD_NUMBERS_FIELD_NUMBER: _ClassVar[int]
    OPERATOR_ID_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    job_id: str
    template_code: str
    reason: str
    card_numbers: _containers.RepeatedScalarFieldContainer[str]
    operator_id: str
    def __init__(self, request_id: _Optional[str] = ..., job_id: _Optional[str] = ..., template_code: _Optional[str] = ..., reason: _Optional[str] = ..., card_numbers: _Optional[_Iterable[str]] = ..., operator_id: _Optional[str] = ...) -> None: ...

class CouponBatchResult(_message.Message):
    __slots__ = ("card_number", "coupon_code", "skip_reason", "detail")
    CARD_NUMBER_FIELD_NUMBER: _ClassVar[int]
    COUPON_CODE_FIELD_NUMBER: _ClassVar[int]
    SKIP_REASON_FIELD_NUMBER: _ClassVar[int]
    DETAIL_FIELD_NUMBER: _ClassVar[int]
    card_number: str
    coupon_code: str
    skip_reason: BulkIssueSkipReason
    detail: str
    def __init__(self, card_number: _Optional[str] = ..., coupon_code: _Optional[str] = ..., skip_reason: _Optional[_Union[BulkIssueSkipReason, str]] = ..., detail: _Optional[str] = ...) -> None: ...

class IssueCouponBatchResponse(_message.Message):
    __slots__ = ("results",)
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    results: _containers.RepeatedCompositeFieldContainer[CouponBatchResult]
    def __init__(self, results: _Optional[_Iterable[_Union[CouponBatchResult, _Mapping]]] = ...) -> None: ...
