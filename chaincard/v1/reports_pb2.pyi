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

class ReportGrouping(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    REPORT_GROUPING_UNSPECIFIED: _ClassVar[ReportGrouping]
    REPORT_GROUPING_STORE: _ClassVar[ReportGrouping]
    REPORT_GROUPING_FRANCHISEE: _ClassVar[ReportGrouping]
    REPORT_GROUPING_REGION: _ClassVar[ReportGrouping]
    REPORT_GROUPING_CHAIN: _ClassVar[ReportGrouping]

class ReportPeriod(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    REPORT_PERIOD_UNSPECIFIED: _ClassVar[ReportPeriod]
    REPORT_PERIOD_DAY: _ClassVar[ReportPeriod]
    REPORT_PERIOD_MONTH: _ClassVar[ReportPeriod]
    REPORT_PERIOD_YEAR: _ClassVar[ReportPeriod]
    REPORT_PERIOD_RANGE: _ClassVar[ReportPeriod]

class TopMembersOrder(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TOP_MEMBERS_ORDER_UNSPECIFIED: _ClassVar[TopMembersOrder]
    TOP_MEMBERS_ORDER_SPEND: _ClassVar[TopMembersOrder]
    TOP_MEMBERS_ORDER_RECHARGE: _ClassVar[TopMembersOrder]
    TOP_MEMBERS_ORDER_VISITS: _ClassVar[TopMembersOrder]
    TOP_MEMBERS_ORDER_POINTS_EARNED: _ClassVar[TopMembersOrder]
REPORT_GROUPING_UNSPECIFIED: ReportGrouping
REPORT_GROUPING_STORE: ReportGrouping
REPORT_GROUPING_FRANCHISEE: ReportGrouping
REPORT_GROUPING_REGION: ReportGrouping
REPORT_GROUPING_CHAIN: ReportGrouping
REPORT_PERIOD_UNSPECIFIED: ReportPeriod
REPORT_PERIOD_DAY: ReportPeriod
REPORT_PERIOD_MONTH: ReportPeriod
REPORT_PERIOD_YEAR: ReportPeriod
REPORT_PERIOD_RANGE: ReportPeriod
TOP_MEMBERS_ORDER_UNSPECIFIED: TopMembersOrder
TOP_MEMBERS_ORDER_SPEND: TopMembersOrder
TOP_MEMBERS_ORDER_RECHARGE: TopMembersOrder
TOP_MEMBERS_ORDER_VISITS: TopMembersOrder
TOP_MEMBERS_ORDER_POINTS_EARNED: TopMembersOrder

class ReportScope(_message.Message):
    __slots__ = ("region_code", "franchisee_id", "store_id")
    REGION_CODE_FIELD_NUMBER: _ClassVar[int]
    FRANCHISEE_ID_FIELD_NUMBER: _ClassVar[int]
    STORE_ID_FIELD_NUMBER: _ClassVar[int]
    region_code: str
    franchisee_id: str
    store_id: str
    def __init__(self, region_code: _Optional[str] = ..., franchisee_id: _Optional[str] = ..., store_id: _Optional[str] = ...) -> None: ...

class TenderTotal(_message.Message):
    __slots__ = ("type", "amount_fen", "count")
    TYPE_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FEN_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    type: _common_pb2.TenderType
    amount_fen: int
    count: int
    def __init__(self, type: _Optional[_Union[_common_pb2.TenderType, str]] = ..., amount_fen: _Optional[int] = ..., count: _Optional[int] = ...) -> None: ...

class ReportFigures(_message.Message):
    __slots__ = ("sales_count", "sales_gross_fen", "discount_fen", "points_deduction_fen", "sales_net_fen", "stored_value_principal_spent_fen", "stored_value_bonus_spent_fen", "recharge_count", "recharge_fen", "recharge_bonus_fen", "refund_count", "refund_fen", "void_count", "void_fen", "points_earned", "points_redeemed", "count_uses_consumed", "new_members", "new_cards", "tenders", "overdrawn_count", "offline_approval_count", "offline_approved_fen", "overdraft_fen", "receivable_collected_fen", "receivable_written_off_fen", "coupon_conflict_count", "coupon_conflict_fen")
    SALES_COUNT_FIELD_NUMBER: _ClassVar[int]
    SALES_GROSS_FEN_FIELD_NUMBER: _ClassVar[int]
    DISCOUNT_FEN_FIELD_NUMBER: _ClassVar[int]
    POINTS_DEDUCTION_FEN_FIELD_NUMBER: _ClassVar[int]
    SALES_NET_FEN_FIELD_NUMBER: _ClassVar[int]
    STORED_VALUE_PRINCIPAL_SPENT_FEN_FIELD_NUMBER: _ClassVar[int]
    STORED_VALUE_BONUS_SPENT_FEN_FIELD_NUMBER: _ClassVar[int]
    RECHARGE_COUNT_FIELD_NUMBER: _ClassVar[int]
    RECHARGE_FEN_FIELD_NUMBER: _ClassVar[int]
    RECHARGE_BONUS_FEN_FIELD_NUMBER: _ClassVar[int]
    REFUND_COUNT_FIELD_NUMBER: _ClassVar[int]
    REFUND_FEN_FIELD_NUMBER: _ClassVar[int]
    VOID_COUNT_FIELD_NUMBER: _ClassVar[int]
    VOID_FEN_FIELD_NUMBER: _ClassVar[int]
    POINTS_EARNED_FIELD_NUMBER: _ClassVar[int]
    POINTS_REDEEMED_FIELD_NUMBER: _ClassVar[int]
    COUNT_USES_CONSUMED_FIELD_NUMBER: _ClassVar[int]
    NEW_MEMBERS_FIELD_NUMBER: _ClassVar[int]
    NEW_CARDS_FIELD_NUMBER: _ClassVar[int]
    TENDERS_FIELD_NUMBER: _ClassVar[int]
    OVERDRAWN_COUNT_FIELD_NUMBER: _ClassVar[int]
    OFFLINE_APPROVAL_COUNT_FIELD_NUMBER: _ClassVar[int]
    OFFLINE_APPROVED_FEN_FIELD_NUMBER: _ClassVar[int]
    OVERDRAFT_FEN_FIELD_NUMBER: _ClassVar[int]
    RECEIVABLE_COLLECTED_FEN_FIELD_NUMBER: _ClassVar[int]
    RECEIVABLE_WRITTEN_OFF_FEN_FIELD_NUMBER: _ClassVar[int]
    COUPON_CONFLICT_COUNT_FIELD_NUMBER: _ClassVar[int]
    COUPON_CONFLICT_FEN_FIELD_NUMBER: _ClassVar[int]
    sales_count: int
    sales_gross_fen: int
    discount_fen: int
    points_deduction_fen: int
    sales_net_fen: int
    stored_value_principal_spent_fen: int
    stored_value_bonus_spent_fen: int
    recharge_count: int
    recharge_fen: int
    recharge_bonus_fen: int
    refund_count: int
    refund_fen: int
    void_count: int
    void_fen: int
    points_earned: int
    points_redeemed: int
    count_uses_consumed: int
    new_members: int
    new_cards: int
    tenders: _containers.RepeatedCompositeFieldContainer[TenderTotal]
    overdrawn_count: int
    offline_approval_count: int
    offline_approved_fen: int
    overdraft_fen: int
    receivable_collected_fen: int
    receivable_written_off_fen: int
    coupon_conflict_count: int
    coupon_conflict_fen: int
    def __init__(self, sales_count: _Optional[int] = ..., sales_gross_fen: _Optional[int] = ..., discount_fen: _Optional[int] = ..., points_deduction_fen: _Optional[int] = ..., sales_net_fen: _Optional[int] = ..., stored_value_principal_spent_fen: _Optional[int] = ..., stored_value_bonus_spent_fen: _Optional[int] = ..., recharge_count: _Optional[int] = ..., recharge_fen: _Optional[int] = ..., recharge_bonus_fen: _Optional[int] = ..., refund_count: _Optional[int] = ..., refund_fen: _Optional[int] = ..., void_count: _Optional[int] = ..., void_fen: _Optional[int] = ..., points_earned: _Optional[int] = ..., points_redeemed: _Optional[int] = ..., count_uses_consumed: _Optional[int] = ..., new_members: _Optional[int] = ..., new_cards: _Optional[int] = ..., tenders: _Optional[_Iterable[_Union[TenderTotal, _Mapping]]] = ..., overdrawn_count: _Optional[int] = ..., offline_approval_count: _Optional[int] = ..., offline_approved_fen: _Optional[int] = ..., overdraft_fen: _Optional[int] = ..., receivable_collected_fen: _Optional[int] = ..., receivable_written_off_fen: _Optional[int] = ..., coupon_conflict_count: _Optional[int] = ..., coupon_conflict_fen: _Optional[int] = ...) -> None: ...

class StoreDailyQuery(_message.Message):
    __slots__ = ("store_id", "business_date")
    STORE_ID_FIELD_NUMBER: _ClassVar[int]
    BUSINESS_DATE_FIELD_NUMBER: _ClassVar[int]
    store_id: str
    business_date: str
    def __init__(self, store_id: _Optional[str] = ..., business_date: _Optional[str] = ...) -> None: ...

class SalesReportQuery(_message.Message):
    __slots__ = ("start_business_date", "end_business_date", "period", "grouping", "scope")
    START_BUSINESS_DATE_FIELD_NUMBER: _ClassVar[int]
    END_BUSINESS_DATE_FIELD_NUMBER: _ClassVar[int]
    PERIOD_FIELD_NUMBER: _ClassVar[int]
    GROUPING_FIELD_NUMBER: _ClassVar[int]
    SCOPE_FIELD_NUMBER: _ClassVar[int]
    start_business_date: str
    end_business_date: str
    period: ReportPeriod
    grouping: ReportGrouping
    scope: ReportScope
    def __init__(self, start_business_date: _Optional[str] = ..., end_business_date: _Optional[str] = ..., period: _Optional[_Union[ReportPeriod, str]] = ..., grouping: _Optional[_Union[ReportGrouping, str]] = ..., scope: _Optional[_Union[ReportScope, _Mapping]] = ...) -> None: ...

class TopMembersQuery(_message.Message):
    __slots__ = ("start_business_date", "end_business_date", "order_by", "limit", "scope")
    START_BUSINESS_DATE_FIELD_NUMBER: _ClassVar[int]
    END_BUSINESS_DATE_FIELD_NUMBER: _ClassVar[int]
    ORDER_BY_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    SCOPE_FIELD_NUMBER: _ClassVar[int]
    start_business_date: str
    end_business_date: str
    order_by: TopMembersOrder
    limit: int
    scope: ReportScope
    def __init__(self, start_business_date: _Optional[str] = ..., end_business_date: _Optional[str] = ..., order_by: _Optional[_Union[TopMembersOrder, str]] = ..., limit: _Optional[int] = ..., scope: _Optional[_Union[ReportScope, _Mapping]] = ...) -> None: ...

class LiabilityQuery(_message.Message):
    __slots__ = ("as_of_business_date", "grouping", "scope")
    AS_OF_BUSINESS_DATE_FIELD_NUMBER: _ClassVar[int]
    GROUPING_FIELD_NUMBER: _ClassVar[int]
    SCOPE_FIELD_NUMBER: _ClassVar[int]
    as_of_business_date: str
    grouping: ReportGrouping
    scope: ReportScope
    def __init__(self, as_of_business_date: _Optional[str] = ..., grouping: _Optional[_Union[ReportGrouping, str]] = ..., scope: _Optional[_Union[ReportScope, _Mapping]] = ...) -> None: ...

class GetStoreDailySummaryRequest(_message.Message):
    __slots__ = ("query",)
    QUERY_FIELD_NUMBER: _ClassVar[int]
    query: StoreDailyQuery
    def __init__(self, query: _Optional[_Union[StoreDailyQuery, _Mapping]] = ...) -> None: ...

class GetStoreDailySummaryResponse(_message.Message):
    __slots__ = ("store_id", "business_date", "figures", "as_of")
    STORE_ID_FIELD_NUMBER: _ClassVar[int]
    BUSINESS_DATE_FIELD_NUMBER: _ClassVar[int]
    FIGURES_FIELD_NUMBER: _ClassVar[int]
    AS_OF_FIELD_NUMBER: _ClassVar[int]
    store_id: str
    business_date: str
    figures: ReportFigures
    as_of: _timestamp_pb2.Timestamp
    def __init__(self, store_id: _Optional[str] = ..., business_date: _Optional[str] = ..., figures: _Optional[_Union[ReportFigures, _Mapping]] = ..., as_of: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class SalesReportRow(_message.Message):
    __slots__ = ("period_start_business_date", "period_label", "group_key", "group_name", "figures")
    PERIOD_START_BUSINESS_DATE_FIELD_NUMBER: _ClassVar[int]
    PERIOD_LABEL_FIELD_NUMBER: _ClassVar[int]
    GROUP_KEY_FIELD_NUMBER: _ClassVar[int]
    GROUP_NAME_FIELD_NUMBER: _ClassVar[int]
    FIGURES_FIELD_NUMBER: _ClassVar[int]
    period_start_business_date: str
    period_label: str
    group_key: str
    group_name: str
    figures: ReportFigures
    def __init__(self, period_start_business_date: _Optional[str] = ..., period_label: _Optional[str] = ..., group_key: _Optional[str] = ..., group_name: _Optional[str] = ..., figures: _Optional[_Union[ReportFigures, _Mapping]] = ...) -> None: ...

class StreamSalesReportRequest(_message.Message):
    __slots__ = ("query",)
    QUERY_FIELD_NUMBER: _ClassVar[int]
    query: SalesReportQuery
    def __init__(self, query: _Optional[_Union[SalesReportQuery, _Mapping]] = ...) -> None: ...

class StreamSalesReportResponse(_message.Message):
    __slots__ = ("row",)
    ROW_FIELD_NUMBER: _ClassVar[int]
    row: SalesReportRow
    def __init__(self, row: _Optional[_Union[SalesReportRow, _Mapping]] = ...) -> None: ...

class TopMemberRow(_message.Message):
    __slots__ = ("rank", "member_id", "name", "phone_masked", "home_region", "level_code", "spend_fen", "recharge_fen", "visit_count", "points_earned", "last_visit_business_date")
    RANK_FIELD_NUMBER: _ClassVar[int]
    MEMBER_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    PHONE_MASKED_FIELD_NUMBER: _ClassVar[int]
    HOME_REGION_FIELD_NUMBER: _ClassVar[int]
    LEVEL_CODE_FIELD_NUMBER: _ClassVar[int]
    SPEND_FEN_FIELD_NUMBER: _ClassVar[int]
    RECHARGE_FEN_FIELD_NUMBER: _ClassVar[int]
    VISIT_COUNT_FIELD_NUMBER: _ClassVar[int]
    POINTS_EARNED_FIELD_NUMBER: _ClassVar[int]
    LAST_VISIT_BUSINESS_DATE_FIELD_NUMBER: _ClassVar[int]
    rank: int
    member_id: str
    name: str
    phone_masked: str
    home_region: str
    level_code: str
    spend_fen: int
    recharge_fen: int
    visit_count: int
    points_earned: int
    last_visit_business_date: str
    def __init__(self, rank: _Optional[int] = ..., member_id: _Optional[str] = ..., name: _Optional[str] = ..., phone_masked: _Optional[str] = ..., home_region: _Optional[str] = ..., level_code: _Optional[str] = ..., spend_fen: _Optional[int] = ..., recharge_fen: _Optional[int] = ..., visit_count: _Optional[int] = ..., points_earned: _Optional[int] = ..., last_visit_business_date: _Optional[str] = ...) -> None: ...

class StreamTopMembersRequest(_message.Message):
    __slots__ = ("query",)
    QUERY_FIELD_NUMBER: _ClassVar[int]
    query: TopMembersQuery
    def __init__(self, query: _Optional[_Union[TopMembersQuery, _Mapping]] = ...) -> None: ...

class StreamTopMembersResponse(_message.Message):
    __slots__ = ("row",)
    ROW_FIELD_NUMBER: _ClassVar[int]
    row: TopMemberRow
    def __init__(self, row: _Optional[_Union[TopMemberRow, _Mapping]] = ...) -> None: ...

class LiabilityRow(_message.Message):
    __slots__ = ("group_key", "group_name", "as_of_business_date", "card_count", "principal_fen", "bonus_fen", "points", "count_uses", "overdrawn_card_count", "overdrawn_fen", "receivable_card_count", "receivable_fen", "points_receivable", "points_expiring_30_days", "points_expiring_90_days")
    GROUP_KEY_FIELD_NUMBER: _ClassVar[int]
    GROUP_NAME_FIELD_NUMBER: _ClassVar[int]
    AS_OF_BUSINESS_DATE_FIELD_NUMBER: _ClassVar[int]
    CARD_COUNT_FIELD_NUMBER: _ClassVar[int]
    PRINCIPAL_FEN_FIELD_NUMBER: _ClassVar[int]
    BONUS_FEN_FIELD_NUMBER: _ClassVar[int]
    POINTS_FIELD_NUMBER: _ClassVar[int]
    COUNT_USES_FIELD_NUMBER: _ClassVar[int]
    OVERDRAWN_CARD_COUNT_FIELD_NUMBER: _ClassVar[int]
    OVERDRAWN_FEN_FIELD_NUMBER: _ClassVar[int]
    RECEIVABLE_CARD_COUNT_FIELD_NUMBER: _ClassVar[int]
    RECEIVABLE_FEN_FIELD_NUMBER: _ClassVar[int]
    POINTS_RECEIVABLE_FIELD_NUMBER: _ClassVar[int]
    POINTS_EXPIRING_30_DAYS_FIELD_NUMBER: _ClassVar[int]
    POINTS_EXPIRING_90_DAYS_FIELD_NUMBER: _ClassVar[int]
    group_key: str
    group_name: str
    as_of_business_date: str
    card_count: int
    principal_fen: int
    bonus_fen: int
    points: int
    count_uses: int
    overdrawn_card_count: int
    overdrawn_fen: int
    receivable_card_count: int
    receivable_fen: int
    points_receivable: int
    points_expiring_30_days: int
    points_expiring_90_days: int
    def __init__(self, group_key: _Optional[str] = ..., group_name: _Optional[str] = ..., as_of_business_date: _Optional[str] = ..., card_count: _Optional[int] = ..., principal_fen: _Optional[int] = ..., bonus_fen: _Optional[int] = ..., points: _Optional[int] = ..., count_uses: _Optional[int] = ..., overdrawn_card_count: _Optional[int] = ..., overdrawn_fen: _Optional[int] = ..., receivable_card_count: _Optional[int] = ..., receivable_fen: _Optional[int] = ..., points_receivable: _Optional[int] = ..., points_expiring_30_days: _Optional[int] = ..., points_expiring_90_days: _Optional[int] = ...) -> None: ...

class StreamLiabilityReportRequest(_message.Message):
    __slots__ = ("query",)
    QUERY_FIELD_NUMBER: _ClassVar[int]
    query: LiabilityQuery
    def __init__(self, query: _Optional[_Union[LiabilityQuery, _Mapping]] = ...) -> None: ...

class StreamLiabilityReportResponse(_message.Message):
    __slots__ = ("row",)
    ROW_FIELD_NUMBER: _ClassVar[int]
    row: LiabilityRow
    def __init__(self, row: _Optional[_Union[LiabilityRow, _Mapping]] = ...) -> None: ...

class CouponReportQuery(_message.Message):
    __slots__ = ("start_business_date", "end_business_date", "grouping", "scope", "template_code")
    START_BUSINESS_DATE_FIELD_NUMBER: _ClassVar[int]
    END_BUSINESS_DATE_FIELD_NUMBER: _ClassVar[int]
    GROUPING_FIELD_NUMBER: _ClassVar[int]
    SCOPE_FIELD_NUMBER: _ClassVar[int]
    TEMPLATE_CODE_FIELD_NUMBER: _ClassVar[int]
    start_business_date: str
    end_business_date: str
    grouping: ReportGrouping
    scope: ReportScope
    template_code: str
    def __init__(self, start_business_date: _Optional[str] = ..., end_business_date: _Optional[str] = ..., grouping: _Optional[_Union[ReportGrouping, str]] = ..., scope: _Optional[_Union[ReportScope, _Mapping]] = ..., template_code: _Optional[str] = ...) -> None: ...

class CouponReportRow(_message.Message):
    __slots__ = ("template_code", "group_key", "group_name", "issued_count", "redeemed_count", "redeemed_discount_fen", "expired_count", "issued_redeemed_count", "redemption_rate_bp")
    TEMPLATE_CODE_FIELD_NUMBER: _ClassVar[int]
    GROUP_KEY_FIELD_NUMBER: _ClassVar[int]
    GROUP_NAME_FIELD_NUMBER: _ClassVar[int]
    ISSUED_COUNT_FIELD_NUMBER: _ClassVar[int]
    REDEEMED_COUNT_FIELD_NUMBER: _ClassVar[int]
    REDEEMED_DISCOUNT_FEN_FIELD_NUMBER: _ClassVar[int]
    EXPIRED_COUNT_FIELD_NUMBER: _ClassVar[int]
    ISSUED_REDEEMED_COUNT_FIELD_NUMBER: _ClassVar[int]
    REDEMPTION_RATE_BP_FIELD_NUMBER: _ClassVar[int]
    template_code: str
    group_key: str
    group_name: str
    issued_count: int
    redeemed_count: int
    redeemed_discount_fen: int
    expired_count: int
    issued_redeemed_count: int
    redemption_rate_bp: int
    def __init__(self, template_code: _Optional[str] = ..., group_key: _Optional[str] = ..., group_name: _Optional[str] = ..., issued_count: _Optional[int] = ..., redeemed_count: _Optional[int] = ..., redeemed_discount_fen: _Optional[int] = ..., expired_count: _Optional[int] = ..., issued_redeemed_count: _Optional[int] = ..., redemption_rate_bp: _Optional[int] = ...) -> None: ...

class StreamCouponReportRequest(_message.Message):
    __slots__ = ("query",)
    QUERY_FIELD_NUMBER: _ClassVar[int]
    query: CouponReportQuery
    def __init__(self, query: _Optional[_Union[CouponReportQuery, _Mapping]] = ...) -> None: ...

class StreamCouponReportResponse(_message.Message):
    __slots__ = ("row",)
    ROW_FIELD_NUMBER: _ClassVar[int]
    row: CouponReportRow
    def __init__(self, row: _Optional[_Union[CouponReportRow, _Mapping]] = ...) -> None: ...

class ExportReportRequest(_message.Message):
    __slots__ = ("format", "store_daily", "sales", "top_members", "liability", "coupons")
    FORMAT_FIELD_NUMBER: _ClassVar[int]
    STORE_DAILY_FIELD_NUMBER: _ClassVar[int]
    SALES_FIELD_NUMBER: _ClassVar[int]
    TOP_MEMBERS_FIELD_NUMBER: _ClassVar[int]
    LIABILITY_FIELD_NUMBER: _ClassVar[int]
    COUPONS_FIELD_NUMBER: _ClassVar[int]
    format: _common_pb2.ExportFormat
    store_daily: StoreDailyQuery
    sales: SalesReportQuery
    top_members: TopMembersQuery
    liability: LiabilityQuery
    coupons: CouponReportQuery
    def __init__(self, format: _Optional[_Union[_common_pb2.ExportFormat, str]] = ..., store_daily: _Optional[_Union[StoreDailyQuery, _Mapping]] = ..., sales: _Optional[_Union[SalesReportQuery, _Mapping]] = ..., top_members: _Optional[_Union[TopMembersQuery, _Mapping]] = ..., liability: _Optional[_Union[LiabilityQuery, _Mapping]] = ..., coupons: _Optional[_Union[CouponReportQuery, _Mapping]] = ...) -> None: ...

class ExportReportResponse(_message.Message):
    __slots__ = ("chunk",)
    CHUNK_FIELD_NUMBER: _ClassVar[int]
    chunk: _common_pb2.ExportChunk
    def __init__(self, chunk: _Optional[_Union[_common_pb2.ExportChunk, _Mapping]] = ...) -> None: ...

class LevelMixQuery(_message.Message):
    __slots__ = ("scope", "grouping")
    SCOPE_FIELD_NUMBER: _ClassVar[int]
    GROUPING_FIELD_NUMBER: _ClassVar[int]
    scope: ReportScope
    grouping: ReportGrouping
    def __init__(self, scope: _Optional[_Union[ReportScope, _Mapping]] = ..., grouping: _Optional[_Union[ReportGrouping, str]] = ...) -> None: ...

class GetLevelMixRequest(_message.Message):
    __slots__ = ("query",)
    QUERY_FIELD_NUMBER: _ClassVar[int]
    query: LevelMixQuery
    def __init__(self, query: _Optional[_Union[LevelMixQuery, _Mapping]] = ...) -> None: ...

class LevelMixRow(_message.Message):
    __slots__ = ("group_key", "group_name", "card_type_code", "card_type_name", "level_code", "level_name", "level_rank", "active_card_count")
    GROUP_KEY_FIELD_NUMBER: _ClassVar[int]
    GROUP_NAME_FIELD_NUMBER: _ClassVar[int]
    CARD_TYPE_CODE_FIELD_NUMBER: _ClassVar[int]
    CARD_TYPE_NAME_FIELD_NUMBER: _ClassVar[int]
    LEVEL_CODE_FIELD_NUMBER: _ClassVar[int]
    LEVEL_NAME_FIELD_NUMBER: _ClassVar[int]
    LEVEL_RANK_FIELD_NUMBER: _ClassVar[int]
    ACTIVE_CARD_COUNT_FIELD_NUMBER: _ClassVar[int]
    group_key: str
    group_name: str
    card_type_code: str
    card_type_name: str
    level_code: str
    level_name: str
    level_rank: int
    active_card_count: int
    def __init__(self, group_key: _Optional[str] = ..., group_name: _Optional[str] = ..., card_type_code: _Optional[str] = ..., card_type_name: _Optional[str] = ..., level_code: _Optional[str] = ..., level_name: _Optional[str] = ..., level_rank: _Optional[int] = ..., active_card_count: _Optional[int] = ...) -> None: ...

class GetLevelMixResponse(_message.Message):
    __slots__ = ("rows", "as_of", "total_active_card_count")
    ROWS_FIELD_NUMBER: _ClassVar[int]
    AS_OF_FIELD_NUMBER: _ClassVar[int]
    TOTAL_ACTIVE_CARD_COUNT_FIELD_NUMBER: _ClassVar[int]
    rows: _containers.RepeatedCompositeFieldContainer[LevelMixRow]
    as_of: _timestamp_pb2.Timestamp
    total_active_card_count: int
    def __init__(self, rows: _Optional[_Iterable[_Union[LevelMixRow, _Mapping]]] = ..., as_of: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., total_active_card_count: _Optional[int] = ...) -> None: ...
