import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class CompanyRechargeState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    COMPANY_RECHARGE_STATE_UNSPECIFIED: _ClassVar[CompanyRechargeState]
    COMPANY_RECHARGE_STATE_RUNNING: _ClassVar[CompanyRechargeState]
    COMPANY_RECHARGE_STATE_COMPLETED: _ClassVar[CompanyRechargeState]
    COMPANY_RECHARGE_STATE_FAILED: _ClassVar[CompanyRechargeState]
COMPANY_RECHARGE_STATE_UNSPECIFIED: CompanyRechargeState
COMPANY_RECHARGE_STATE_RUNNING: CompanyRechargeState
COMPANY_RECHARGE_STATE_COMPLETED: CompanyRechargeState
COMPANY_RECHARGE_STATE_FAILED: CompanyRechargeState

class Company(_message.Message):
    __slots__ = ("company_id", "name", "tax_id", "contact_name", "contact_phone", "home_region", "franchisee_id", "created_at")
    COMPANY_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    TAX_ID_FIELD_NUMBER: _ClassVar[int]
    CONTACT_NAME_FIELD_NUMBER: _ClassVar[int]
    CONTACT_PHONE_FIELD_NUMBER: _ClassVar[int]
    HOME_REGION_FIELD_NUMBER: _ClassVar[int]
    FRANCHISEE_ID_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    company_id: str
    name: str
    tax_id: str
    contact_name: str
    contact_phone: str
    home_region: str
    franchisee_id: str
    created_at: _timestamp_pb2.Timestamp
    def __init__(self, company_id: _Optional[str] = ..., name: _Optional[str] = ..., tax_id: _Optional[str] = ..., contact_name: _Optional[str] = ..., contact_phone: _Optional[str] = ..., home_region: _Optional[str] = ..., franchisee_id: _Optional[str] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class CreateCompanyRequest(_message.Message):
    __slots__ = ("request_id", "company")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    COMPANY_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    company: Company
    def __init__(self, request_id: _Optional[str] = ..., company: _Optional[_Union[Company, _Mapping]] = ...) -> None: ...

class CreateCompanyResponse(_message.Message):
    __slots__ = ("company",)
    COMPANY_FIELD_NUMBER: _ClassVar[int]
    company: Company
    def __init__(self, company: _Optional[_Union[Company, _Mapping]] = ...) -> None: ...

class GetCompanyRequest(_message.Message):
    __slots__ = ("company_id",)
    COMPANY_ID_FIELD_NUMBER: _ClassVar[int]
    company_id: str
    def __init__(self, company_id: _Optional[str] = ...) -> None: ...

class GetCompanyResponse(_message.Message):
    __slots__ = ("company", "invoiced_fen", "paid_fen", "outstanding_fen")
    COMPANY_FIELD_NUMBER: _ClassVar[int]
    INVOICED_FEN_FIELD_NUMBER: _ClassVar[int]
    PAID_FEN_FIELD_NUMBER: _ClassVar[int]
    OUTSTANDING_FEN_FIELD_NUMBER: _ClassVar[int]
    company: Company
    invoiced_fen: int
    paid_fen: int
    outstanding_fen: int
    def __init__(self, company: _Optional[_Union[Company, _Mapping]] = ..., invoiced_fen: _Optional[int] = ..., paid_fen: _Optional[int] = ..., outstanding_fen: _Optional[int] = ...) -> None: ...

class ListCompaniesRequest(_message.Message):
    __slots__ = ("home_region", "franchisee_id")
    HOME_REGION_FIELD_NUMBER: _ClassVar[int]
    FRANCHISEE_ID_FIELD_NUMBER: _ClassVar[int]
    home_region: str
    franchisee_id: str
    def __init__(self, home_region: _Optional[str] = ..., franchisee_id: _Optional[str] = ...) -> None: ...

class ListCompaniesResponse(_message.Message):
    __slots__ = ("companies",)
    COMPANIES_FIELD_NUMBER: _ClassVar[int]
    companies: _containers.RepeatedCompositeFieldContainer[Company]
    def __init__(self, companies: _Optional[_Iterable[_Union[Company, _Mapping]]] = ...) -> None: ...

class CompanyOrderLine(_message.Message):
    __slots__ = ("card_number", "holder_name", "holder_phone", "amount_fen")
    CARD_NUMBER_FIELD_NUMBER: _ClassVar[int]
    HOLDER_NAME_FIELD_NUMBER: _ClassVar[int]
    HOLDER_PHONE_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FEN_FIELD_NUMBER: _ClassVar[int]
    card_number: str
    holder_name: str
    holder_phone: str
    amount_fen: int
    def __init__(self, card_number: _Optional[str] = ..., holder_name: _Optional[str] = ..., holder_phone: _Optional[str] = ..., amount_fen: _Optional[int] = ...) -> None: ...

class BulkRechargeRequest(_message.Message):
    __slots__ = ("request_id", "company_id", "store_id", "card_type_code", "lines")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    COMPANY_ID_FIELD_NUMBER: _ClassVar[int]
    STORE_ID_FIELD_NUMBER: _ClassVar[int]
    CARD_TYPE_CODE_FIELD_NUMBER: _ClassVar[int]
    LINES_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    company_id: str
    store_id: str
    card_type_code: str
    lines: _containers.RepeatedCompositeFieldContainer[CompanyOrderLine]
    def __init__(self, request_id: _Optional[str] = ..., company_id: _Optional[str] = ..., store_id: _Optional[str] = ..., card_type_code: _Optional[str] = ..., lines: _Optional[_Iterable[_Union[CompanyOrderLine, _Mapping]]] = ...) -> None: ...

class CompanyRechargeLineResult(_message.Message):
    __slots__ = ("line_index", "card_number", "region_code", "amount_fen", "transaction_id", "outcome", "detail")
    LINE_INDEX_FIELD_NUMBER: _ClassVar[int]
    CARD_NUMBER_FIELD_NUMBER: _ClassVar[int]
    REGION_CODE_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FEN_FIELD_NUMBER: _ClassVar[int]
    TRANSACTION_ID_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    DETAIL_FIELD_NUMBER: _ClassVar[int]
    line_index: int
    card_number: str
    region_code: str
    amount_fen: int
    transaction_id: str
    outcome: str
    detail: str
    def __init__(self, line_index: _Optional[int] = ..., card_number: _Optional[str] = ..., region_code: _Optional[str] = ..., amount_fen: _Optional[int] = ..., transaction_id: _Optional[str] = ..., outcome: _Optional[str] = ..., detail: _Optional[str] = ...) -> None: ...

class CompanyRechargeJob(_message.Message):
    __slots__ = ("job_id", "company_id", "store_id", "state", "lines_total", "lines_posted", "amount_total_fen", "amount_posted_fen", "last_error", "lines", "created_at", "finished_at")
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    COMPANY_ID_FIELD_NUMBER: _ClassVar[int]
    STORE_ID_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    LINES_TOTAL_FIELD_NUMBER: _ClassVar[int]
    LINES_POSTED_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_TOTAL_FEN_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_POSTED_FEN_FIELD_NUMBER: _ClassVar[int]
    LAST_ERROR_FIELD_NUMBER: _ClassVar[int]
    LINES_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    FINISHED_AT_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    company_id: str
    store_id: str
    state: CompanyRechargeState
    lines_total: int
    lines_posted: int
    amount_total_fen: int
    amount_posted_fen: int
    last_error: str
    lines: _containers.RepeatedCompositeFieldContainer[CompanyRechargeLineResult]
    created_at: _timestamp_pb2.Timestamp
    finished_at: _timestamp_pb2.Timestamp
    def __init__(self, job_id: _Optional[str] = ..., company_id: _Optional[str] = ..., store_id: _Optional[str] = ..., state: _Optional[_Union[CompanyRechargeState, str]] = ..., lines_total: _Optional[int] = ..., lines_posted: _Optional[int] = ..., amount_total_fen: _Optional[int] = ..., amount_posted_fen: _Optional[int] = ..., last_error: _Optional[str] = ..., lines: _Optional[_Iterable[_Union[CompanyRechargeLineResult, _Mapping]]] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., finished_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class BulkRechargeResponse(_message.Message):
    __slots__ = ("job",)
    JOB_FIELD_NUMBER: _ClassVar[int]
    job: CompanyRechargeJob
    def __init__(self, job: _Optional[_Union[CompanyRechargeJob, _Mapping]] = ...) -> None: ...

class GetBulkRechargeRequest(_message.Message):
    __slots__ = ("job_id",)
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    def __init__(self, job_id: _Optional[str] = ...) -> None: ...

class GetBulkRechargeResponse(_message.Message):
    __slots__ = ("job", "company")
    JOB_FIELD_NUMBER: _ClassVar[int]
    COMPANY_FIELD_NUMBER: _ClassVar[int]
    job: CompanyRechargeJob
    company: Company
    def __init__(self, job: _Optional[_Union[CompanyRechargeJob, _Mapping]] = ..., company: _Optional[_Union[Company, _Mapping]] = ...) -> None: ...

class ListCompanyCardsRequest(_message.Message):
    __slots__ = ("company_id", "page_size", "page_token")
    COMPANY_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    company_id: str
    page_size: int
    page_token: str
    def __init__(self, company_id: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class CompanyCardSpend(_message.Message):
    __slots__ = ("franchisee_id", "spent_fen", "spend_count")
    FRANCHISEE_ID_FIELD_NUMBER: _ClassVar[int]
    SPENT_FEN_FIELD_NUMBER: _ClassVar[int]
    SPEND_COUNT_FIELD_NUMBER: _ClassVar[int]
    franchisee_id: str
    spent_fen: int
    spend_count: int
    def __init__(self, franchisee_id: _Optional[str] = ..., spent_fen: _Optional[int] = ..., spend_count: _Optional[int] = ...) -> None: ...

class CompanyCard(_message.Message):
    __slots__ = ("card_number", "home_region", "member_id", "principal_fen", "bonus_fen", "points", "transaction_count", "last_transaction_at", "bought_fen", "spent_fen", "spend_count", "last_spent_at", "spent_at")
    CARD_NUMBER_FIELD_NUMBER: _ClassVar[int]
    HOME_REGION_FIELD_NUMBER: _ClassVar[int]
    MEMBER_ID_FIELD_NUMBER: _ClassVar[int]
    PRINCIPAL_FEN_FIELD_NUMBER: _ClassVar[int]
    BONUS_FEN_FIELD_NUMBER: _ClassVar[int]
    POINTS_FIELD_NUMBER: _ClassVar[int]
    TRANSACTION_COUNT_FIELD_NUMBER: _ClassVar[int]
    LAST_TRANSACTION_AT_FIELD_NUMBER: _ClassVar[int]
    BOUGHT_FEN_FIELD_NUMBER: _ClassVar[int]
    SPENT_FEN_FIELD_NUMBER: _ClassVar[int]
    SPEND_COUNT_FIELD_NUMBER: _ClassVar[int]
    LAST_SPENT_AT_FIELD_NUMBER: _ClassVar[int]
    SPENT_AT_FIELD_NUMBER: _ClassVar[int]
    card_number: str
    home_region: str
    member_id: str
    principal_fen: int
    bonus_fen: int
    points: int
    transaction_count: int
    last_transaction_at: _timestamp_pb2.Timestamp
    bought_fen: int
    spent_fen: int
    spend_count: int
    last_spent_at: _timestamp_pb2.Timestamp
    spent_at: _containers.RepeatedCompositeFieldContainer[CompanyCardSpend]
    def __init__(self, card_number: _Optional[str] = ..., home_region: _Optional[str] = ..., member_id: _Optional[str] = ..., principal_fen: _Optional[int] = ..., bonus_fen: _Optional[int] = ..., points: _Optional[int] = ..., transaction_count: _Optional[int] = ..., last_transaction_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., bought_fen: _Optional[int] = ..., spent_fen: _Optional[int] = ..., spend_count: _Optional[int] = ..., last_spent_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., spent_at: _Optional[_Iterable[_Union[CompanyCardSpend, _Mapping]]] = ...) -> None: ...

class ListCompanyCardsResponse(_message.Message):
    __slots__ = ("company", "cards", "next_page_token")
    COMPANY_FIELD_NUMBER: _ClassVar[int]
    CARDS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    company: Company
    cards: _containers.RepeatedCompositeFieldContainer[CompanyCard]
    next_page_token: str
    def __init__(self, company: _Optional[_Union[Company, _Mapping]] = ..., cards: _Optional[_Iterable[_Union[CompanyCard, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class PostCompanyOrderRequest(_message.Message):
    __slots__ = ("request_id", "job_id", "company_id", "store_id", "card_type_code", "operator_id", "lines")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    COMPANY_ID_FIELD_NUMBER: _ClassVar[int]
    STORE_ID_FIELD_NUMBER: _ClassVar[int]
    CARD_TYPE_CODE_FIELD_NUMBER: _ClassVar[int]
    OPERATOR_ID_FIELD_NUMBER: _ClassVar[int]
    LINES_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    job_id: str
    company_id: str
    store_id: str
    card_type_code: str
    operator_id: str
    lines: _containers.RepeatedCompositeFieldContainer[CompanyOrderChunkLine]
    def __init__(self, request_id: _Optional[str] = ..., job_id: _Optional[str] = ..., company_id: _Optional[str] = ..., store_id: _Optional[str] = ..., card_type_code: _Optional[str] = ..., operator_id: _Optional[str] = ..., lines: _Optional[_Iterable[_Union[CompanyOrderChunkLine, _Mapping]]] = ...) -> None: ...

class CompanyOrderChunkLine(_message.Message):
    __slots__ = ("line_index", "line")
    LINE_INDEX_FIELD_NUMBER: _ClassVar[int]
    LINE_FIELD_NUMBER: _ClassVar[int]
    line_index: int
    line: CompanyOrderLine
    def __init__(self, line_index: _Optional[int] = ..., line: _Optional[_Union[CompanyOrderLine, _Mapping]] = ...) -> None: ...

class PostCompanyOrderResponse(_message.Message):
    __slots__ = ("lines",)
    LINES_FIELD_NUMBER: _ClassVar[int]
    lines: _containers.RepeatedCompositeFieldContainer[CompanyOrderLinePosted]
    def __init__(self, lines: _Optional[_Iterable[_Union[CompanyOrderLinePosted, _Mapping]]] = ...) -> None: ...

class CompanyOrderLinePosted(_message.Message):
    __slots__ = ("line_index", "card_number", "transaction_id", "member_id")
    LINE_INDEX_FIELD_NUMBER: _ClassVar[int]
    CARD_NUMBER_FIELD_NUMBER: _ClassVar[int]
    TRANSACTION_ID_FIELD_NUMBER: _ClassVar[int]
    MEMBER_ID_FIELD_NUMBER: _ClassVar[int]
    line_index: int
    card_number: str
    transaction_id: str
    member_id: str
    def __init__(self, line_index: _Optional[int] = ..., card_number: _Optional[str] = ..., transaction_id: _Optional[str] = ..., member_id: _Optional[str] = ...) -> None: ...

class RecordCompanyPaymentRequest(_message.Message):
    __slots__ = ("request_id", "company_id", "amount_fen", "reference")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    COMPANY_ID_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FEN_FIELD_NUMBER: _ClassVar[int]
    REFERENCE_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    company_id: str
    amount_fen: int
    reference: str
    def __init__(self, request_id: _Optional[str] = ..., company_id: _Optional[str] = ..., amount_fen: _Optional[int] = ..., reference: _Optional[str] = ...) -> None: ...

class CompanyPaymentPart(_message.Message):
    __slots__ = ("region_code", "amount_fen", "transaction_id")
    REGION_CODE_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FEN_FIELD_NUMBER: _ClassVar[int]
    TRANSACTION_ID_FIELD_NUMBER: _ClassVar[int]
    region_code: str
    amount_fen: int
    transaction_id: str
    def __init__(self, region_code: _Optional[str] = ..., amount_fen: _Optional[int] = ..., transaction_id: _Optional[str] = ...) -> None: ...

class CompanyPayment(_message.Message):
    __slots__ = ("payment_id", "company_id", "amount_fen", "reference", "parts", "created_at", "posted")
    PAYMENT_ID_FIELD_NUMBER: _ClassVar[int]
    COMPANY_ID_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FEN_FIELD_NUMBER: _ClassVar[int]
    REFERENCE_FIELD_NUMBER: _ClassVar[int]
    PARTS_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    POSTED_FIELD_NUMBER: _ClassVar[int]
    payment_id: str
    company_id: str
    amount_fen: int
    reference: str
    parts: _containers.RepeatedCompositeFieldContainer[CompanyPaymentPart]
    created_at: _timestamp_pb2.Timestamp
    posted: bool
    def __init__(self, payment_id: _Optional[str] = ..., company_id: _Optional[str] = ..., amount_fen: _Optional[int] = ..., reference: _Optional[str] = ..., parts: _Optional[_Iterable[_Union[CompanyPaymentPart, _Mapping]]] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., posted: _Optional[bool] = ...) -> None: ...

class RecordCompanyPaymentResponse(_message.Message):
    __slots__ = ("payment", "outstanding_fen")
    PAYMENT_FIELD_NUMBER: _ClassVar[int]
    OUTSTANDING_FEN_FIELD_NUMBER: _ClassVar[int]
    payment: CompanyPayment
    outstanding_fen: int
    def __init__(self, payment: _Optional[_Union[CompanyPayment, _Mapping]] = ..., outstanding_fen: _Optional[int] = ...) -> None: ...

class PostCompanyPaymentRequest(_message.Message):
    __slots__ = ("request_id", "payment_id", "company_id", "franchisee_id", "amount_fen", "operator_id", "reference")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    PAYMENT_ID_FIELD_NUMBER: _ClassVar[int]
    COMPANY_ID_FIELD_NUMBER: _ClassVar[int]
    FRANCHISEE_ID_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FEN_FIELD_NUMBER: _ClassVar[int]
    OPERATOR_ID_FIELD_NUMBER: _ClassVar[int]
    REFERENCE_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    payment_id: str
    company_id: str
    franchisee_id: str
    amount_fen: int
    operator_id: str
    reference: str
    def __init__(self, request_id: _Optional[str] = ..., payment_id: _Optional[str] = ..., company_id: _Optional[str] = ..., franchisee_id: _Optional[str] = ..., amount_fen: _Optional[int] = ..., operator_id: _Optional[str] = ..., reference: _Optional[str] = ...) -> None: ...

class PostCompanyPaymentResponse(_message.Message):
    __slots__ = ("transaction_id", "business_date")
    TRANSACTION_ID_FIELD_NUMBER: _ClassVar[int]
    BUSINESS_DATE_FIELD_NUMBER: _ClassVar[int]
    transaction_id: str
    business_date: str
    def __init__(self, transaction_id: _Optional[str] = ..., business_date: _Optional[str] = ...) -> None: ...

class CreditCompanyLineRequest(_message.Message):
    __slots__ = ("request_id", "job_id", "line_index", "reason", "amount_fen")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    LINE_INDEX_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FEN_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    job_id: str
    line_index: int
    reason: str
    amount_fen: int
    def __init__(self, request_id: _Optional[str] = ..., job_id: _Optional[str] = ..., line_index: _Optional[int] = ..., reason: _Optional[str] = ..., amount_fen: _Optional[int] = ...) -> None: ...

class CreditCompanyLineResponse(_message.Message):
    __slots__ = ("transaction_id", "card_number", "amount_fen", "outstanding_fen", "line_left_fen")
    TRANSACTION_ID_FIELD_NUMBER: _ClassVar[int]
    CARD_NUMBER_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FEN_FIELD_NUMBER: _ClassVar[int]
    OUTSTANDING_FEN_FIELD_NUMBER: _ClassVar[int]
    LINE_LEFT_FEN_FIELD_NUMBER: _ClassVar[int]
    transaction_id: str
    card_number: str
    amount_fen: int
    outstanding_fen: int
    line_left_fen: int
    def __init__(self, transaction_id: _Optional[str] = ..., card_number: _Optional[str] = ..., amount_fen: _Optional[int] = ..., outstanding_fen: _Optional[int] = ..., line_left_fen: _Optional[int] = ...) -> None: ...

class VoidCompanyLineRequest(_message.Message):
    __slots__ = ("request_id", "job_id", "line_index", "company_id", "card_number", "original_transaction_id", "operator_id", "reason", "amount_fen", "credit_id")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    LINE_INDEX_FIELD_NUMBER: _ClassVar[int]
    COMPANY_ID_FIELD_NUMBER: _ClassVar[int]
    CARD_NUMBER_FIELD_NUMBER: _ClassVar[int]
    ORIGINAL_TRANSACTION_ID_FIELD_NUMBER: _ClassVar[int]
    OPERATOR_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FEN_FIELD_NUMBER: _ClassVar[int]
    CREDIT_ID_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    job_id: str
    line_index: int
    company_id: str
    card_number: str
    original_transaction_id: str
    operator_id: str
    reason: str
    amount_fen: int
    credit_id: str
    def __init__(self, request_id: _Optional[str] = ..., job_id: _Optional[str] = ..., line_index: _Optional[int] = ..., company_id: _Optional[str] = ..., card_number: _Optional[str] = ..., original_transaction_id: _Optional[str] = ..., operator_id: _Optional[str] = ..., reason: _Optional[str] = ..., amount_fen: _Optional[int] = ..., credit_id: _Optional[str] = ...) -> None: ...

class VoidCompanyLineResponse(_message.Message):
    __slots__ = ("transaction_id", "amount_fen", "business_date")
    TRANSACTION_ID_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FEN_FIELD_NUMBER: _ClassVar[int]
    BUSINESS_DATE_FIELD_NUMBER: _ClassVar[int]
    transaction_id: str
    amount_fen: int
    business_date: str
    def __init__(self, transaction_id: _Optional[str] = ..., amount_fen: _Optional[int] = ..., business_date: _Optional[str] = ...) -> None: ...
