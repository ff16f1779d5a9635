from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class StaffRole(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    STAFF_ROLE_UNSPECIFIED: _ClassVar[StaffRole]
    STAFF_ROLE_CASHIER: _ClassVar[StaffRole]
    STAFF_ROLE_STORE_MANAGER: _ClassVar[StaffRole]
STAFF_ROLE_UNSPECIFIED: StaffRole
STAFF_ROLE_CASHIER: StaffRole
STAFF_ROLE_STORE_MANAGER: StaffRole

class Region(_message.Message):
    __slots__ = ("code", "card_prefix", "name", "endpoint", "endpoints")
    CODE_FIELD_NUMBER: _ClassVar[int]
    CARD_PREFIX_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    ENDPOINT_FIELD_NUMBER: _ClassVar[int]
    ENDPOINTS_FIELD_NUMBER: _ClassVar[int]
    code: str
    card_prefix: str
    name: str
    endpoint: str
    endpoints: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, code: _Optional[str] = ..., card_prefix: _Optional[str] = ..., name: _Optional[str] = ..., endpoint: _Optional[str] = ..., endpoints: _Optional[_Iterable[str]] = ...) -> None: ...

class Franchisee(_message.Message):
    __slots__ = ("franchisee_id", "name", "company_owned", "active")
    FRANCHISEE_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    COMPANY_OWNED_FIELD_NUMBER: _ClassVar[int]
    ACTIVE_FIELD_NUMBER: _ClassVar[int]
    franchisee_id: str
    name: str
    company_owned: bool
    active: bool
    def __init__(self, franchisee_id: _Optional[str] = ..., name: _Optional[str] = ..., company_owned: _Optional[bool] = ..., active: _Optional[bool] = ...) -> None: ...

class Store(_message.Message):
    __slots__ = ("store_id", "name", "region_code", "franchisee_id", "time_zone", "address", "active")
    STORE_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    REGION_CODE_FIELD_NUMBER: _ClassVar[int]
    FRANCHISEE_ID_FIELD_NUMBER: _ClassVar[int]
    TIME_ZONE_FIELD_NUMBER: _ClassVar[int]
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    ACTIVE_FIELD_NUMBER: _ClassVar[int]
    store_id: str
    name: str
    region_code: str
    franchisee_id: str
    time_zone: str
    address: str
    active: bool
    def __init__(self, store_id: _Optional[str] = ..., name: _Optional[str] = ..., region_code: _Optional[str] = ..., franchisee_id: _Optional[str] = ..., time_zone: _Optional[str] = ..., address: _Optional[str] = ..., active: _Optional[bool] = ...) -> None: ...

class Staff(_message.Message):
    __slots__ = ("staff_id", "store_id", "name", "role", "active", "employee_number", "operator_id", "email")
    STAFF_ID_FIELD_NUMBER: _ClassVar[int]
    STORE_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    ACTIVE_FIELD_NUMBER: _ClassVar[int]
    EMPLOYEE_NUMBER_FIELD_NUMBER: _ClassVar[int]
    OPERATOR_ID_FIELD_NUMBER: _ClassVar[int]
    EMAIL_FIELD_NUMBER: _ClassVar[int]
    staff_id: str
    store_id: str
    name: str
    role: StaffRole
    active: bool
    employee_number: str
    operator_id: str
    email: str
    def __init__(self, staff_id: _Optional[str] = ..., store_id: _Optional[str] = ..., name: _Optional[str] = ..., role: _Optional[_Union[StaffRole, str]] = ..., active: _Optional[bool] = ..., employee_number: _Optional[str] = ..., operator_id: _Optional[str] = ..., email: _Optional[str] = ...) -> None: ...

class UpsertRegionRequest(_message.Message):
    __slots__ = ("request_id", "region")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    REGION_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    region: Region
    def __init__(self, request_id: _Optional[str] = ..., region: _Optional[_Union[Region, _Mapping]] = ...) -> None: ...

class UpsertRegionResponse(_message.Message):
    __slots__ = ("region",)
    REGION_FIELD_NUMBER: _ClassVar[int]
    region: Region
    def __init__(self, region: _Optional[_Union[Region, _Mapping]] = ...) -> None: ...

class ListRegionsRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListRegionsResponse(_message.Message):
    __slots__ = ("regions",)
    REGIONS_FIELD_NUMBER: _ClassVar[int]
    regions: _containers.RepeatedCompositeFieldContainer[Region]
    def __init__(self, regions: _Optional[_Iterable[_Union[Region, _Mapping]]] = ...) -> None: ...

class UpsertFranchiseeRequest(_message.Message):
    __slots__ = ("request_id", "franchisee")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    FRANCHISEE_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    franchisee: Franchisee
    def __init__(self, request_id: _Optional[str] = ..., franchisee: _Optional[_Union[Franchisee, _Mapping]] = ...) -> None: ...

class UpsertFranchiseeResponse(_message.Message):
    __slots__ = ("franchisee",)
    FRANCHISEE_FIELD_NUMBER: _ClassVar[int]
    franchisee: Franchisee
    def __init__(self, franchisee: _Optional[_Union[Franchisee, _Mapping]] = ...) -> None: ...

class ListFranchiseesRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListFranchiseesResponse(_message.Message):
    __slots__ = ("franchisees",)
    FRANCHISEES_FIELD_NUMBER: _ClassVar[int]
    franchisees: _containers.RepeatedCompositeFieldContainer[Franchisee]
    def __init__(self, franchisees: _Optional[_Iterable[_Union[Franchisee, _Mapping]]] = ...) -> None: ...

class UpsertStoreRequest(_message.Message):
    __slots__ = ("request_id", "store")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    STORE_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    store: Store
    def __init__(self, request_id: _Optional[str] = ..., store: _Optional[_Union[Store, _Mapping]] = ...) -> None: ...

class UpsertStoreResponse(_message.Message):
    __slots__ = ("store",)
    STORE_FIELD_NUMBER: _ClassVar[int]
    store: Store
    def __init__(self, store: _Optional[_Union[Store, _Mapping]] = ...) -> None: ...

class GetStoreRequest(_message.Message):
    __slots__ = ("store_id",)
    STORE_ID_FIELD_NUMBER: _ClassVar[int]
    store_id: str
    def __init__(self, store_id: _Optional[str] = ...) -> None: ...

class GetStoreResponse(_message.Message):
    __slots__ = ("store",)
    STORE_FIELD_NUMBER: _ClassVar[int]
    store: Store
    def __init__(self, store: _Optional[_Union[Store, _Mapping]] = ...) -> None: ...

class ListStoresRequest(_message.Message):
    __slots__ = ("region_code", "franchisee_id")
    REGION_CODE_FIELD_NUMBER: _ClassVar[int]
    FRANCHISEE_ID_FIELD_NUMBER: _ClassVar[int]
    region_code: str
    franchisee_id: str
    def __init__(self, region_code: _Optional[str] = ..., franchisee_id: _Optional[str] = ...) -> None: ...

class ListStoresResponse(_message.Message):
    __slots__ = ("stores",)
    STORES_FIELD_NUMBER: _ClassVar[int]
    stores: _containers.RepeatedCompositeFieldContainer[Store]
    def __init__(self, stores: _Optional[_Iterable[_Union[Store, _Mapping]]] = ...) -> None: ...

class UpsertStaffRequest(_message.Message):
    __slots__ = ("request_id", "staff")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    STAFF_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    staff: Staff
    def __init__(self, request_id: _Optional[str] = ..., staff: _Optional[_Union[Staff, _Mapping]] = ...) -> None: ...

class UpsertStaffResponse(_message.Message):
    __slots__ = ("staff",)
    STAFF_FIELD_NUMBER: _ClassVar[int]
    staff: Staff
    def __init__(self, staff: _Optional[_Union[Staff, _Mapping]] = ...) -> None: ...

class ListStaffRequest(_message.Message):
    __slots__ = ("store_id", "include_inactive")
    STORE_ID_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_INACTIVE_FIELD_NUMBER: _ClassVar[int]
    store_id: str
    include_inactive: bool
    def __init__(self, store_id: _Optional[str] = ..., include_inactive: _Optional[bool] = ...) -> None: ...

class ListStaffResponse(_message.Message):
    __slots__ = ("staff",)
    STAFF_FIELD_NUMBER: _ClassVar[int]
    staff: _containers.RepeatedCompositeFieldContainer[Staff]
    def __init__(self, staff: _Optional[_Iterable[_Union[Staff, _Mapping]]] = ...) -> None: ...
