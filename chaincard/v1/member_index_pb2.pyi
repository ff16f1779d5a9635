from chaincard.v1 import common_pb2 as _common_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ClaimPhoneRequest(_message.Message):
    __slots__ = ("request_id", "phone_hmac", "member_id", "home_region")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    PHONE_HMAC_FIELD_NUMBER: _ClassVar[int]
    MEMBER_ID_FIELD_NUMBER: _ClassVar[int]
    HOME_REGION_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    phone_hmac: str
    member_id: str
    home_region: str
    def __init__(self, request_id: _Optional[str] = ..., phone_hmac: _Optional[str] = ..., member_id: _Optional[str] = ..., home_region: _Optional[str] = ...) -> None: ...

class ClaimPhoneResponse(_message.Message):
    __slots__ = ("member_id", "home_region")
    MEMBER_ID_FIELD_NUMBER: _ClassVar[int]
    HOME_REGION_FIELD_NUMBER: _ClassVar[int]
    member_id: str
    home_region: str
    def __init__(self, member_id: _Optional[str] = ..., home_region: _Optional[str] = ...) -> None: ...

class LookupPhoneRequest(_message.Message):
    __slots__ = ("phone_hmac",)
    PHONE_HMAC_FIELD_NUMBER: _ClassVar[int]
    phone_hmac: str
    def __init__(self, phone_hmac: _Optional[str] = ...) -> None: ...

class LookupPhoneResponse(_message.Message):
    __slots__ = ("member_id", "home_region")
    MEMBER_ID_FIELD_NUMBER: _ClassVar[int]
    HOME_REGION_FIELD_NUMBER: _ClassVar[int]
    member_id: str
    home_region: str
    def __init__(self, member_id: _Optional[str] = ..., home_region: _Optional[str] = ...) -> None: ...

class ReleasePhoneRequest(_message.Message):
    __slots__ = ("request_id", "phone_hmac", "member_id")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    PHONE_HMAC_FIELD_NUMBER: _ClassVar[int]
    MEMBER_ID_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    phone_hmac: str
    member_id: str
    def __init__(self, request_id: _Optional[str] = ..., phone_hmac: _Optional[str] = ..., member_id: _Optional[str] = ...) -> None: ...

class ReleasePhoneResponse(_message.Message):
    __slots__ = ("released",)
    RELEASED_FIELD_NUMBER: _ClassVar[int]
    released: bool
    def __init__(self, released: _Optional[bool] = ...) -> None: ...

class PhysicalCardEntry(_message.Message):
    __slots__ = ("card_number", "home_region", "franchisee_id", "card_type_code")
    CARD_NUMBER_FIELD_NUMBER: _ClassVar[int]
    HOME_REGION_FIELD_NUMBER: _ClassVar[int]
    FRANCHISEE_ID_FIELD_NUMBER: _ClassVar[int]
    CARD_TYPE_CODE_FIELD_NUMBER: _ClassVar[int]
    card_number: str
    home_region: str
    franchisee_id: str
    card_type_code: str
    def __init__(self, card_number: _Optional[str] = ..., home_region: _Optional[str] = ..., franchisee_id: _Optional[str] = ..., card_type_code: _Optional[str] = ...) -> None: ...

class RegisterPhysicalCardsRequest(_message.Message):
    __slots__ = ("request_id", "cards")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    CARDS_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    cards: _containers.RepeatedCompositeFieldContainer[PhysicalCardEntry]
    def __init__(self, request_id: _Optional[str] = ..., cards: _Optional[_Iterable[_Union[PhysicalCardEntry, _Mapping]]] = ...) -> None: ...

class RegisterPhysicalCardsResponse(_message.Message):
    __slots__ = ("registered_count", "conflicts")
    REGISTERED_COUNT_FIELD_NUMBER: _ClassVar[int]
    CONFLICTS_FIELD_NUMBER: _ClassVar[int]
    registered_count: int
    conflicts: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, registered_count: _Optional[int] = ..., conflicts: _Optional[_Iterable[str]] = ...) -> None: ...

class ResolveCardNumberRequest(_message.Message):
    __slots__ = ("card_number",)
    CARD_NUMBER_FIELD_NUMBER: _ClassVar[int]
    card_number: str
    def __init__(self, card_number: _Optional[str] = ...) -> None: ...

class ResolveCardNumberResponse(_message.Message):
    __slots__ = ("card_number", "home_region", "form", "franchisee_id", "card_type_code")
    CARD_NUMBER_FIELD_NUMBER: _ClassVar[int]
    HOME_REGION_FIELD_NUMBER: _ClassVar[int]
    FORM_FIELD_NUMBER: _ClassVar[int]
    FRANCHISEE_ID_FIELD_NUMBER: _ClassVar[int]
    CARD_TYPE_CODE_FIELD_NUMBER: _ClassVar[int]
    card_number: str
    home_region: str
    form: _common_pb2.CardForm
    franchisee_id: str
    card_type_code: str
    def __init__(self, card_number: _Optional[str] = ..., home_region: _Optional[str] = ..., form: _Optional[_Union[_common_pb2.CardForm, str]] = ..., franchisee_id: _Optional[str] = ..., card_type_code: _Optional[str] = ...) -> None: ...
