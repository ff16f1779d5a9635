from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class GetConsumerLagRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class TopicLag(_message.Message):
    __slots__ = ("group_id", "topic", "lag", "end_offset", "committed_partitions", "partitions")
    GROUP_ID_FIELD_NUMBER: _ClassVar[int]
    TOPIC_FIELD_NUMBER: _ClassVar[int]
    LAG_FIELD_NUMBER: _ClassVar[int]
    END_OFFSET_FIELD_NUMBER: _ClassVar[int]
    COMMITTED_PARTITIONS_FIELD_NUMBER: _ClassVar[int]
    PARTITIONS_FIELD_NUMBER: _ClassVar[int]
    group_id: str
    topic: str
    lag: int
    end_offset: int
    committed_partitions: int
    partitions: int
    def __init__(self, group_id: _Optional[str] = ..., topic: _Optional[str] = ..., lag: _Optional[int] = ..., end_offset: _Optional[int] = ..., committed_partitions: _Optional[int] = ..., partitions: _Optional[int] = ...) -> None: ...

class GetConsumerLagResponse(_message.Message):
    __slots__ = ("lags",)
    LAGS_FIELD_NUMBER: _ClassVar[int]
    lags: _containers.RepeatedCompositeFieldContainer[TopicLag]
    def __init__(self, lags: _Optional[_Iterable[_Union[TopicLag, _Mapping]]] = ...) -> None: ...
