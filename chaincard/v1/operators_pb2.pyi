import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class OperatorRole(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    OPERATOR_ROLE_UNSPECIFIED: _ClassVar[OperatorRole]
    OPERATOR_ROLE_CASHIER: _ClassVar[OperatorRole]
    OPERATOR_ROLE_STORE_MANAGER: _ClassVar[OperatorRole]
    OPERATOR_ROLE_FRANCHISEE_ADMIN: _ClassVar[OperatorRole]
    OPERATOR_ROLE_REGIONAL_MANAGER: _ClassVar[OperatorRole]
    OPERATOR_ROLE_CALL_CENTER: _ClassVar[OperatorRole]
    OPERATOR_ROLE_HQ_FINANCE: _ClassVar[OperatorRole]
    OPERATOR_ROLE_HQ_ADMIN: _ClassVar[OperatorRole]
    OPERATOR_ROLE_AUDITOR: _ClassVar[OperatorRole]
    OPERATOR_ROLE_INTEGRATOR: _ClassVar[OperatorRole]
    OPERATOR_ROLE_COMPANY_ADMIN: _ClassVar[OperatorRole]

class ScopeLevel(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SCOPE_LEVEL_UNSPECIFIED: _ClassVar[ScopeLevel]
    SCOPE_LEVEL_CHAIN: _ClassVar[ScopeLevel]
    SCOPE_LEVEL_REGION: _ClassVar[ScopeLevel]
    SCOPE_LEVEL_FRANCHISEE: _ClassVar[ScopeLevel]
    SCOPE_LEVEL_STORE: _ClassVar[ScopeLevel]
    SCOPE_LEVEL_COMPANY: _ClassVar[ScopeLevel]
OPERATOR_ROLE_UNSPECIFIED: OperatorRole
OPERATOR_ROLE_CASHIER: OperatorRole
OPERATOR_ROLE_STORE_MANAGER: OperatorRole
OPERATOR_ROLE_FRANCHISEE_ADMIN: OperatorRole
OPERATOR_ROLE_REGIONAL_MANAGER: OperatorRole
OPERATOR_ROLE_CALL_CENTER: OperatorRole
OPERATOR_ROLE_HQ_FINANCE: OperatorRole
OPERATOR_ROLE_HQ_ADMIN: OperatorRole
OPERATOR_ROLE_AUDITOR: OperatorRole
OPERATOR_ROLE_INTEGRATOR: OperatorRole
OPERATOR_ROLE_COMPANY_ADMIN: OperatorRole
SCOPE_LEVEL_UNSPECIFIED: ScopeLevel
SCOPE_LEVEL_CHAIN: ScopeLevel
SCOPE_LEVEL_REGION: ScopeLevel
SCOPE_LEVEL_FRANCHISEE: ScopeLevel
SCOPE_LEVEL_STORE: ScopeLevel
SCOPE_LEVEL_COMPANY: ScopeLevel

class OperatorScope(_message.Message):
    __slots__ = ("level", "id")
    LEVEL_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    level: ScopeLevel
    id: str
    def __init__(self, level: _Optional[_Union[ScopeLevel, str]] = ..., id: _Optional[str] = ...) -> None: ...

class Operator(_message.Message):
    __slots__ = ("operator_id", "login_name", "display_name", "role", "scope", "active", "created_at", "staff_id")
    OPERATOR_ID_FIELD_NUMBER: _ClassVar[int]
    LOGIN_NAME_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    SCOPE_FIELD_NUMBER: _ClassVar[int]
    ACTIVE_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    STAFF_ID_FIELD_NUMBER: _ClassVar[int]
    operator_id: str
    login_name: str
    display_name: str
    role: OperatorRole
    scope: OperatorScope
    active: bool
    created_at: _timestamp_pb2.Timestamp
    staff_id: str
    def __init__(self, operator_id: _Optional[str] = ..., login_name: _Optional[str] = ..., display_name: _Optional[str] = ..., role: _Optional[_Union[OperatorRole, str]] = ..., scope: _Optional[_Union[OperatorScope, _Mapping]] = ..., active: _Optional[bool] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., staff_id: _Optional[str] = ...) -> None: ...

class TokenVerificationKey(_message.Message):
    __slots__ = ("key_id", "algorithm", "public_key", "not_after")
    KEY_ID_FIELD_NUMBER: _ClassVar[int]
    ALGORITHM_FIELD_NUMBER: _ClassVar[int]
    PUBLIC_KEY_FIELD_NUMBER: _ClassVar[int]
    NOT_AFTER_FIELD_NUMBER: _ClassVar[int]
    key_id: str
    algorithm: str
    public_key: bytes
    not_after: _timestamp_pb2.Timestamp
    def __init__(self, key_id: _Optional[str] = ..., algorithm: _Optional[str] = ..., public_key: _Optional[bytes] = ..., not_after: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class UpsertOperatorRequest(_message.Message):
    __slots__ = ("request_id", "operator", "initial_password")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    OPERATOR_FIELD_NUMBER: _ClassVar[int]
    INITIAL_PASSWORD_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    operator: Operator
    initial_password: str
    def __init__(self, request_id: _Optional[str] = ..., operator: _Optional[_Union[Operator, _Mapping]] = ..., initial_password: _Optional[str] = ...) -> None: ...

class UpsertOperatorResponse(_message.Message):
    __slots__ = ("operator",)
    OPERATOR_FIELD_NUMBER: _ClassVar[int]
    operator: Operator
    def __init__(self, operator: _Optional[_Union[Operator, _Mapping]] = ...) -> None: ...

class GetOperatorRequest(_message.Message):
    __slots__ = ("operator_id",)
    OPERATOR_ID_FIELD_NUMBER: _ClassVar[int]
    operator_id: str
    def __init__(self, operator_id: _Optional[str] = ...) -> None: ...

class GetOperatorResponse(_message.Message):
    __slots__ = ("operator",)
    OPERATOR_FIELD_NUMBER: _ClassVar[int]
    operator: Operator
    def __init__(self, operator: _Optional[_Union[Operator, _Mapping]] = ...) -> None: ...

class ListOperatorsRequest(_message.Message):
    __slots__ = ("scope", "role", "include_inactive", "page_size", "page_token")
    SCOPE_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_INACTIVE_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    scope: OperatorScope
    role: OperatorRole
    include_inactive: bool
    page_size: int
    page_token: str
    def __init__(self, scope: _Optional[_Union[OperatorScope, _Mapping]] = ..., role: _Optional[_Union[OperatorRole, str]] = ..., include_inactive: _Optional[bool] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListOperatorsResponse(_message.Message):
    __slots__ = ("operators", "next_page_token")
    OPERATORS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    operators: _containers.RepeatedCompositeFieldContainer[Operator]
    next_page_token: str
    def __init__(self, operators: _Optional[_Iterable[_Union[Operator, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class SetOperatorPasswordRequest(_message.Message):
    __slots__ = ("request_id", "operator_id", "current_password", "new_password")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    OPERATOR_ID_FIELD_NUMBER: _ClassVar[int]
    CURRENT_PASSWORD_FIELD_NUMBER: _ClassVar[int]
    NEW_PASSWORD_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    operator_id: str
    current_password: str
    new_password: str
    def __init__(self, request_id: _Optional[str] = ..., operator_id: _Optional[str] = ..., current_password: _Optional[str] = ..., new_password: _Optional[str] = ...) -> None: ...

class SetOperatorPasswordResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class IssueTokenRequest(_message.Message):
    __slots__ = ("request_id", "login_name", "password")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    LOGIN_NAME_FIELD_NUMBER: _ClassVar[int]
    PASSWORD_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    login_name: str
    password: str
    def __init__(self, request_id: _Optional[str] = ..., login_name: _Optional[str] = ..., password: _Optional[str] = ...) -> None: ...

class IssueTokenResponse(_message.Message):
    __slots__ = ("token", "token_id", "expires_at", "operator")
    TOKEN_FIELD_NUMBER: _ClassVar[int]
    TOKEN_ID_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_AT_FIELD_NUMBER: _ClassVar[int]
    OPERATOR_FIELD_NUMBER: _ClassVar[int]
    token: str
    token_id: str
    expires_at: _timestamp_pb2.Timestamp
    operator: Operator
    def __init__(self, token: _Optional[str] = ..., token_id: _Optional[str] = ..., expires_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., operator: _Optional[_Union[Operator, _Mapping]] = ...) -> None: ...

class RevokeTokenRequest(_message.Message):
    __slots__ = ("request_id", "token_id")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    TOKEN_ID_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    token_id: str
    def __init__(self, request_id: _Optional[str] = ..., token_id: _Optional[str] = ...) -> None: ...

class RevokeTokenResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetTokenVerificationKeysRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetTokenVerificationKeysResponse(_message.Message):
    __slots__ = ("keys", "revoked_token_ids")
    KEYS_FIELD_NUMBER: _ClassVar[int]
    REVOKED_TOKEN_IDS_FIELD_NUMBER: _ClassVar[int]
    keys: _containers.RepeatedCompositeFieldContainer[TokenVerificationKey]
    revoked_token_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, keys: _Optional[_Iterable[_Union[TokenVerificationKey, _Mapping]]] = ..., revoked_token_ids: _Optional[_Iterable[str]] = ...) -> None: ...
