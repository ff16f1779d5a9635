import datetime

from chaincard.v1 import common_pb2 as _common_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class GetMemberViewRequest(_message.Message):
    __slots__ = ("phone", "card_number", "member_id")
    PHONE_FIELD_NUMBER: _ClassVar[int]
    CARD_NUMBER_FIELD_NUMBER: _ClassVar[int]
    MEMBER_ID_FIELD_NUMBER: _ClassVar[int]
    phone: str
    card_number: str
    member_id: str
    def __init__(self, phone: _Optional[str] = ..., card_number: _Optional[str] = ..., member_id: _Optional[str] = ...) -> None: ...

class CardView(_message.Message):
    __slots__ = ("card_number", "card_type_code", "state", "home_region", "balances", "issuing_franchisee_id", "level_code", "issuing_store_id", "form")
    CARD_NUMBER_FIELD_NUMBER: _ClassVar[int]
    CARD_TYPE_CODE_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    HOME_REGION_FIELD_NUMBER: _ClassVar[int]
    BALANCES_FIELD_NUMBER: _ClassVar[int]
    ISSUING_FRANCHISEE_ID_FIELD_NUMBER: _ClassVar[int]
    LEVEL_CODE_FIELD_NUMBER: _ClassVar[int]
    ISSUING_STORE_ID_FIELD_NUMBER: _ClassVar[int]
    FORM_FIELD_NUMBER: _ClassVar[int]
    card_number: str
    card_type_code: str
    state: _common_pb2.CardState
    home_region: str
    balances: _common_pb2.Balances
    issuing_franchisee_id: str
    level_code: str
    issuing_store_id: str
    form: _common_pb2.CardForm
    def __init__(self, card_number: _Optional[str] = ..., card_type_code: _Optional[str] = ..., state: _Optional[_Union[_common_pb2.CardState, str]] = ..., home_region: _Optional[str] = ..., balances: _Optional[_Union[_common_pb2.Balances, _Mapping]] = ..., issuing_franchisee_id: _Optional[str] = ..., level_code: _Optional[str] = ..., issuing_store_id: _Optional[str] = ..., form: _Optional[_Union[_common_pb2.CardForm, str]] = ...) -> None: ...

class GetMemberViewResponse(_message.Message):
    __slots__ = ("member", "cards", "recent_transactions", "as_of", "linked_cards")
    MEMBER_FIELD_NUMBER: _ClassVar[int]
    CARDS_FIELD_NUMBER: _ClassVar[int]
    RECENT_TRANSACTIONS_FIELD_NUMBER: _ClassVar[int]
    AS_OF_FIELD_NUMBER: _ClassVar[int]
    LINKED_CARDS_FIELD_NUMBER: _ClassVar[int]
    member: _common_pb2.Member
    cards: _containers.RepeatedCompositeFieldContainer[CardView]
    recent_transactions: _containers.RepeatedCompositeFieldContainer[_common_pb2.Transaction]
    as_of: _timestamp_pb2.Timestamp
    linked_cards: _containers.RepeatedCompositeFieldContainer[LinkedCardView]
    def __init__(self, member: _Optional[_Union[_common_pb2.Member, _Mapping]] = ..., cards: _Optional[_Iterable[_Union[CardView, _Mapping]]] = ..., recent_transactions: _Optional[_Iterable[_Union[_common_pb2.Transaction, _Mapping]]] = ..., as_of: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., linked_cards: _Optional[_Iterable[_Union[LinkedCardView, _Mapping]]] = ...) -> None: ...

class LinkedCardView(_message.Message):
    __slots__ = ("card_number", "main_card_number", "holder_member_id", "holder_name", "monthly_limit_fen", "spent_this_month_fen", "month", "state", "issuing_franchisee_id", "issuing_store_id", "home_region", "linked_at")
    CARD_NUMBER_FIELD_NUMBER: _ClassVar[int]
    MAIN_CARD_NUMBER_FIELD_NUMBER: _ClassVar[int]
    HOLDER_MEMBER_ID_FIELD_NUMBER: _ClassVar[int]
    HOLDER_NAME_FIELD_NUMBER: _ClassVar[int]
    MONTHLY_LIMIT_FEN_FIELD_NUMBER: _ClassVar[int]
    SPENT_THIS_MONTH_FEN_FIELD_NUMBER: _ClassVar[int]
    MONTH_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    ISSUING_FRANCHISEE_ID_FIELD_NUMBER: _ClassVar[int]
    ISSUING_STORE_ID_FIELD_NUMBER: _ClassVar[int]
    HOME_REGION_FIELD_NUMBER: _ClassVar[int]
    LINKED_AT_FIELD_NUMBER: _ClassVar[int]
    card_number: str
    main_card_number: str
    holder_member_id: str
    holder_name: str
    monthly_limit_fen: int
    spent_this_month_fen: int
    month: str
    state: _common_pb2.CardState
    issuing_franchisee_id: str
    issuing_store_id: str
    home_region: str
    linked_at: _timestamp_pb2.Timestamp
    def __init__(self, card_number: _Optional[str] = ..., main_card_number: _Optional[str] = ..., holder_member_id: _Optional[str] = ..., holder_name: _Optional[str] = ..., monthly_limit_fen: _Optional[int] = ..., spent_this_month_fen: _Optional[int] = ..., month: _Optional[str] = ..., state: _Optional[_Union[_common_pb2.CardState, str]] = ..., issuing_franchisee_id: _Optional[str] = ..., issuing_store_id: _Optional[str] = ..., home_region: _Optional[str] = ..., linked_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class SearchMemberViewsRequest(_message.Message):
    __slots__ = ("name_prefix", "tag", "level_code", "home_region", "registered_store_id", "issuing_franchisee_id", "page_size", "page_token")
    NAME_PREFIX_FIELD_NUMBER: _ClassVar[int]
    TAG_FIELD_NUMBER: _ClassVar[int]
    LEVEL_CODE_FIELD_NUMBER: _ClassVar[int]
    HOME_REGION_FIELD_NUMBER: _ClassVar[int]
    REGISTERED_STORE_ID_FIELD_NUMBER: _ClassVar[int]
    ISSUING_FRANCHISEE_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    name_prefix: str
    tag: str
    level_code: str
    home_region: str
    registered_store_id: str
    issuing_franchisee_id: str
    page_size: int
    page_token: str
    def __init__(self, name_prefix: _Optional[str] = ..., tag: _Optional[str] = ..., level_code: _Optional[str] = ..., home_region: _Optional[str] = ..., registered_store_id: _Optional[str] = ..., issuing_franchisee_id: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class SearchMemberViewsResponse(_message.Message):
    __slots__ = ("members", "next_page_token")
    MEMBERS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    members: _containers.RepeatedCompositeFieldContainer[_common_pb2.Member]
    next_page_token: str
    def __init__(self, members: _Optional[_Iterable[_Union[_common_pb2.Member, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...
