import datetime

from chaincard.v1 import common_pb2 as _common_pb2
from chaincard.v1 import program_config_pb2 as _program_config_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class SignedDocumentKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SIGNED_DOCUMENT_KIND_UNSPECIFIED: _ClassVar[SignedDocumentKind]
    SIGNED_DOCUMENT_KIND_MANIFEST: _ClassVar[SignedDocumentKind]
    SIGNED_DOCUMENT_KIND_STATEMENT_EXTRACT: _ClassVar[SignedDocumentKind]

class SettlementRunState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SETTLEMENT_RUN_STATE_UNSPECIFIED: _ClassVar[SettlementRunState]
    SETTLEMENT_RUN_STATE_RUNNING: _ClassVar[SettlementRunState]
    SETTLEMENT_RUN_STATE_COMPLETED: _ClassVar[SettlementRunState]
    SETTLEMENT_RUN_STATE_FAILED: _ClassVar[SettlementRunState]

class SettlementFlow(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SETTLEMENT_FLOW_UNSPECIFIED: _ClassVar[SettlementFlow]
    SETTLEMENT_FLOW_SPEND_ACQUIRED: _ClassVar[SettlementFlow]
    SETTLEMENT_FLOW_SPEND_ISSUED: _ClassVar[SettlementFlow]
    SETTLEMENT_FLOW_RECHARGE_ACQUIRED: _ClassVar[SettlementFlow]
    SETTLEMENT_FLOW_RECHARGE_ISSUED: _ClassVar[SettlementFlow]
    SETTLEMENT_FLOW_PLATFORM_FEE: _ClassVar[SettlementFlow]
    SETTLEMENT_FLOW_COUPON_ACQUIRED: _ClassVar[SettlementFlow]
    SETTLEMENT_FLOW_COUPON_ISSUED: _ClassVar[SettlementFlow]
    SETTLEMENT_FLOW_COUNT_USES_ACQUIRED: _ClassVar[SettlementFlow]
    SETTLEMENT_FLOW_COUNT_USES_ISSUED: _ClassVar[SettlementFlow]
SIGNED_DOCUMENT_KIND_UNSPECIFIED: SignedDocumentKind
SIGNED_DOCUMENT_KIND_MANIFEST: SignedDocumentKind
SIGNED_DOCUMENT_KIND_STATEMENT_EXTRACT: SignedDocumentKind
SETTLEMENT_RUN_STATE_UNSPECIFIED: SettlementRunState
SETTLEMENT_RUN_STATE_RUNNING: SettlementRunState
SETTLEMENT_RUN_STATE_COMPLETED: SettlementRunState
SETTLEMENT_RUN_STATE_FAILED: SettlementRunState
SETTLEMENT_FLOW_UNSPECIFIED: SettlementFlow
SETTLEMENT_FLOW_SPEND_ACQUIRED: SettlementFlow
SETTLEMENT_FLOW_SPEND_ISSUED: SettlementFlow
SETTLEMENT_FLOW_RECHARGE_ACQUIRED: SettlementFlow
SETTLEMENT_FLOW_RECHARGE_ISSUED: SettlementFlow
SETTLEMENT_FLOW_PLATFORM_FEE: SettlementFlow
SETTLEMENT_FLOW_COUPON_ACQUIRED: SettlementFlow
SETTLEMENT_FLOW_COUPON_ISSUED: SettlementFlow
SETTLEMENT_FLOW_COUNT_USES_ACQUIRED: SettlementFlow
SETTLEMENT_FLOW_COUNT_USES_ISSUED: SettlementFlow

class ClearingRecord(_message.Message):
    __slots__ = ("transaction_id", "transaction_type", "business_date", "settled_business_date", "card_number", "issuing_franchisee_id", "acquiring_store_id", "acquiring_franchisee_id", "principal_fen", "bonus_fen", "occurred_at", "coupon_fen")
    TRANSACTION_ID_FIELD_NUMBER: _ClassVar[int]
    TRANSACTION_TYPE_FIELD_NUMBER: _ClassVar[int]
    BUSINESS_DATE_FIELD_NUMBER: _ClassVar[int]
    SETTLED_BUSINESS_DATE_FIELD_NUMBER: _ClassVar[int]
    CARD_NUMBER_FIELD_NUMBER: _ClassVar[int]
    ISSUING_FRANCHISEE_ID_FIELD_NUMBER: _ClassVar[int]
    ACQUIRING_STORE_ID_FIELD_NUMBER: _ClassVar[int]
    ACQUIRING_FRANCHISEE_ID_FIELD_NUMBER: _ClassVar[int]
    PRINCIPAL_FEN_FIELD_NUMBER: _ClassVar[int]
    BONUS_FEN_FIELD_NUMBER: _ClassVar[int]
    OCCURRED_AT_FIELD_NUMBER: _ClassVar[int]
    COUPON_FEN_FIELD_NUMBER: _ClassVar[int]
    transaction_id: str
    transaction_type: _common_pb2.TransactionType
    business_date: str
    settled_business_date: str
    card_number: str
    issuing_franchisee_id: str
    acquiring_store_id: str
    acquiring_franchisee_id: str
    principal_fen: int
    bonus_fen: int
    occurred_at: _timestamp_pb2.Timestamp
    coupon_fen: int
    def __init__(self, transaction_id: _Optional[str] = ..., transaction_type: _Optional[_Union[_common_pb2.TransactionType, str]] = ..., business_date: _Optional[str] = ..., settled_business_date: _Optional[str] = ..., card_number: _Optional[str] = ..., issuing_franchisee_id: _Optional[str] = ..., acquiring_store_id: _Optional[str] = ..., acquiring_franchisee_id: _Optional[str] = ..., principal_fen: _Optional[int] = ..., bonus_fen: _Optional[int] = ..., occurred_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., coupon_fen: _Optional[int] = ...) -> None: ...

class StatementLine(_message.Message):
    __slots__ = ("line_number", "flow", "counterparty_franchisee_id", "store_id", "transaction_count", "gross_fen", "counterparty_fee_fen", "platform_fee_fen", "net_fen", "original_business_date")
    LINE_NUMBER_FIELD_NUMBER: _ClassVar[int]
    FLOW_FIELD_NUMBER: _ClassVar[int]
    COUNTERPARTY_FRANCHISEE_ID_FIELD_NUMBER: _ClassVar[int]
    STORE_ID_FIELD_NUMBER: _ClassVar[int]
    TRANSACTION_COUNT_FIELD_NUMBER: _ClassVar[int]
    GROSS_FEN_FIELD_NUMBER: _ClassVar[int]
    COUNTERPARTY_FEE_FEN_FIELD_NUMBER: _ClassVar[int]
    PLATFORM_FEE_FEN_FIELD_NUMBER: _ClassVar[int]
    NET_FEN_FIELD_NUMBER: _ClassVar[int]
    ORIGINAL_BUSINESS_DATE_FIELD_NUMBER: _ClassVar[int]
    line_number: int
    flow: SettlementFlow
    counterparty_franchisee_id: str
    store_id: str
    transaction_count: int
    gross_fen: int
    counterparty_fee_fen: int
    platform_fee_fen: int
    net_fen: int
    original_business_date: str
    def __init__(self, line_number: _Optional[int] = ..., flow: _Optional[_Union[SettlementFlow, str]] = ..., counterparty_franchisee_id: _Optional[str] = ..., store_id: _Optional[str] = ..., transaction_count: _Optional[int] = ..., gross_fen: _Optional[int] = ..., counterparty_fee_fen: _Optional[int] = ..., platform_fee_fen: _Optional[int] = ..., net_fen: _Optional[int] = ..., original_business_date: _Optional[str] = ...) -> None: ...

class Statement(_message.Message):
    __slots__ = ("statement_id", "franchisee_id", "franchisee_name", "business_date", "lines", "receivable_fen", "payable_fen", "fees_fen", "net_fen", "fee_schedule", "generated_at", "content_sha256_hex", "company_receivables")
    STATEMENT_ID_FIELD_NUMBER: _ClassVar[int]
    FRANCHISEE_ID_FIELD_NUMBER: _ClassVar[int]
    FRANCHISEE_NAME_FIELD_NUMBER: _ClassVar[int]
    BUSINESS_DATE_FIELD_NUMBER: _ClassVar[int]
    LINES_FIELD_NUMBER: _ClassVar[int]
    RECEIVABLE_FEN_FIELD_NUMBER: _ClassVar[int]
    PAYABLE_FEN_FIELD_NUMBER: _ClassVar[int]
    FEES_FEN_FIELD_NUMBER: _ClassVar[int]
    NET_FEN_FIELD_NUMBER: _ClassVar[int]
    FEE_SCHEDULE_FIELD_NUMBER: _ClassVar[int]
    GENERATED_AT_FIELD_NUMBER: _ClassVar[int]
    CONTENT_SHA256_HEX_FIELD_NUMBER: _ClassVar[int]
    COMPANY_RECEIVABLES_FIELD_NUMBER: _ClassVar[int]
    statement_id: str
    franchisee_id: str
    franchisee_name: str
    business_date: str
    lines: _containers.RepeatedCompositeFieldContainer[StatementLine]
    receivable_fen: int
    payable_fen: int
    fees_fen: int
    net_fen: int
    fee_schedule: _program_config_pb2.FeeSchedule
    generated_at: _timestamp_pb2.Timestamp
    content_sha256_hex: str
    company_receivables: _containers.RepeatedCompositeFieldContainer[CompanyReceivable]
    def __init__(self, statement_id: _Optional[str] = ..., franchisee_id: _Optional[str] = ..., franchisee_name: _Optional[str] = ..., business_date: _Optional[str] = ..., lines: _Optional[_Iterable[_Union[StatementLine, _Mapping]]] = ..., receivable_fen: _Optional[int] = ..., payable_fen: _Optional[int] = ..., fees_fen: _Optional[int] = ..., net_fen: _Optional[int] = ..., fee_schedule: _Optional[_Union[_program_config_pb2.FeeSchedule, _Mapping]] = ..., generated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., content_sha256_hex: _Optional[str] = ..., company_receivables: _Optional[_Iterable[_Union[CompanyReceivable, _Mapping]]] = ...) -> None: ...

class CompanyReceivable(_message.Message):
    __slots__ = ("company_id", "invoiced_fen", "paid_fen", "outstanding_fen")
    COMPANY_ID_FIELD_NUMBER: _ClassVar[int]
    INVOICED_FEN_FIELD_NUMBER: _ClassVar[int]
    PAID_FEN_FIELD_NUMBER: _ClassVar[int]
    OUTSTANDING_FEN_FIELD_NUMBER: _ClassVar[int]
    company_id: str
    invoiced_fen: int
    paid_fen: int
    outstanding_fen: int
    def __init__(self, company_id: _Optional[str] = ..., invoiced_fen: _Optional[int] = ..., paid_fen: _Optional[int] = ..., outstanding_fen: _Optional[int] = ...) -> None: ...

class StatementSummary(_message.Message):
    __slots__ = ("statement_id", "franchisee_id", "business_date", "net_fen", "line_count", "content_sha256_hex")
    STATEMENT_ID_FIELD_NUMBER: _ClassVar[int]
    FRANCHISEE_ID_FIELD_NUMBER: _ClassVar[int]
    BUSINESS_DATE_FIELD_NUMBER: _ClassVar[int]
    NET_FEN_FIELD_NUMBER: _ClassVar[int]
    LINE_COUNT_FIELD_NUMBER: _ClassVar[int]
    CONTENT_SHA256_HEX_FIELD_NUMBER: _ClassVar[int]
    statement_id: str
    franchisee_id: str
    business_date: str
    net_fen: int
    line_count: int
    content_sha256_hex: str
    def __init__(self, statement_id: _Optional[str] = ..., franchisee_id: _Optional[str] = ..., business_date: _Optional[str] = ..., net_fen: _Optional[int] = ..., line_count: _Optional[int] = ..., content_sha256_hex: _Optional[str] = ...) -> None: ...

class ManifestEntry(_message.Message):
    __slots__ = ("franchisee_id", "statement_id", "net_fen", "content_sha256_hex")
    FRANCHISEE_ID_FIELD_NUMBER: _ClassVar[int]
    STATEMENT_ID_FIELD_NUMBER: _ClassVar[int]
    NET_FEN_FIELD_NUMBER: _ClassVar[int]
    CONTENT_SHA256_HEX_FIELD_NUMBER: _ClassVar[int]
    franchisee_id: str
    statement_id: str
    net_fen: int
    content_sha256_hex: str
    def __init__(self, franchisee_id: _Optional[str] = ..., statement_id: _Optional[str] = ..., net_fen: _Optional[int] = ..., content_sha256_hex: _Optional[str] = ...) -> None: ...

class SettlementManifest(_message.Message):
    __slots__ = ("business_date", "entries", "net_total_fen", "manifest_sha256_hex", "signing_key_id", "signing_public_key", "manifest_json_signature")
    BUSINESS_DATE_FIELD_NUMBER: _ClassVar[int]
    ENTRIES_FIELD_NUMBER: _ClassVar[int]
    NET_TOTAL_FEN_FIELD_NUMBER: _ClassVar[int]
    MANIFEST_SHA256_HEX_FIELD_NUMBER: _ClassVar[int]
    SIGNING_KEY_ID_FIELD_NUMBER: _ClassVar[int]
    SIGNING_PUBLIC_KEY_FIELD_NUMBER: _ClassVar[int]
    MANIFEST_JSON_SIGNATURE_FIELD_NUMBER: _ClassVar[int]
    business_date: str
    entries: _containers.RepeatedCompositeFieldContainer[ManifestEntry]
    net_total_fen: int
    manifest_sha256_hex: str
    signing_key_id: str
    signing_public_key: bytes
    manifest_json_signature: bytes
    def __init__(self, business_date: _Optional[str] = ..., entries: _Optional[_Iterable[_Union[ManifestEntry, _Mapping]]] = ..., net_total_fen: _Optional[int] = ..., manifest_sha256_hex: _Optional[str] = ..., signing_key_id: _Optional[str] = ..., signing_public_key: _Optional[bytes] = ..., manifest_json_signature: _Optional[bytes] = ...) -> None: ...

class SettlementRun(_message.Message):
    __slots__ = ("business_date", "state", "started_at", "completed_at", "clearing_record_count", "late_record_count", "statement_count", "fee_schedule", "manifest", "error_message")
    BUSINESS_DATE_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    STARTED_AT_FIELD_NUMBER: _ClassVar[int]
    COMPLETED_AT_FIELD_NUMBER: _ClassVar[int]
    CLEARING_RECORD_COUNT_FIELD_NUMBER: _ClassVar[int]
    LATE_RECORD_COUNT_FIELD_NUMBER: _ClassVar[int]
    STATEMENT_COUNT_FIELD_NUMBER: _ClassVar[int]
    FEE_SCHEDULE_FIELD_NUMBER: _ClassVar[int]
    MANIFEST_FIELD_NUMBER: _ClassVar[int]
    ERROR_MESSAGE_FIELD_NUMBER: _ClassVar[int]
    business_date: str
    state: SettlementRunState
    started_at: _timestamp_pb2.Timestamp
    completed_at: _timestamp_pb2.Timestamp
    clearing_record_count: int
    late_record_count: int
    statement_count: int
    fee_schedule: _program_config_pb2.FeeSchedule
    manifest: SettlementManifest
    error_message: str
    def __init__(self, business_date: _Optional[str] = ..., state: _Optional[_Union[SettlementRunState, str]] = ..., started_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., completed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., clearing_record_count: _Optional[int] = ..., late_record_count: _Optional[int] = ..., statement_count: _Optional[int] = ..., fee_schedule: _Optional[_Union[_program_config_pb2.FeeSchedule, _Mapping]] = ..., manifest: _Optional[_Union[SettlementManifest, _Mapping]] = ..., error_message: _Optional[str] = ...) -> None: ...

class RunSettlementRequest(_message.Message):
    __slots__ = ("request_id", "business_date")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    BUSINESS_DATE_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    business_date: str
    def __init__(self, request_id: _Optional[str] = ..., business_date: _Optional[str] = ...) -> None: ...

class RunSettlementResponse(_message.Message):
    __slots__ = ("run",)
    RUN_FIELD_NUMBER: _ClassVar[int]
    run: SettlementRun
    def __init__(self, run: _Optional[_Union[SettlementRun, _Mapping]] = ...) -> None: ...

class GetSettlementRunRequest(_message.Message):
    __slots__ = ("business_date",)
    BUSINESS_DATE_FIELD_NUMBER: _ClassVar[int]
    business_date: str
    def __init__(self, business_date: _Optional[str] = ...) -> None: ...

class GetSettlementRunResponse(_message.Message):
    __slots__ = ("run",)
    RUN_FIELD_NUMBER: _ClassVar[int]
    run: SettlementRun
    def __init__(self, run: _Optional[_Union[SettlementRun, _Mapping]] = ...) -> None: ...

class ListSettlementRunsRequest(_message.Message):
    __slots__ = ("start_business_date", "end_business_date", "page_size", "page_token")
    START_BUSINESS_DATE_FIELD_NUMBER: _ClassVar[int]
    END_BUSINESS_DATE_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    start_business_date: str
    end_business_date: str
    page_size: int
    page_token: str
    def __init__(self, start_business_date: _Optional[str] = ..., end_business_date: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListSettlementRunsResponse(_message.Message):
    __slots__ = ("runs", "next_page_token")
    RUNS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    runs: _containers.RepeatedCompositeFieldContainer[SettlementRun]
    next_page_token: str
    def __init__(self, runs: _Optional[_Iterable[_Union[SettlementRun, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class GetStatementRequest(_message.Message):
    __slots__ = ("statement_id", "franchisee_id", "business_date")
    STATEMENT_ID_FIELD_NUMBER: _ClassVar[int]
    FRANCHISEE_ID_FIELD_NUMBER: _ClassVar[int]
    BUSINESS_DATE_FIELD_NUMBER: _ClassVar[int]
    statement_id: str
    franchisee_id: str
    business_date: str
    def __init__(self, statement_id: _Optional[str] = ..., franchisee_id: _Optional[str] = ..., business_date: _Optional[str] = ...) -> None: ...

class GetStatementResponse(_message.Message):
    __slots__ = ("statement",)
    STATEMENT_FIELD_NUMBER: _ClassVar[int]
    statement: Statement
    def __init__(self, statement: _Optional[_Union[Statement, _Mapping]] = ...) -> None: ...

class ListStatementsRequest(_message.Message):
    __slots__ = ("franchisee_id", "start_business_date", "end_business_date", "page_size", "page_token")
    FRANCHISEE_ID_FIELD_NUMBER: _ClassVar[int]
    START_BUSINESS_DATE_FIELD_NUMBER: _ClassVar[int]
    END_BUSINESS_DATE_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    franchisee_id: str
    start_business_date: str
    end_business_date: str
    page_size: int
    page_token: str
    def __init__(self, franchisee_id: _Optional[str] = ..., start_business_date: _Optional[str] = ..., end_business_date: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListStatementsResponse(_message.Message):
    __slots__ = ("statements", "next_page_token")
    STATEMENTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    statements: _containers.RepeatedCompositeFieldContainer[StatementSummary]
    next_page_token: str
    def __init__(self, statements: _Optional[_Iterable[_Union[StatementSummary, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class ExportStatementRequest(_message.Message):
    __slots__ = ("statement_id", "format")
    STATEMENT_ID_FIELD_NUMBER: _ClassVar[int]
    FORMAT_FIELD_NUMBER: _ClassVar[int]
    statement_id: str
    format: _common_pb2.ExportFormat
    def __init__(self, statement_id: _Optional[str] = ..., format: _Optional[_Union[_common_pb2.ExportFormat, str]] = ...) -> None: ...

class ExportStatementResponse(_message.Message):
    __slots__ = ("chunk",)
    CHUNK_FIELD_NUMBER: _ClassVar[int]
    chunk: _common_pb2.ExportChunk
    def __init__(self, chunk: _Optional[_Union[_common_pb2.ExportChunk, _Mapping]] = ...) -> None: ...

class StreamClearingRecordsRequest(_message.Message):
    __slots__ = ("business_date", "franchisee_id")
    BUSINESS_DATE_FIELD_NUMBER: _ClassVar[int]
    FRANCHISEE_ID_FIELD_NUMBER: _ClassVar[int]
    business_date: str
    franchisee_id: str
    def __init__(self, business_date: _Optional[str] = ..., franchisee_id: _Optional[str] = ...) -> None: ...

class StreamClearingRecordsResponse(_message.Message):
    __slots__ = ("record",)
    RECORD_FIELD_NUMBER: _ClassVar[int]
    record: ClearingRecord
    def __init__(self, record: _Optional[_Union[ClearingRecord, _Mapping]] = ...) -> None: ...

class GetSettlementManifestRequest(_message.Message):
    __slots__ = ("business_date", "franchisee_id")
    BUSINESS_DATE_FIELD_NUMBER: _ClassVar[int]
    FRANCHISEE_ID_FIELD_NUMBER: _ClassVar[int]
    business_date: str
    franchisee_id: str
    def __init__(self, business_date: _Optional[str] = ..., franchisee_id: _Optional[str] = ...) -> None: ...

class GetSettlementManifestResponse(_message.Message):
    __slots__ = ("business_date", "kind", "document", "signature", "signing_key_id", "signing_public_key", "manifest_json_sha256_hex")
    BUSINESS_DATE_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    DOCUMENT_FIELD_NUMBER: _ClassVar[int]
    SIGNATURE_FIELD_NUMBER: _ClassVar[int]
    SIGNING_KEY_ID_FIELD_NUMBER: _ClassVar[int]
    SIGNING_PUBLIC_KEY_FIELD_NUMBER: _ClassVar[int]
    MANIFEST_JSON_SHA256_HEX_FIELD_NUMBER: _ClassVar[int]
    business_date: str
    kind: SignedDocumentKind
    document: bytes
    signature: bytes
    signing_key_id: str
    signing_public_key: bytes
    manifest_json_sha256_hex: str
    def __init__(self, business_date: _Optional[str] = ..., kind: _Optional[_Union[SignedDocumentKind, str]] = ..., document: _Optional[bytes] = ..., signature: _Optional[bytes] = ..., signing_key_id: _Optional[str] = ..., signing_public_key: _Optional[bytes] = ..., manifest_json_sha256_hex: _Optional[str] = ...) -> None: ...
