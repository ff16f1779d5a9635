import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class CampaignState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CAMPAIGN_STATE_UNSPECIFIED: _ClassVar[CampaignState]
    CAMPAIGN_STATE_DRAFT: _ClassVar[CampaignState]
    CAMPAIGN_STATE_SCHEDULED: _ClassVar[CampaignState]
    CAMPAIGN_STATE_SENDING: _ClassVar[CampaignState]
    CAMPAIGN_STATE_SENT: _ClassVar[CampaignState]
CAMPAIGN_STATE_UNSPECIFIED: CampaignState
CAMPAIGN_STATE_DRAFT: CampaignState
CAMPAIGN_STATE_SCHEDULED: CampaignState
CAMPAIGN_STATE_SENDING: CampaignState
CAMPAIGN_STATE_SENT: CampaignState

class Campaign(_message.Message):
    __slots__ = ("campaign_id", "name", "segment_name", "segment_version", "message_template_code", "coupon_template_code", "coupon_card_type_code", "control_percent", "control_seed", "report_days", "state", "send_at", "scope_region", "created_by", "created_at", "started_at", "finished_at", "description")
    CAMPAIGN_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    SEGMENT_NAME_FIELD_NUMBER: _ClassVar[int]
    SEGMENT_VERSION_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_TEMPLATE_CODE_FIELD_NUMBER: _ClassVar[int]
    COUPON_TEMPLATE_CODE_FIELD_NUMBER: _ClassVar[int]
    COUPON_CARD_TYPE_CODE_FIELD_NUMBER: _ClassVar[int]
    CONTROL_PERCENT_FIELD_NUMBER: _ClassVar[int]
    CONTROL_SEED_FIELD_NUMBER: _ClassVar[int]
    REPORT_DAYS_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    SEND_AT_FIELD_NUMBER: _ClassVar[int]
    SCOPE_REGION_FIELD_NUMBER: _ClassVar[int]
    CREATED_BY_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    STARTED_AT_FIELD_NUMBER: _ClassVar[int]
    FINISHED_AT_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    campaign_id: str
    name: str
    segment_name: str
    segment_version: int
    message_template_code: str
    coupon_template_code: str
    coupon_card_type_code: str
    control_percent: int
    control_seed: int
    report_days: int
    state: CampaignState
    send_at: _timestamp_pb2.Timestamp
    scope_region: str
    created_by: str
    created_at: _timestamp_pb2.Timestamp
    started_at: _timestamp_pb2.Timestamp
    finished_at: _timestamp_pb2.Timestamp
    description: str
    def __init__(self, campaign_id: _Optional[str] = ..., name: _Optional[str] = ..., segment_name: _Optional[str] = ..., segment_version: _Optional[int] = ..., message_template_code: _Optional[str] = ..., coupon_template_code: _Optional[str] = ..., coupon_card_type_code: _Optional[str] = ..., control_percent: _Optional[int] = ..., control_seed: _Optional[int] = ..., report_days: _Optional[int] = ..., state: _Optional[_Union[CampaignState, str]] = ..., send_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., scope_region: _Optional[str] = ..., created_by: _Optional[str] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., started_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., finished_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., description: _Optional[str] = ...) -> None: ...

class CreateCampaignRequest(_message.Message):
    __slots__ = ("request_id", "campaign", "scope_region")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    CAMPAIGN_FIELD_NUMBER: _ClassVar[int]
    SCOPE_REGION_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    campaign: Campaign
    scope_region: str
    def __init__(self, request_id: _Optional[str] = ..., campaign: _Optional[_Union[Campaign, _Mapping]] = ..., scope_region: _Optional[str] = ...) -> None: ...

class CreateCampaignResponse(_message.Message):
    __slots__ = ("campaign",)
    CAMPAIGN_FIELD_NUMBER: _ClassVar[int]
    campaign: Campaign
    def __init__(self, campaign: _Optional[_Union[Campaign, _Mapping]] = ...) -> None: ...

class ScheduleCampaignRequest(_message.Message):
    __slots__ = ("request_id", "campaign_id", "send_at", "scope_region")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    CAMPAIGN_ID_FIELD_NUMBER: _ClassVar[int]
    SEND_AT_FIELD_NUMBER: _ClassVar[int]
    SCOPE_REGION_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    campaign_id: str
    send_at: _timestamp_pb2.Timestamp
    scope_region: str
    def __init__(self, request_id: _Optional[str] = ..., campaign_id: _Optional[str] = ..., send_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., scope_region: _Optional[str] = ...) -> None: ...

class ScheduleCampaignResponse(_message.Message):
    __slots__ = ("campaign",)
    CAMPAIGN_FIELD_NUMBER: _ClassVar[int]
    campaign: Campaign
    def __init__(self, campaign: _Optional[_Union[Campaign, _Mapping]] = ...) -> None: ...

class GetCampaignReportRequest(_message.Message):
    __slots__ = ("campaign_id", "scope_region")
    CAMPAIGN_ID_FIELD_NUMBER: _ClassVar[int]
    SCOPE_REGION_FIELD_NUMBER: _ClassVar[int]
    campaign_id: str
    scope_region: str
    def __init__(self, campaign_id: _Optional[str] = ..., scope_region: _Optional[str] = ...) -> None: ...

class CampaignReport(_message.Message):
    __slots__ = ("targeted", "control", "sent", "delivered", "failed", "opted_out", "pending", "coupons_issued", "coupons_redeemed", "window_from_date", "window_to_date", "targeted_revenue_fen", "control_revenue_fen", "targeted_revenue_per_member_fen", "control_revenue_per_member_fen", "lift_basis_points", "lift_defined")
    TARGETED_FIELD_NUMBER: _ClassVar[int]
    CONTROL_FIELD_NUMBER: _ClassVar[int]
    SENT_FIELD_NUMBER: _ClassVar[int]
    DELIVERED_FIELD_NUMBER: _ClassVar[int]
    FAILED_FIELD_NUMBER: _ClassVar[int]
    OPTED_OUT_FIELD_NUMBER: _ClassVar[int]
    PENDING_FIELD_NUMBER: _ClassVar[int]
    COUPONS_ISSUED_FIELD_NUMBER: _ClassVar[int]
    COUPONS_REDEEMED_FIELD_NUMBER: _ClassVar[int]
    WINDOW_FROM_DATE_FIELD_NUMBER: _ClassVar[int]
    WINDOW_TO_DATE_FIELD_NUMBER: _ClassVar[int]
    TARGETED_REVENUE_FEN_FIELD_NUMBER: _ClassVar[int]
    CONTROL_REVENUE_FEN_FIELD_NUMBER: _ClassVar[int]
    TARGETED_REVENUE_PER_MEMBER_FEN_FIELD_NUMBER: _ClassVar[int]
    CONTROL_REVENUE_PER_MEMBER_FEN_FIELD_NUMBER: _ClassVar[int]
    LIFT_BASIS_POINTS_FIELD_NUMBER: _ClassVar[int]
    LIFT_DEFINED_FIELD_NUMBER: _ClassVar[int]
    targeted: int
    control: int
    sent: int
    delivered: int
    failed: int
    opted_out: int
    pending: int
    coupons_issued: int
    coupons_redeemed: int
    window_from_date: str
    window_to_date: str
    targeted_revenue_fen: int
    control_revenue_fen: int
    targeted_revenue_per_member_fen: int
    control_revenue_per_member_fen: int
    lift_basis_points: int
    lift_defined: bool
    def __init__(self, targeted: _Optional[int] = ..., control: _Optional[int] = ..., sent: _Optional[int] = ..., delivered: _Optional[int] = ..., failed: _Optional[int] = ..., opted_out: _Optional[int] = ..., pending: _Optional[int] = ..., coupons_issued: _Optional[int] = ..., coupons_redeemed: _Optional[int] = ..., window_from_date: _Optional[str] = ..., window_to_date: _Optional[str] = ..., targeted_revenue_fen: _Optional[int] = ..., control_revenue_fen: _Optional[int] = ..., targeted_revenue_per_member_fen: _Optional[int] = ..., control_revenue_per_member_fen: _Optional[int] = ..., lift_basis_points: _Optional[int] = ..., lift_defined: _Optional[bool] = ...) -> None: ...

class GetCampaignReportResponse(_message.Message):
    __slots__ = ("campaign", "report")
    CAMPAIGN_FIELD_NUMBER: _ClassVar[int]
    REPORT_FIELD_NUMBER: _ClassVar[int]
    campaign: Campaign
    report: CampaignReport
    def __init__(self, campaign: _Optional[_Union[Campaign, _Mapping]] = ..., report: _Optional[_Union[CampaignReport, _Mapping]] = ...) -> None: ...

class ListCampaignsRequest(_message.Message):
    __slots__ = ("scope_region", "limit")
    SCOPE_REGION_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    scope_region: str
    limit: int
    def __init__(self, scope_region: _Optional[str] = ..., limit: _Optional[int] = ...) -> None: ...

class ListCampaignsResponse(_message.Message):
    __slots__ = ("campaigns",)
    CAMPAIGNS_FIELD_NUMBER: _ClassVar[int]
    campaigns: _containers.RepeatedCompositeFieldContainer[Campaign]
    def __init__(self, campaigns: _Optional[_Iterable[_Union[Campaign, _Mapping]]] = ...) -> None: ...
