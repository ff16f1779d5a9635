from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ImportKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    IMPORT_KIND_UNSPECIFIED: _ClassVar[ImportKind]
    IMPORT_KIND_MEMBERS: _ClassVar[ImportKind]
    IMPORT_KIND_CARDS: _ClassVar[ImportKind]
    IMPORT_KIND_BALANCES: _ClassVar[ImportKind]

class ImportMode(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    IMPORT_MODE_UNSPECIFIED: _ClassVar[ImportMode]
    IMPORT_MODE_DRY_RUN: _ClassVar[ImportMode]
    IMPORT_MODE_IMPORT: _ClassVar[ImportMode]
    IMPORT_MODE_RECONCILE: _ClassVar[ImportMode]

class ImportRowOutcome(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    IMPORT_ROW_OUTCOME_UNSPECIFIED: _ClassVar[ImportRowOutcome]
    IMPORT_ROW_OUTCOME_IMPORTED: _ClassVar[ImportRowOutcome]
    IMPORT_ROW_OUTCOME_ALREADY_IMPORTED: _ClassVar[ImportRowOutcome]
    IMPORT_ROW_OUTCOME_REFUSED: _ClassVar[ImportRowOutcome]
    IMPORT_ROW_OUTCOME_READ: _ClassVar[ImportRowOutcome]
IMPORT_KIND_UNSPECIFIED: ImportKind
IMPORT_KIND_MEMBERS: ImportKind
IMPORT_KIND_CARDS: ImportKind
IMPORT_KIND_BALANCES: ImportKind
IMPORT_MODE_UNSPECIFIED: ImportMode
IMPORT_MODE_DRY_RUN: ImportMode
IMPORT_MODE_IMPORT: ImportMode
IMPORT_MODE_RECONCILE: ImportMode
IMPORT_ROW_OUTCOME_UNSPECIFIED: ImportRowOutcome
IMPORT_ROW_OUTCOME_IMPORTED: ImportRowOutcome
IMPORT_ROW_OUTCOME_ALREADY_IMPORTED: ImportRowOutcome
IMPORT_ROW_OUTCOME_REFUSED: ImportRowOutcome
IMPORT_ROW_OUTCOME_READ: ImportRowOutcome

class ImportStart(_message.Message):
    __slots__ = ("kind", "mode", "file_sha256", "file_name", "chunk_rows")
    KIND_FIELD_NUMBER: _ClassVar[int]
    MODE_FIELD_NUMBER: _ClassVar[int]
    FILE_SHA256_FIELD_NUMBER: _ClassVar[int]
    FILE_NAME_FIELD_NUMBER: _ClassVar[int]
    CHUNK_ROWS_FIELD_NUMBER: _ClassVar[int]
    kind: ImportKind
    mode: ImportMode
    file_sha256: str
    file_name: str
    chunk_rows: int
    def __init__(self, kind: _Optional[_Union[ImportKind, str]] = ..., mode: _Optional[_Union[ImportMode, str]] = ..., file_sha256: _Optional[str] = ..., file_name: _Optional[str] = ..., chunk_rows: _Optional[int] = ...) -> None: ...

class ImportRow(_message.Message):
    __slots__ = ("row", "name", "phone", "card_number", "card_type", "store", "principal", "bonus", "points", "birthday", "gender", "email")
    ROW_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    PHONE_FIELD_NUMBER: _ClassVar[int]
    CARD_NUMBER_FIELD_NUMBER: _ClassVar[int]
    CARD_TYPE_FIELD_NUMBER: _ClassVar[int]
    STORE_FIELD_NUMBER: _ClassVar[int]
    PRINCIPAL_FIELD_NUMBER: _ClassVar[int]
    BONUS_FIELD_NUMBER: _ClassVar[int]
    POINTS_FIELD_NUMBER: _ClassVar[int]
    BIRTHDAY_FIELD_NUMBER: _ClassVar[int]
    GENDER_FIELD_NUMBER: _ClassVar[int]
    EMAIL_FIELD_NUMBER: _ClassVar[int]
    row: int
    name: str
    phone: str
    card_number: str
    card_type: str
    store: str
    principal: str
    bonus: str
    points: str
    birthday: str
    gender: str
    email: str
    def __init__(self, row: _Optional[int] = ..., name: _Optional[str] = ..., phone: _Optional[str] = ..., card_number: _Optional[str] = ..., card_type: _Optional[str] = ..., store: _Optional[str] = ..., principal: _Optional[str] = ..., bonus: _Optional[str] = ..., points: _Optional[str] = ..., birthday: _Optional[str] = ..., gender: _Optional[str] = ..., email: _Optional[str] = ...) -> None: ...

class ImportRowsRequest(_message.Message):
    __slots__ = ("start", "rows")
    START_FIELD_NUMBER: _ClassVar[int]
    ROWS_FIELD_NUMBER: _ClassVar[int]
    start: ImportStart
    rows: _containers.RepeatedCompositeFieldContainer[ImportRow]
    def __init__(self, start: _Optional[_Union[ImportStart, _Mapping]] = ..., rows: _Optional[_Iterable[_Union[ImportRow, _Mapping]]] = ...) -> None: ...

class ImportRowError(_message.Message):
    __slots__ = ("row", "column", "problem")
    ROW_FIELD_NUMBER: _ClassVar[int]
    COLUMN_FIELD_NUMBER: _ClassVar[int]
    PROBLEM_FIELD_NUMBER: _ClassVar[int]
    row: int
    column: str
    problem: str
    def __init__(self, row: _Optional[int] = ..., column: _Optional[str] = ..., problem: _Optional[str] = ...) -> None: ...

class ImportCounts(_message.Message):
    __slots__ = ("members", "cards", "principal_fen", "bonus_fen", "points")
    MEMBERS_FIELD_NUMBER: _ClassVar[int]
    CARDS_FIELD_NUMBER: _ClassVar[int]
    PRINCIPAL_FEN_FIELD_NUMBER: _ClassVar[int]
    BONUS_FEN_FIELD_NUMBER: _ClassVar[int]
    POINTS_FIELD_NUMBER: _ClassVar[int]
    members: int
    cards: int
    principal_fen: int
    bonus_fen: int
    points: int
    def __init__(self, members: _Optional[int] = ..., cards: _Optional[int] = ..., principal_fen: _Optional[int] = ..., bonus_fen: _Optional[int] = ..., points: _Optional[int] = ...) -> None: ...

class ImportTotals(_message.Message):
    __slots__ = ("region_code", "franchisee_id", "file", "ledger")
    REGION_CODE_FIELD_NUMBER: _ClassVar[int]
    FRANCHISEE_ID_FIELD_NUMBER: _ClassVar[int]
    FILE_FIELD_NUMBER: _ClassVar[int]
    LEDGER_FIELD_NUMBER: _ClassVar[int]
    region_code: str
    franchisee_id: str
    file: ImportCounts
    ledger: ImportCounts
    def __init__(self, region_code: _Optional[str] = ..., franchisee_id: _Optional[str] = ..., file: _Optional[_Union[ImportCounts, _Mapping]] = ..., ledger: _Optional[_Union[ImportCounts, _Mapping]] = ...) -> None: ...

class ImportRowsResponse(_message.Message):
    __slots__ = ("rows_read", "rows_valid", "rows_imported", "rows_already_imported", "errors", "totals", "differences")
    ROWS_READ_FIELD_NUMBER: _ClassVar[int]
    ROWS_VALID_FIELD_NUMBER: _ClassVar[int]
    ROWS_IMPORTED_FIELD_NUMBER: _ClassVar[int]
    ROWS_ALREADY_IMPORTED_FIELD_NUMBER: _ClassVar[int]
    ERRORS_FIELD_NUMBER: _ClassVar[int]
    TOTALS_FIELD_NUMBER: _ClassVar[int]
    DIFFERENCES_FIELD_NUMBER: _ClassVar[int]
    rows_read: int
    rows_valid: int
    rows_imported: int
    rows_already_imported: int
    errors: _containers.RepeatedCompositeFieldContainer[ImportRowError]
    totals: _containers.RepeatedCompositeFieldContainer[ImportTotals]
    differences: _containers.RepeatedCompositeFieldContainer[ImportRowError]
    def __init__(self, rows_read: _Optional[int] = ..., rows_valid: _Optional[int] = ..., rows_imported: _Optional[int] = ..., rows_already_imported: _Optional[int] = ..., errors: _Optional[_Iterable[_Union[ImportRowError, _Mapping]]] = ..., totals: _Optional[_Iterable[_Union[ImportTotals, _Mapping]]] = ..., differences: _Optional[_Iterable[_Union[ImportRowError, _Mapping]]] = ...) -> None: ...

class ImportChunkRow(_message.Message):
    __slots__ = ("row", "member_id", "name", "phone", "birthday", "gender", "email", "card_number", "card_type_code", "store_id", "principal_fen", "bonus_fen", "points")
    ROW_FIELD_NUMBER: _ClassVar[int]
    MEMBER_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    PHONE_FIELD_NUMBER: _ClassVar[int]
    BIRTHDAY_FIELD_NUMBER: _ClassVar[int]
    GENDER_FIELD_NUMBER: _ClassVar[int]
    EMAIL_FIELD_NUMBER: _ClassVar[int]
    CARD_NUMBER_FIELD_NUMBER: _ClassVar[int]
    CARD_TYPE_CODE_FIELD_NUMBER: _ClassVar[int]
    STORE_ID_FIELD_NUMBER: _ClassVar[int]
    PRINCIPAL_FEN_FIELD_NUMBER: _ClassVar[int]
    BONUS_FEN_FIELD_NUMBER: _ClassVar[int]
    POINTS_FIELD_NUMBER: _ClassVar[int]
    row: int
    member_id: str
    name: str
    phone: str
    birthday: str
    gender: str
    email: str
    card_number: str
    card_type_code: str
    store_id: str
    principal_fen: int
    bonus_fen: int
    points: int
    def __init__(self, row: _Optional[int] = ..., member_id: _Optional[str] = ..., name: _Optional[str] = ..., phone: _Optional[str] = ..., birthday: _Optional[str] = ..., gender: _Optional[str] = ..., email: _Optional[str] = ..., card_number: _Optional[str] = ..., card_type_code: _Optional[str] = ..., store_id: _Optional[str] = ..., principal_fen: _Optional[int] = ..., bonus_fen: _Optional[int] = ..., points: _Optional[int] = ...) -> None: ...

class ImportChunkRequest(_message.Message):
    __slots__ = ("request_id", "kind", "reconcile_only", "rows")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    RECONCILE_ONLY_FIELD_NUMBER: _ClassVar[int]
    ROWS_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    kind: ImportKind
    reconcile_only: bool
    rows: _containers.RepeatedCompositeFieldContainer[ImportChunkRow]
    def __init__(self, request_id: _Optional[str] = ..., kind: _Optional[_Union[ImportKind, str]] = ..., reconcile_only: _Optional[bool] = ..., rows: _Optional[_Iterable[_Union[ImportChunkRow, _Mapping]]] = ...) -> None: ...

class ImportChunkResult(_message.Message):
    __slots__ = ("row", "outcome", "column", "problem", "member_exists", "card_exists", "principal_fen", "bonus_fen", "points", "franchisee_id")
    ROW_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    COLUMN_FIELD_NUMBER: _ClassVar[int]
    PROBLEM_FIELD_NUMBER: _ClassVar[int]
    MEMBER_EXISTS_FIELD_NUMBER: _ClassVar[int]
    CARD_EXISTS_FIELD_NUMBER: _ClassVar[int]
    PRINCIPAL_FEN_FIELD_NUMBER: _ClassVar[int]
    BONUS_FEN_FIELD_NUMBER: _ClassVar[int]
    POINTS_FIELD_NUMBER: _ClassVar[int]
    FRANCHISEE_ID_FIELD_NUMBER: _ClassVar[int]
    row: int
    outcome: ImportRowOutcome
    column: str
    problem: str
    member_exists: bool
    card_exists: bool
    principal_fen: int
    bonus_fen: int
    points: int
    franchisee_id: str
    def __init__(self, row: _Optional[int] = ..., outcome: _Optional[_Union[ImportRowOutcome, str]] = ..., column: _Optional[str] = ..., problem: _Optional[str] = ..., member_exists: _Optional[bool] = ..., card_exists: _Optional[bool] = ..., principal_fen: _Optional[int] = ..., bonus_fen: _Optional[int] = ..., points: _Optional[int] = ..., franchisee_id: _Optional[str] = ...) -> None: ...

class ImportChunkResponse(_message.Message):
    __slots__ = ("results",)
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    results: _containers.RepeatedCompositeFieldContainer[ImportChunkResult]
    def __init__(self, results: _Optional[_Iterable[_Union[ImportChunkResult, _Mapping]]] = ...) -> None: ...
