import datetime

from chaincard.v1 import common_pb2 as _common_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class RfmSegment(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    RFM_SEGMENT_UNSPECIFIED: _ClassVar[RfmSegment]
    RFM_SEGMENT_IMPORTANT_VALUE: _ClassVar[RfmSegment]
    RFM_SEGMENT_IMPORTANT_DEVELOPMENT: _ClassVar[RfmSegment]
    RFM_SEGMENT_IMPORTANT_RETENTION: _ClassVar[RfmSegment]
    RFM_SEGMENT_IMPORTANT_RECOVERY: _ClassVar[RfmSegment]
    RFM_SEGMENT_GENERAL_VALUE: _ClassVar[RfmSegment]
    RFM_SEGMENT_GENERAL_DEVELOPMENT: _ClassVar[RfmSegment]
    RFM_SEGMENT_GENERAL_RETENTION: _ClassVar[RfmSegment]
    RFM_SEGMENT_GENERAL_RECOVERY: _ClassVar[RfmSegment]

class MemberSort(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    MEMBER_SORT_UNSPECIFIED: _ClassVar[MemberSort]
    MEMBER_SORT_REGISTERED_AT: _ClassVar[MemberSort]
    MEMBER_SORT_LAST_VISIT: _ClassVar[MemberSort]
    MEMBER_SORT_BALANCE: _ClassVar[MemberSort]
    MEMBER_SORT_POINTS: _ClassVar[MemberSort]
    MEMBER_SORT_SPEND: _ClassVar[MemberSort]
RFM_SEGMENT_UNSPECIFIED: RfmSegment
RFM_SEGMENT_IMPORTANT_VALUE: RfmSegment
RFM_SEGMENT_IMPORTANT_DEVELOPMENT: RfmSegment
RFM_SEGMENT_IMPORTANT_RETENTION: RfmSegment
RFM_SEGMENT_IMPORTANT_RECOVERY: RfmSegment
RFM_SEGMENT_GENERAL_VALUE: RfmSegment
RFM_SEGMENT_GENERAL_DEVELOPMENT: RfmSegment
RFM_SEGMENT_GENERAL_RETENTION: RfmSegment
RFM_SEGMENT_GENERAL_RECOVERY: RfmSegment
MEMBER_SORT_UNSPECIFIED: MemberSort
MEMBER_SORT_REGISTERED_AT: MemberSort
MEMBER_SORT_LAST_VISIT: MemberSort
MEMBER_SORT_BALANCE: MemberSort
MEMBER_SORT_POINTS: MemberSort
MEMBER_SORT_SPEND: MemberSort

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
    __slots__ = ("member", "cards", "recent_transactions", "as_of", "linked_cards", "rfm")
    MEMBER_FIELD_NUMBER: _ClassVar[int]
    CARDS_FIELD_NUMBER: _ClassVar[int]
    RECENT_TRANSACTIONS_FIELD_NUMBER: _ClassVar[int]
    AS_OF_FIELD_NUMBER: _ClassVar[int]
    LINKED_CARDS_FIELD_NUMBER: _ClassVar[int]
    RFM_FIELD_NUMBER: _ClassVar[int]
    member: _common_pb2.Member
    cards: _containers.RepeatedCompositeFieldContainer[CardView]
    recent_transactions: _containers.RepeatedCompositeFieldContainer[_common_pb2.Transaction]
    as_of: _timestamp_pb2.Timestamp
    linked_cards: _containers.RepeatedCompositeFieldContainer[LinkedCardView]
    rfm: RfmScore
    def __init__(self, member: _Optional[_Union[_common_pb2.Member, _Mapping]] = ..., cards: _Optional[_Iterable[_Union[CardView, _Mapping]]] = ..., recent_transactions: _Optional[_Iterable[_Union[_common_pb2.Transaction, _Mapping]]] = ..., as_of: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., linked_cards: _Optional[_Iterable[_Union[LinkedCardView, _Mapping]]] = ..., rfm: _Optional[_Union[RfmScore, _Mapping]] = ...) -> None: ...

class RfmScore(_message.Message):
    __slots__ = ("as_of_date", "recency", "frequency", "monetary", "segment", "days_since_last_visit", "visit_count", "spend_fen", "franchisee_id", "franchisee_recency", "franchisee_frequency", "franchisee_monetary", "franchisee_segment")
    AS_OF_DATE_FIELD_NUMBER: _ClassVar[int]
    RECENCY_FIELD_NUMBER: _ClassVar[int]
    FREQUENCY_FIELD_NUMBER: _ClassVar[int]
    MONETARY_FIELD_NUMBER: _ClassVar[int]
    SEGMENT_FIELD_NUMBER: _ClassVar[int]
    DAYS_SINCE_LAST_VISIT_FIELD_NUMBER: _ClassVar[int]
    VISIT_COUNT_FIELD_NUMBER: _ClassVar[int]
    SPEND_FEN_FIELD_NUMBER: _ClassVar[int]
    FRANCHISEE_ID_FIELD_NUMBER: _ClassVar[int]
    FRANCHISEE_RECENCY_FIELD_NUMBER: _ClassVar[int]
    FRANCHISEE_FREQUENCY_FIELD_NUMBER: _ClassVar[int]
    FRANCHISEE_MONETARY_FIELD_NUMBER: _ClassVar[int]
    FRANCHISEE_SEGMENT_FIELD_NUMBER: _ClassVar[int]
    as_of_date: str
    recency: int
    frequency: int
    monetary: int
    segment: RfmSegment
    days_since_last_visit: int
    visit_count: int
    spend_fen: int
    franchisee_id: str
    franchisee_recency: int
    franchisee_frequency: int
    franchisee_monetary: int
    franchisee_segment: RfmSegment
    def __init__(self, as_of_date: _Optional[str] = ..., recency: _Optional[int] = ..., frequency: _Optional[int] = ..., monetary: _Optional[int] = ..., segment: _Optional[_Union[RfmSegment, str]] = ..., days_since_last_visit: _Optional[int] = ..., visit_count: _Optional[int] = ..., spend_fen: _Optional[int] = ..., franchisee_id: _Optional[str] = ..., franchisee_recency: _Optional[int] = ..., franchisee_frequency: _Optional[int] = ..., franchisee_monetary: _Optional[int] = ..., franchisee_segment: _Optional[_Union[RfmSegment, str]] = ...) -> None: ...

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
    __slots__ = ("name_prefix", "tag", "level_code", "home_region", "registered_store_id", "issuing_franchisee_id", "page_size", "page_token", "criteria", "sort", "descending")
    NAME_PREFIX_FIELD_NUMBER: _ClassVar[int]
    TAG_FIELD_NUMBER: _ClassVar[int]
    LEVEL_CODE_FIELD_NUMBER: _ClassVar[int]
    HOME_REGION_FIELD_NUMBER: _ClassVar[int]
    REGISTERED_STORE_ID_FIELD_NUMBER: _ClassVar[int]
    ISSUING_FRANCHISEE_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    CRITERIA_FIELD_NUMBER: _ClassVar[int]
    SORT_FIELD_NUMBER: _ClassVar[int]
    DESCENDING_FIELD_NUMBER: _ClassVar[int]
    name_prefix: str
    tag: str
    level_code: str
    home_region: str
    registered_store_id: str
    issuing_franchisee_id: str
    page_size: int
    page_token: str
    criteria: MemberCriteria
    sort: MemberSort
    descending: bool
    def __init__(self, name_prefix: _Optional[str] = ..., tag: _Optional[str] = ..., level_code: _Optional[str] = ..., home_region: _Optional[str] = ..., registered_store_id: _Optional[str] = ..., issuing_franchisee_id: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., criteria: _Optional[_Union[MemberCriteria, _Mapping]] = ..., sort: _Optional[_Union[MemberSort, str]] = ..., descending: _Optional[bool] = ...) -> None: ...

class ActivityFilter(_message.Message):
    __slots__ = ("from_date", "to_date", "min_spend_fen", "max_spend_fen", "min_visits", "max_visits")
    FROM_DATE_FIELD_NUMBER: _ClassVar[int]
    TO_DATE_FIELD_NUMBER: _ClassVar[int]
    MIN_SPEND_FEN_FIELD_NUMBER: _ClassVar[int]
    MAX_SPEND_FEN_FIELD_NUMBER: _ClassVar[int]
    MIN_VISITS_FIELD_NUMBER: _ClassVar[int]
    MAX_VISITS_FIELD_NUMBER: _ClassVar[int]
    from_date: str
    to_date: str
    min_spend_fen: int
    max_spend_fen: int
    min_visits: int
    max_visits: int
    def __init__(self, from_date: _Optional[str] = ..., to_date: _Optional[str] = ..., min_spend_fen: _Optional[int] = ..., max_spend_fen: _Optional[int] = ..., min_visits: _Optional[int] = ..., max_visits: _Optional[int] = ...) -> None: ...

class MemberCriteria(_message.Message):
    __slots__ = ("level_codes", "tags_all", "tags_any", "card_type_codes", "home_regions", "issuing_store_ids", "issuing_franchisee_ids", "activity", "last_visit_on_or_before", "last_visit_on_or_after", "birthday_months", "min_points", "max_points", "min_balance_fen", "max_balance_fen", "holds_coupon_templates", "holds_any_coupon", "rfm_segments", "registered_store_ids", "dormant_card_type_codes")
    LEVEL_CODES_FIELD_NUMBER: _ClassVar[int]
    TAGS_ALL_FIELD_NUMBER: _ClassVar[int]
    TAGS_ANY_FIELD_NUMBER: _ClassVar[int]
    CARD_TYPE_CODES_FIELD_NUMBER: _ClassVar[int]
    HOME_REGIONS_FIELD_NUMBER: _ClassVar[int]
    ISSUING_STORE_IDS_FIELD_NUMBER: _ClassVar[int]
    ISSUING_FRANCHISEE_IDS_FIELD_NUMBER: _ClassVar[int]
    ACTIVITY_FIELD_NUMBER: _ClassVar[int]
    LAST_VISIT_ON_OR_BEFORE_FIELD_NUMBER: _ClassVar[int]
    LAST_VISIT_ON_OR_AFTER_FIELD_NUMBER: _ClassVar[int]
    BIRTHDAY_MONTHS_FIELD_NUMBER: _ClassVar[int]
    MIN_POINTS_FIELD_NUMBER: _ClassVar[int]
    MAX_POINTS_FIELD_NUMBER: _ClassVar[int]
    MIN_BALANCE_FEN_FIELD_NUMBER: _ClassVar[int]
    MAX_BALANCE_FEN_FIELD_NUMBER: _ClassVar[int]
    HOLDS_COUPON_TEMPLATES_FIELD_NUMBER: _ClassVar[int]
    HOLDS_ANY_COUPON_FIELD_NUMBER: _ClassVar[int]
    RFM_SEGMENTS_FIELD_NUMBER: _ClassVar[int]
    REGISTERED_STORE_IDS_FIELD_NUMBER: _ClassVar[int]
    DORMANT_CARD_TYPE_CODES_FIELD_NUMBER: _ClassVar[int]
    level_codes: _containers.RepeatedScalarFieldContainer[str]
    tags_all: _containers.RepeatedScalarFieldContainer[str]
    tags_any: _containers.RepeatedScalarFieldContainer[str]
    card_type_codes: _containers.RepeatedScalarFieldContainer[str]
    home_regions: _containers.RepeatedScalarFieldContainer[str]
    issuing_store_ids: _containers.RepeatedScalarFieldContainer[str]
    issuing_franchisee_ids: _containers.RepeatedScalarFieldContainer[str]
    activity: ActivityFilter
    last_visit_on_or_before: str
    last_visit_on_or_after: str
    birthday_months: _containers.RepeatedScalarFieldContainer[int]
    min_points: int
    max_points: int
    min_balance_fen: int
    max_balance_fen: int
    holds_coupon_templates: _containers.RepeatedScalarFieldContainer[str]
    holds_any_coupon: bool
    rfm_segments: _containers.RepeatedScalarFieldContainer[RfmSegment]
    registered_store_ids: _containers.RepeatedScalarFieldContainer[str]
    dormant_card_type_codes: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, level_codes: _Optional[_Iterable[str]] = ..., tags_all: _Optional[_Iterable[str]] = ..., tags_any: _Optional[_Iterable[str]] = ..., card_type_codes: _Optional[_Iterable[str]] = ..., home_regions: _Optional[_Iterable[str]] = ..., issuing_store_ids: _Optional[_Iterable[str]] = ..., issuing_franchisee_ids: _Optional[_Iterable[str]] = ..., activity: _Optional[_Union[ActivityFilter, _Mapping]] = ..., last_visit_on_or_before: _Optional[str] = ..., last_visit_on_or_after: _Optional[str] = ..., birthday_months: _Optional[_Iterable[int]] = ..., min_points: _Optional[int] = ..., max_points: _Optional[int] = ..., min_balance_fen: _Optional[int] = ..., max_balance_fen: _Optional[int] = ..., holds_coupon_templates: _Optional[_Iterable[str]] = ..., holds_any_coupon: _Optional[bool] = ..., rfm_segments: _Optional[_Iterable[_Union[RfmSegment, str]]] = ..., registered_store_ids: _Optional[_Iterable[str]] = ..., dormant_card_type_codes: _Optional[_Iterable[str]] = ...) -> None: ...

class SearchMemberViewsResponse(_message.Message):
    __slots__ = ("members", "next_page_token")
    MEMBERS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    members: _containers.RepeatedCompositeFieldContainer[_common_pb2.Member]
    next_page_token: str
    def __init__(self, members: _Optional[_Iterable[_Union[_common_pb2.Member, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...
