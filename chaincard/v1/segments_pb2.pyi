import datetime

from chaincard.v1 import common_pb2 as _common_pb2
from chaincard.v1 import member_view_pb2 as _member_view_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class SegmentExportFormat(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SEGMENT_EXPORT_FORMAT_UNSPECIFIED: _ClassVar[SegmentExportFormat]
    SEGMENT_EXPORT_FORMAT_CSV: _ClassVar[SegmentExportFormat]
    SEGMENT_EXPORT_FORMAT_XLSX: _ClassVar[SegmentExportFormat]
SEGMENT_EXPORT_FORMAT_UNSPECIFIED: SegmentExportFormat
SEGMENT_EXPORT_FORMAT_CSV: SegmentExportFormat
SEGMENT_EXPORT_FORMAT_XLSX: SegmentExportFormat

class Segment(_message.Message):
    __slots__ = ("name", "version", "description", "criteria", "scope_region", "scope_franchisee_id", "scope_store_id", "size", "size_counted_at", "saved_by", "saved_at")
    NAME_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    CRITERIA_FIELD_NUMBER: _ClassVar[int]
    SCOPE_REGION_FIELD_NUMBER: _ClassVar[int]
    SCOPE_FRANCHISEE_ID_FIELD_NUMBER: _ClassVar[int]
    SCOPE_STORE_ID_FIELD_NUMBER: _ClassVar[int]
    SIZE_FIELD_NUMBER: _ClassVar[int]
    SIZE_COUNTED_AT_FIELD_NUMBER: _ClassVar[int]
    SAVED_BY_FIELD_NUMBER: _ClassVar[int]
    SAVED_AT_FIELD_NUMBER: _ClassVar[int]
    name: str
    version: int
    description: str
    criteria: _member_view_pb2.MemberCriteria
    scope_region: str
    scope_franchisee_id: str
    scope_store_id: str
    size: int
    size_counted_at: _timestamp_pb2.Timestamp
    saved_by: str
    saved_at: _timestamp_pb2.Timestamp
    def __init__(self, name: _Optional[str] = ..., version: _Optional[int] = ..., description: _Optional[str] = ..., criteria: _Optional[_Union[_member_view_pb2.MemberCriteria, _Mapping]] = ..., scope_region: _Optional[str] = ..., scope_franchisee_id: _Optional[str] = ..., scope_store_id: _Optional[str] = ..., size: _Optional[int] = ..., size_counted_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., saved_by: _Optional[str] = ..., saved_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class SaveSegmentRequest(_message.Message):
    __slots__ = ("request_id", "name", "description", "criteria", "scope_region", "scope_franchisee_id", "scope_store_id")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    CRITERIA_FIELD_NUMBER: _ClassVar[int]
    SCOPE_REGION_FIELD_NUMBER: _ClassVar[int]
    SCOPE_FRANCHISEE_ID_FIELD_NUMBER: _ClassVar[int]
    SCOPE_STORE_ID_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    name: str
    description: str
    criteria: _member_view_pb2.MemberCriteria
    scope_region: str
    scope_franchisee_id: str
    scope_store_id: str
    def __init__(self, request_id: _Optional[str] = ..., name: _Optional[str] = ..., description: _Optional[str] = ..., criteria: _Optional[_Union[_member_view_pb2.MemberCriteria, _Mapping]] = ..., scope_region: _Optional[str] = ..., scope_franchisee_id: _Optional[str] = ..., scope_store_id: _Optional[str] = ...) -> None: ...

class SaveSegmentResponse(_message.Message):
    __slots__ = ("segment",)
    SEGMENT_FIELD_NUMBER: _ClassVar[int]
    segment: Segment
    def __init__(self, segment: _Optional[_Union[Segment, _Mapping]] = ...) -> None: ...

class GetSegmentRequest(_message.Message):
    __slots__ = ("name", "version")
    NAME_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    name: str
    version: int
    def __init__(self, name: _Optional[str] = ..., version: _Optional[int] = ...) -> None: ...

class GetSegmentResponse(_message.Message):
    __slots__ = ("segment",)
    SEGMENT_FIELD_NUMBER: _ClassVar[int]
    segment: Segment
    def __init__(self, segment: _Optional[_Union[Segment, _Mapping]] = ...) -> None: ...

class ListSegmentsRequest(_message.Message):
    __slots__ = ("scope_region", "scope_franchisee_id", "scope_store_id")
    SCOPE_REGION_FIELD_NUMBER: _ClassVar[int]
    SCOPE_FRANCHISEE_ID_FIELD_NUMBER: _ClassVar[int]
    SCOPE_STORE_ID_FIELD_NUMBER: _ClassVar[int]
    scope_region: str
    scope_franchisee_id: str
    scope_store_id: str
    def __init__(self, scope_region: _Optional[str] = ..., scope_franchisee_id: _Optional[str] = ..., scope_store_id: _Optional[str] = ...) -> None: ...

class ListSegmentsResponse(_message.Message):
    __slots__ = ("segments",)
    SEGMENTS_FIELD_NUMBER: _ClassVar[int]
    segments: _containers.RepeatedCompositeFieldContainer[Segment]
    def __init__(self, segments: _Optional[_Iterable[_Union[Segment, _Mapping]]] = ...) -> None: ...

class GetSegmentSizeRequest(_message.Message):
    __slots__ = ("name", "version")
    NAME_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    name: str
    version: int
    def __init__(self, name: _Optional[str] = ..., version: _Optional[int] = ...) -> None: ...

class GetSegmentSizeResponse(_message.Message):
    __slots__ = ("size", "segment")
    SIZE_FIELD_NUMBER: _ClassVar[int]
    SEGMENT_FIELD_NUMBER: _ClassVar[int]
    size: int
    segment: Segment
    def __init__(self, size: _Optional[int] = ..., segment: _Optional[_Union[Segment, _Mapping]] = ...) -> None: ...

class ExportSegmentRequest(_message.Message):
    __slots__ = ("name", "version", "format", "scope_region", "scope_franchisee_id", "scope_store_id")
    NAME_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    FORMAT_FIELD_NUMBER: _ClassVar[int]
    SCOPE_REGION_FIELD_NUMBER: _ClassVar[int]
    SCOPE_FRANCHISEE_ID_FIELD_NUMBER: _ClassVar[int]
    SCOPE_STORE_ID_FIELD_NUMBER: _ClassVar[int]
    name: str
    version: int
    format: SegmentExportFormat
    scope_region: str
    scope_franchisee_id: str
    scope_store_id: str
    def __init__(self, name: _Optional[str] = ..., version: _Optional[int] = ..., format: _Optional[_Union[SegmentExportFormat, str]] = ..., scope_region: _Optional[str] = ..., scope_franchisee_id: _Optional[str] = ..., scope_store_id: _Optional[str] = ...) -> None: ...

class ExportSegmentResponse(_message.Message):
    __slots__ = ("chunk",)
    CHUNK_FIELD_NUMBER: _ClassVar[int]
    chunk: _common_pb2.ExportChunk
    def __init__(self, chunk: _Optional[_Union[_common_pb2.ExportChunk, _Mapping]] = ...) -> None: ...

class RunRfmRequest(_message.Message):
    __slots__ = ("as_of_date", "window_days")
    AS_OF_DATE_FIELD_NUMBER: _ClassVar[int]
    WINDOW_DAYS_FIELD_NUMBER: _ClassVar[int]
    as_of_date: str
    window_days: int
    def __init__(self, as_of_date: _Optional[str] = ..., window_days: _Optional[int] = ...) -> None: ...

class RunRfmResponse(_message.Message):
    __slots__ = ("as_of_date", "members_scored")
    AS_OF_DATE_FIELD_NUMBER: _ClassVar[int]
    MEMBERS_SCORED_FIELD_NUMBER: _ClassVar[int]
    as_of_date: str
    members_scored: int
    def __init__(self, as_of_date: _Optional[str] = ..., members_scored: _Optional[int] = ...) -> None: ...

class ShowRfmRequest(_message.Message):
    __slots__ = ("member_id", "home_region", "franchisee_id")
    MEMBER_ID_FIELD_NUMBER: _ClassVar[int]
    HOME_REGION_FIELD_NUMBER: _ClassVar[int]
    FRANCHISEE_ID_FIELD_NUMBER: _ClassVar[int]
    member_id: str
    home_region: str
    franchisee_id: str
    def __init__(self, member_id: _Optional[str] = ..., home_region: _Optional[str] = ..., franchisee_id: _Optional[str] = ...) -> None: ...

class RfmSegmentCount(_message.Message):
    __slots__ = ("segment", "members")
    SEGMENT_FIELD_NUMBER: _ClassVar[int]
    MEMBERS_FIELD_NUMBER: _ClassVar[int]
    segment: _member_view_pb2.RfmSegment
    members: int
    def __init__(self, segment: _Optional[_Union[_member_view_pb2.RfmSegment, str]] = ..., members: _Optional[int] = ...) -> None: ...

class ShowRfmResponse(_message.Message):
    __slots__ = ("as_of_date", "counts", "history")
    AS_OF_DATE_FIELD_NUMBER: _ClassVar[int]
    COUNTS_FIELD_NUMBER: _ClassVar[int]
    HISTORY_FIELD_NUMBER: _ClassVar[int]
    as_of_date: str
    counts: _containers.RepeatedCompositeFieldContainer[RfmSegmentCount]
    history: _containers.RepeatedCompositeFieldContainer[_member_view_pb2.RfmScore]
    def __init__(self, as_of_date: _Optional[str] = ..., counts: _Optional[_Iterable[_Union[RfmSegmentCount, _Mapping]]] = ..., history: _Optional[_Iterable[_Union[_member_view_pb2.RfmScore, _Mapping]]] = ...) -> None: ...
