import datetime

from chaincard.v1 import audit_pb2 as _audit_pb2
from chaincard.v1 import common_pb2 as _common_pb2
from chaincard.v1 import program_config_pb2 as _program_config_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class RegisterMemberRequest(_message.Message):
    __slots__ = ("request_id", "store_id", "name", "phone", "birthday", "gender", "email", "custom_fields", "tags", "channel", "operator_id", "referral_code")
    class CustomFieldsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    STORE_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    PHONE_FIELD_NUMBER: _ClassVar[int]
    BIRTHDAY_FIELD_NUMBER: _ClassVar[int]
    GENDER_FIELD_NUMBER: _ClassVar[int]
    EMAIL_FIELD_NUMBER: _ClassVar[int]
    CUSTOM_FIELDS_FIELD_NUMBER: _ClassVar[int]
    TAGS_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    OPERATOR_ID_FIELD_NUMBER: _ClassVar[int]
    REFERRAL_CODE_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    store_id: str
    name: str
    phone: str
    birthday: str
    gender: _common_pb2.Gender
    email: str
    custom_fields: _containers.ScalarMap[str, str]
    tags: _containers.RepeatedScalarFieldContainer[str]
    channel: _common_pb2.RegistrationChannel
    operator_id: str
    referral_code: str
    def __init__(self, request_id: _Optional[str] = ..., store_id: _Optional[str] = ..., name: _Optional[str] = ..., phone: _Optional[str] = ..., birthday: _Optional[str] = ..., gender: _Optional[_Union[_common_pb2.Gender, str]] = ..., email: _Optional[str] = ..., custom_fields: _Optional[_Mapping[str, str]] = ..., tags: _Optional[_Iterable[str]] = ..., channel: _Optional[_Union[_common_pb2.RegistrationChannel, str]] = ..., operator_id: _Optional[str] = ..., referral_code: _Optional[str] = ...) -> None: ...

class RegisterMemberResponse(_message.Message):
    __slots__ = ("member",)
    MEMBER_FIELD_NUMBER: _ClassVar[int]
    member: _common_pb2.Member
    def __init__(self, member: _Optional[_Union[_common_pb2.Member, _Mapping]] = ...) -> None: ...

class GetMemberRequest(_message.Message):
    __slots__ = ("member_id",)
    MEMBER_ID_FIELD_NUMBER: _ClassVar[int]
    member_id: str
    def __init__(self, member_id: _Optional[str] = ...) -> None: ...

class GetMemberResponse(_message.Message):
    __slots__ = ("member", "cards")
    MEMBER_FIELD_NUMBER: _ClassVar[int]
    CARDS_FIELD_NUMBER: _ClassVar[int]
    member: _common_pb2.Member
    cards: _containers.RepeatedCompositeFieldContainer[_common_pb2.Card]
    def __init__(self, member: _Optional[_Union[_common_pb2.Member, _Mapping]] = ..., cards: _Optional[_Iterable[_Union[_common_pb2.Card, _Mapping]]] = ...) -> None: ...

class FindMemberRequest(_message.Message):
    __slots__ = ("phone", "card_number", "qr_token", "member_id", "referral_code")
    PHONE_FIELD_NUMBER: _ClassVar[int]
    CARD_NUMBER_FIELD_NUMBER: _ClassVar[int]
    QR_TOKEN_FIELD_NUMBER: _ClassVar[int]
    MEMBER_ID_FIELD_NUMBER: _ClassVar[int]
    REFERRAL_CODE_FIELD_NUMBER: _ClassVar[int]
    phone: str
    card_number: str
    qr_token: str
    member_id: str
    referral_code: str
    def __init__(self, phone: _Optional[str] = ..., card_number: _Optional[str] = ..., qr_token: _Optional[str] = ..., member_id: _Optional[str] = ..., referral_code: _Optional[str] = ...) -> None: ...

class FindMemberResponse(_message.Message):
    __slots__ = ("member", "cards")
    MEMBER_FIELD_NUMBER: _ClassVar[int]
    CARDS_FIELD_NUMBER: _ClassVar[int]
    member: _common_pb2.Member
    cards: _containers.RepeatedCompositeFieldContainer[_common_pb2.Card]
    def __init__(self, member: _Optional[_Union[_common_pb2.Member, _Mapping]] = ..., cards: _Optional[_Iterable[_Union[_common_pb2.Card, _Mapping]]] = ...) -> None: ...

class UpdateMemberRequest(_message.Message):
    __slots__ = ("request_id", "member_id", "store_id", "operator_id", "name", "phone", "birthday", "gender", "email", "custom_fields", "add_tags", "remove_tags", "reason")
    class CustomFieldsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    MEMBER_ID_FIELD_NUMBER: _ClassVar[int]
    STORE_ID_FIELD_NUMBER: _ClassVar[int]
    OPERATOR_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    PHONE_FIELD_NUMBER: _ClassVar[int]
    BIRTHDAY_FIELD_NUMBER: _ClassVar[int]
    GENDER_FIELD_NUMBER: _ClassVar[int]
    EMAIL_FIELD_NUMBER: _ClassVar[int]
    CUSTOM_FIELDS_FIELD_NUMBER: _ClassVar[int]
    ADD_TAGS_FIELD_NUMBER: _ClassVar[int]
    REMOVE_TAGS_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    member_id: str
    store_id: str
    operator_id: str
    name: str
    phone: str
    birthday: str
    gender: _common_pb2.Gender
    email: str
    custom_fields: _containers.ScalarMap[str, str]
    add_tags: _containers.RepeatedScalarFieldContainer[str]
    remove_tags: _containers.RepeatedScalarFieldContainer[str]
    reason: str
    def __init__(self, request_id: _Optional[str] = ..., member_id: _Optional[str] = ..., store_id: _Optional[str] = ..., operator_id: _Optional[str] = ..., name: _Optional[str] = ..., phone: _Optional[str] = ..., birthday: _Optional[str] = ..., gender: _Optional[_Union[_common_pb2.Gender, str]] = ..., email: _Optional[str] = ..., custom_fields: _Optional[_Mapping[str, str]] = ..., add_tags: _Optional[_Iterable[str]] = ..., remove_tags: _Optional[_Iterable[str]] = ..., reason: _Optional[str] = ...) -> None: ...

class UpdateMemberResponse(_message.Message):
    __slots__ = ("member",)
    MEMBER_FIELD_NUMBER: _ClassVar[int]
    member: _common_pb2.Member
    def __init__(self, member: _Optional[_Union[_common_pb2.Member, _Mapping]] = ...) -> None: ...

class ExportMemberDataRequest(_message.Message):
    __slots__ = ("member_id", "page_size", "page_token", "store_id", "operator_id", "reason")
    MEMBER_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    STORE_ID_FIELD_NUMBER: _ClassVar[int]
    OPERATOR_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    member_id: str
    page_size: int
    page_token: str
    store_id: str
    operator_id: str
    reason: str
    def __init__(self, member_id: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., store_id: _Optional[str] = ..., operator_id: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class ExportMemberDataResponse(_message.Message):
    __slots__ = ("member", "cards", "transactions", "audit_entries", "audit_entries_truncated", "next_page_token", "exported_at", "erased_at", "json_document")
    MEMBER_FIELD_NUMBER: _ClassVar[int]
    CARDS_FIELD_NUMBER: _ClassVar[int]
    TRANSACTIONS_FIELD_NUMBER: _ClassVar[int]
    AUDIT_ENTRIES_FIELD_NUMBER: _ClassVar[int]
    AUDIT_ENTRIES_TRUNCATED_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    EXPORTED_AT_FIELD_NUMBER: _ClassVar[int]
    ERASED_AT_FIELD_NUMBER: _ClassVar[int]
    JSON_DOCUMENT_FIELD_NUMBER: _ClassVar[int]
    member: _common_pb2.Member
    cards: _containers.RepeatedCompositeFieldContainer[_common_pb2.Card]
    transactions: _containers.RepeatedCompositeFieldContainer[_common_pb2.Transaction]
    audit_entries: _containers.RepeatedCompositeFieldContainer[_audit_pb2.AuditEntry]
    audit_entries_truncated: bool
    next_page_token: str
    exported_at: _timestamp_pb2.Timestamp
    erased_at: _timestamp_pb2.Timestamp
    json_document: str
    def __init__(self, member: _Optional[_Union[_common_pb2.Member, _Mapping]] = ..., cards: _Optional[_Iterable[_Union[_common_pb2.Card, _Mapping]]] = ..., transactions: _Optional[_Iterable[_Union[_common_pb2.Transaction, _Mapping]]] = ..., audit_entries: _Optional[_Iterable[_Union[_audit_pb2.AuditEntry, _Mapping]]] = ..., audit_entries_truncated: _Optional[bool] = ..., next_page_token: _Optional[str] = ..., exported_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., erased_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., json_document: _Optional[str] = ...) -> None: ...

class EraseMemberRequest(_message.Message):
    __slots__ = ("request_id", "member_id", "store_id", "operator_id", "reason")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    MEMBER_ID_FIELD_NUMBER: _ClassVar[int]
    STORE_ID_FIELD_NUMBER: _ClassVar[int]
    OPERATOR_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    member_id: str
    store_id: str
    operator_id: str
    reason: str
    def __init__(self, request_id: _Optional[str] = ..., member_id: _Optional[str] = ..., store_id: _Optional[str] = ..., operator_id: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class EraseMemberResponse(_message.Message):
    __slots__ = ("member", "erased_at", "already_erased")
    MEMBER_FIELD_NUMBER: _ClassVar[int]
    ERASED_AT_FIELD_NUMBER: _ClassVar[int]
    ALREADY_ERASED_FIELD_NUMBER: _ClassVar[int]
    member: _common_pb2.Member
    erased_at: _timestamp_pb2.Timestamp
    already_erased: bool
    def __init__(self, member: _Optional[_Union[_common_pb2.Member, _Mapping]] = ..., erased_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., already_erased: _Optional[bool] = ...) -> None: ...

class GetContactForNoticeRequest(_message.Message):
    __slots__ = ("member_id", "channel", "notice_id")
    MEMBER_ID_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    NOTICE_ID_FIELD_NUMBER: _ClassVar[int]
    member_id: str
    channel: _program_config_pb2.NotificationChannel
    notice_id: str
    def __init__(self, member_id: _Optional[str] = ..., channel: _Optional[_Union[_program_config_pb2.NotificationChannel, str]] = ..., notice_id: _Optional[str] = ...) -> None: ...

class GetContactForNoticeResponse(_message.Message):
    __slots__ = ("address",)
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    address: str
    def __init__(self, address: _Optional[str] = ...) -> None: ...

class SetNoticeOptOutRequest(_message.Message):
    __slots__ = ("request_id", "store_id", "member_id", "channel", "opted_out", "operator_id")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    STORE_ID_FIELD_NUMBER: _ClassVar[int]
    MEMBER_ID_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    OPTED_OUT_FIELD_NUMBER: _ClassVar[int]
    OPERATOR_ID_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    store_id: str
    member_id: str
    channel: _program_config_pb2.NotificationChannel
    opted_out: bool
    operator_id: str
    def __init__(self, request_id: _Optional[str] = ..., store_id: _Optional[str] = ..., member_id: _Optional[str] = ..., channel: _Optional[_Union[_program_config_pb2.NotificationChannel, str]] = ..., opted_out: _Optional[bool] = ..., operator_id: _Optional[str] = ...) -> None: ...

class SetNoticeOptOutResponse(_message.Message):
    __slots__ = ("opted_out",)
    OPTED_OUT_FIELD_NUMBER: _ClassVar[int]
    opted_out: bool
    def __init__(self, opted_out: _Optional[bool] = ...) -> None: ...

class MemberDate(_message.Message):
    __slots__ = ("kind", "date", "label")
    KIND_FIELD_NUMBER: _ClassVar[int]
    DATE_FIELD_NUMBER: _ClassVar[int]
    LABEL_FIELD_NUMBER: _ClassVar[int]
    kind: _program_config_pb2.MemberDateKind
    date: str
    label: str
    def __init__(self, kind: _Optional[_Union[_program_config_pb2.MemberDateKind, str]] = ..., date: _Optional[str] = ..., label: _Optional[str] = ...) -> None: ...

class SetMemberDatesRequest(_message.Message):
    __slots__ = ("request_id", "store_id", "member_id", "dates", "operator_id")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    STORE_ID_FIELD_NUMBER: _ClassVar[int]
    MEMBER_ID_FIELD_NUMBER: _ClassVar[int]
    DATES_FIELD_NUMBER: _ClassVar[int]
    OPERATOR_ID_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    store_id: str
    member_id: str
    dates: _containers.RepeatedCompositeFieldContainer[MemberDate]
    operator_id: str
    def __init__(self, request_id: _Optional[str] = ..., store_id: _Optional[str] = ..., member_id: _Optional[str] = ..., dates: _Optional[_Iterable[_Union[MemberDate, _Mapping]]] = ..., operator_id: _Optional[str] = ...) -> None: ...

class SetMemberDatesResponse(_message.Message):
    __slots__ = ("dates", "member_id")
    DATES_FIELD_NUMBER: _ClassVar[int]
    MEMBER_ID_FIELD_NUMBER: _ClassVar[int]
    dates: _containers.RepeatedCompositeFieldContainer[MemberDate]
    member_id: str
    def __init__(self, dates: _Optional[_Iterable[_Union[MemberDate, _Mapping]]] = ..., member_id: _Optional[str] = ...) -> None: ...
