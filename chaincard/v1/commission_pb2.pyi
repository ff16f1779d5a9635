from chaincard.v1 import common_pb2 as _common_pb2
from chaincard.v1 import program_config_pb2 as _program_config_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class StaffReportKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    STAFF_REPORT_KIND_UNSPECIFIED: _ClassVar[StaffReportKind]
    STAFF_REPORT_KIND_COMMISSION: _ClassVar[StaffReportKind]
    STAFF_REPORT_KIND_SALES: _ClassVar[StaffReportKind]
STAFF_REPORT_KIND_UNSPECIFIED: StaffReportKind
STAFF_REPORT_KIND_COMMISSION: StaffReportKind
STAFF_REPORT_KIND_SALES: StaffReportKind

class RunCommissionRequest(_message.Message):
    __slots__ = ("business_date", "close_early")
    BUSINESS_DATE_FIELD_NUMBER: _ClassVar[int]
    CLOSE_EARLY_FIELD_NUMBER: _ClassVar[int]
    business_date: str
    close_early: bool
    def __init__(self, business_date: _Optional[str] = ..., close_early: _Optional[bool] = ...) -> None: ...

class RunCommissionResponse(_message.Message):
    __slots__ = ("business_date", "entries_written", "already_run")
    BUSINESS_DATE_FIELD_NUMBER: _ClassVar[int]
    ENTRIES_WRITTEN_FIELD_NUMBER: _ClassVar[int]
    ALREADY_RUN_FIELD_NUMBER: _ClassVar[int]
    business_date: str
    entries_written: int
    already_run: bool
    def __init__(self, business_date: _Optional[str] = ..., entries_written: _Optional[int] = ..., already_run: _Optional[bool] = ...) -> None: ...

class CommissionLine(_message.Message):
    __slots__ = ("business_date", "store_id", "staff_id", "staff_name", "plan_code", "event", "event_count", "basis_fen", "commission_fen")
    BUSINESS_DATE_FIELD_NUMBER: _ClassVar[int]
    STORE_ID_FIELD_NUMBER: _ClassVar[int]
    STAFF_ID_FIELD_NUMBER: _ClassVar[int]
    STAFF_NAME_FIELD_NUMBER: _ClassVar[int]
    PLAN_CODE_FIELD_NUMBER: _ClassVar[int]
    EVENT_FIELD_NUMBER: _ClassVar[int]
    EVENT_COUNT_FIELD_NUMBER: _ClassVar[int]
    BASIS_FEN_FIELD_NUMBER: _ClassVar[int]
    COMMISSION_FEN_FIELD_NUMBER: _ClassVar[int]
    business_date: str
    store_id: str
    staff_id: str
    staff_name: str
    plan_code: str
    event: _program_config_pb2.CommissionEvent
    event_count: int
    basis_fen: int
    commission_fen: int
    def __init__(self, business_date: _Optional[str] = ..., store_id: _Optional[str] = ..., staff_id: _Optional[str] = ..., staff_name: _Optional[str] = ..., plan_code: _Optional[str] = ..., event: _Optional[_Union[_program_config_pb2.CommissionEvent, str]] = ..., event_count: _Optional[int] = ..., basis_fen: _Optional[int] = ..., commission_fen: _Optional[int] = ...) -> None: ...

class GetCommissionReportRequest(_message.Message):
    __slots__ = ("business_date", "store_id")
    BUSINESS_DATE_FIELD_NUMBER: _ClassVar[int]
    STORE_ID_FIELD_NUMBER: _ClassVar[int]
    business_date: str
    store_id: str
    def __init__(self, business_date: _Optional[str] = ..., store_id: _Optional[str] = ...) -> None: ...

class GetCommissionReportResponse(_message.Message):
    __slots__ = ("lines", "computed")
    LINES_FIELD_NUMBER: _ClassVar[int]
    COMPUTED_FIELD_NUMBER: _ClassVar[int]
    lines: _containers.RepeatedCompositeFieldContainer[CommissionLine]
    computed: bool
    def __init__(self, lines: _Optional[_Iterable[_Union[CommissionLine, _Mapping]]] = ..., computed: _Optional[bool] = ...) -> None: ...

class StaffSalesRow(_message.Message):
    __slots__ = ("business_date", "store_id", "staff_id", "staff_name", "sales_count", "sales_net_fen", "recharge_count", "recharge_fen", "cards_opened")
    BUSINESS_DATE_FIELD_NUMBER: _ClassVar[int]
    STORE_ID_FIELD_NUMBER: _ClassVar[int]
    STAFF_ID_FIELD_NUMBER: _ClassVar[int]
    STAFF_NAME_FIELD_NUMBER: _ClassVar[int]
    SALES_COUNT_FIELD_NUMBER: _ClassVar[int]
    SALES_NET_FEN_FIELD_NUMBER: _ClassVar[int]
    RECHARGE_COUNT_FIELD_NUMBER: _ClassVar[int]
    RECHARGE_FEN_FIELD_NUMBER: _ClassVar[int]
    CARDS_OPENED_FIELD_NUMBER: _ClassVar[int]
    business_date: str
    store_id: str
    staff_id: str
    staff_name: str
    sales_count: int
    sales_net_fen: int
    recharge_count: int
    recharge_fen: int
    cards_opened: int
    def __init__(self, business_date: _Optional[str] = ..., store_id: _Optional[str] = ..., staff_id: _Optional[str] = ..., staff_name: _Optional[str] = ..., sales_count: _Optional[int] = ..., sales_net_fen: _Optional[int] = ..., recharge_count: _Optional[int] = ..., recharge_fen: _Optional[int] = ..., cards_opened: _Optional[int] = ...) -> None: ...

class GetStaffSalesReportRequest(_message.Message):
    __slots__ = ("business_date", "store_id")
    BUSINESS_DATE_FIELD_NUMBER: _ClassVar[int]
    STORE_ID_FIELD_NUMBER: _ClassVar[int]
    business_date: str
    store_id: str
    def __init__(self, business_date: _Optional[str] = ..., store_id: _Optional[str] = ...) -> None: ...

class GetStaffSalesReportResponse(_message.Message):
    __slots__ = ("rows",)
    ROWS_FIELD_NUMBER: _ClassVar[int]
    rows: _containers.RepeatedCompositeFieldContainer[StaffSalesRow]
    def __init__(self, rows: _Optional[_Iterable[_Union[StaffSalesRow, _Mapping]]] = ...) -> None: ...

class ExportStaffReportRequest(_message.Message):
    __slots__ = ("report", "business_date", "store_id", "format")
    REPORT_FIELD_NUMBER: _ClassVar[int]
    BUSINESS_DATE_FIELD_NUMBER: _ClassVar[int]
    STORE_ID_FIELD_NUMBER: _ClassVar[int]
    FORMAT_FIELD_NUMBER: _ClassVar[int]
    report: StaffReportKind
    business_date: str
    store_id: str
    format: _common_pb2.ExportFormat
    def __init__(self, report: _Optional[_Union[StaffReportKind, str]] = ..., business_date: _Optional[str] = ..., store_id: _Optional[str] = ..., format: _Optional[_Union[_common_pb2.ExportFormat, str]] = ...) -> None: ...

class ExportStaffReportResponse(_message.Message):
    __slots__ = ("chunk",)
    CHUNK_FIELD_NUMBER: _ClassVar[int]
    chunk: _common_pb2.ExportChunk
    def __init__(self, chunk: _Optional[_Union[_common_pb2.ExportChunk, _Mapping]] = ...) -> None: ...
