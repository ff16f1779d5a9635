import datetime

from chaincard.v1 import common_pb2 as _common_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class OpenCardRequest(_message.Message):
    __slots__ = ("request_id", "store_id", "member_id", "card_type_code", "form", "physical_card_number", "operator_id", "pin")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    STORE_ID_FIELD_NUMBER: _ClassVar[int]
    MEMBER_ID_FIELD_NUMBER: _ClassVar[int]
    CARD_TYPE_CODE_FIELD_NUMBER: _ClassVar[int]
    FORM_FIELD_NUMBER: _ClassVar[int]
    PHYSICAL_CARD_NUMBER_FIELD_NUMBER: _ClassVar[int]
    OPERATOR_ID_FIELD_NUMBER: _ClassVar[int]
    PIN_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    store_id: str
    member_id: str
    card_type_code: str
    form: _common_pb2.CardForm
    physical_card_number: str
    operator_id: str
    pin: str
    def __init__(self, request_id: _Optional[str] = ..., store_id: _Optional[str] = ..., member_id: _Optional[str] = ..., card_type_code: _Optional[str] = ..., form: _Optional[_Union[_common_pb2.CardForm, str]] = ..., physical_card_number: _Optional[str] = ..., operator_id: _Optional[str] = ..., pin: _Optional[str] = ...) -> None: ...

class OpenCardResponse(_message.Message):
    __slots__ = ("card", "qr_token")
    CARD_FIELD_NUMBER: _ClassVar[int]
    QR_TOKEN_FIELD_NUMBER: _ClassVar[int]
    card: _common_pb2.Card
    qr_token: str
    def __init__(self, card: _Optional[_Union[_common_pb2.Card, _Mapping]] = ..., qr_token: _Optional[str] = ...) -> None: ...

class GetCardRequest(_message.Message):
    __slots__ = ("card_number",)
    CARD_NUMBER_FIELD_NUMBER: _ClassVar[int]
    card_number: str
    def __init__(self, card_number: _Optional[str] = ...) -> None: ...

class GetCardResponse(_message.Message):
    __slots__ = ("card",)
    CARD_FIELD_NUMBER: _ClassVar[int]
    card: _common_pb2.Card
    def __init__(self, card: _Optional[_Union[_common_pb2.Card, _Mapping]] = ...) -> None: ...

class GetBalanceRequest(_message.Message):
    __slots__ = ("card_number",)
    CARD_NUMBER_FIELD_NUMBER: _ClassVar[int]
    card_number: str
    def __init__(self, card_number: _Optional[str] = ...) -> None: ...

class GetBalanceResponse(_message.Message):
    __slots__ = ("card_number", "state", "balances", "from_cache", "as_of")
    CARD_NUMBER_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    BALANCES_FIELD_NUMBER: _ClassVar[int]
    FROM_CACHE_FIELD_NUMBER: _ClassVar[int]
    AS_OF_FIELD_NUMBER: _ClassVar[int]
    card_number: str
    state: _common_pb2.CardState
    balances: _common_pb2.Balances
    from_cache: bool
    as_of: _timestamp_pb2.Timestamp
    def __init__(self, card_number: _Optional[str] = ..., state: _Optional[_Union[_common_pb2.CardState, str]] = ..., balances: _Optional[_Union[_common_pb2.Balances, _Mapping]] = ..., from_cache: _Optional[bool] = ..., as_of: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ActivateCardRequest(_message.Message):
    __slots__ = ("request_id", "store_id", "card_number", "operator_id")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    STORE_ID_FIELD_NUMBER: _ClassVar[int]
    CARD_NUMBER_FIELD_NUMBER: _ClassVar[int]
    OPERATOR_ID_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    store_id: str
    card_number: str
    operator_id: str
    def __init__(self, request_id: _Optional[str] = ..., store_id: _Optional[str] = ..., card_number: _Optional[str] = ..., operator_id: _Optional[str] = ...) -> None: ...

class ActivateCardResponse(_message.Message):
    __slots__ = ("card",)
    CARD_FIELD_NUMBER: _ClassVar[int]
    card: _common_pb2.Card
    def __init__(self, card: _Optional[_Union[_common_pb2.Card, _Mapping]] = ...) -> None: ...

class ReportCardLostRequest(_message.Message):
    __slots__ = ("request_id", "store_id", "card_number", "operator_id", "reason")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    STORE_ID_FIELD_NUMBER: _ClassVar[int]
    CARD_NUMBER_FIELD_NUMBER: _ClassVar[int]
    OPERATOR_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    store_id: str
    card_number: str
    operator_id: str
    reason: str
    def __init__(self, request_id: _Optional[str] = ..., store_id: _Optional[str] = ..., card_number: _Optional[str] = ..., operator_id: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class ReportCardLostResponse(_message.Message):
    __slots__ = ("card",)
    CARD_FIELD_NUMBER: _ClassVar[int]
    card: _common_pb2.Card
    def __init__(self, card: _Optional[_Union[_common_pb2.Card, _Mapping]] = ...) -> None: ...

class CancelCardLossRequest(_message.Message):
    __slots__ = ("request_id", "store_id", "card_number", "operator_id", "reason")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    STORE_ID_FIELD_NUMBER: _ClassVar[int]
    CARD_NUMBER_FIELD_NUMBER: _ClassVar[int]
    OPERATOR_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    store_id: str
    card_number: str
    operator_id: str
    reason: str
    def __init__(self, request_id: _Optional[str] = ..., store_id: _Optional[str] = ..., card_number: _Optional[str] = ..., operator_id: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class CancelCardLossResponse(_message.Message):
    __slots__ = ("card",)
    CARD_FIELD_NUMBER: _ClassVar[int]
    card: _common_pb2.Card
    def __init__(self, card: _Optional[_Union[_common_pb2.Card, _Mapping]] = ...) -> None: ...

class FreezeCardRequest(_message.Message):
    __slots__ = ("request_id", "store_id", "card_number", "operator_id", "reason")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    STORE_ID_FIELD_NUMBER: _ClassVar[int]
    CARD_NUMBER_FIELD_NUMBER: _ClassVar[int]
    OPERATOR_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    store_id: str
    card_number: str
    operator_id: str
    reason: str
    def __init__(self, request_id: _Optional[str] = ..., store_id: _Optional[str] = ..., card_number: _Optional[str] = ..., operator_id: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class FreezeCardResponse(_message.Message):
    __slots__ = ("card",)
    CARD_FIELD_NUMBER: _ClassVar[int]
    card: _common_pb2.Card
    def __init__(self, card: _Optional[_Union[_common_pb2.Card, _Mapping]] = ...) -> None: ...

class ChangeCardLevelRequest(_message.Message):
    __slots__ = ("request_id", "store_id", "card_number", "operator_id", "level_code", "reason")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    STORE_ID_FIELD_NUMBER: _ClassVar[int]
    CARD_NUMBER_FIELD_NUMBER: _ClassVar[int]
    OPERATOR_ID_FIELD_NUMBER: _ClassVar[int]
    LEVEL_CODE_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    store_id: str
    card_number: str
    operator_id: str
    level_code: str
    reason: str
    def __init__(self, request_id: _Optional[str] = ..., store_id: _Optional[str] = ..., card_number: _Optional[str] = ..., operator_id: _Optional[str] = ..., level_code: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class ChangeCardLevelResponse(_message.Message):
    __slots__ = ("card",)
    CARD_FIELD_NUMBER: _ClassVar[int]
    card: _common_pb2.Card
    def __init__(self, card: _Optional[_Union[_common_pb2.Card, _Mapping]] = ...) -> None: ...

class UnfreezeCardRequest(_message.Message):
    __slots__ = ("request_id", "store_id", "card_number", "operator_id", "reason")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    STORE_ID_FIELD_NUMBER: _ClassVar[int]
    CARD_NUMBER_FIELD_NUMBER: _ClassVar[int]
    OPERATOR_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    store_id: str
    card_number: str
    operator_id: str
    reason: str
    def __init__(self, request_id: _Optional[str] = ..., store_id: _Optional[str] = ..., card_number: _Optional[str] = ..., operator_id: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class UnfreezeCardResponse(_message.Message):
    __slots__ = ("card",)
    CARD_FIELD_NUMBER: _ClassVar[int]
    card: _common_pb2.Card
    def __init__(self, card: _Optional[_Union[_common_pb2.Card, _Mapping]] = ...) -> None: ...

class ReplaceCardRequest(_message.Message):
    __slots__ = ("request_id", "store_id", "card_number", "form", "new_physical_card_number", "operator_id", "reason")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    STORE_ID_FIELD_NUMBER: _ClassVar[int]
    CARD_NUMBER_FIELD_NUMBER: _ClassVar[int]
    FORM_FIELD_NUMBER: _ClassVar[int]
    NEW_PHYSICAL_CARD_NUMBER_FIELD_NUMBER: _ClassVar[int]
    OPERATOR_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    store_id: str
    card_number: str
    form: _common_pb2.CardForm
    new_physical_card_number: str
    operator_id: str
    reason: str
    def __init__(self, request_id: _Optional[str] = ..., store_id: _Optional[str] = ..., card_number: _Optional[str] = ..., form: _Optional[_Union[_common_pb2.CardForm, str]] = ..., new_physical_card_number: _Optional[str] = ..., operator_id: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class ReplaceCardResponse(_message.Message):
    __slots__ = ("old_card", "new_card", "transaction", "qr_token")
    OLD_CARD_FIELD_NUMBER: _ClassVar[int]
    NEW_CARD_FIELD_NUMBER: _ClassVar[int]
    TRANSACTION_FIELD_NUMBER: _ClassVar[int]
    QR_TOKEN_FIELD_NUMBER: _ClassVar[int]
    old_card: _common_pb2.Card
    new_card: _common_pb2.Card
    transaction: _common_pb2.Transaction
    qr_token: str
    def __init__(self, old_card: _Optional[_Union[_common_pb2.Card, _Mapping]] = ..., new_card: _Optional[_Union[_common_pb2.Card, _Mapping]] = ..., transaction: _Optional[_Union[_common_pb2.Transaction, _Mapping]] = ..., qr_token: _Optional[str] = ...) -> None: ...

class ReissueCardRequest(_message.Message):
    __slots__ = ("request_id", "store_id", "card_number", "form", "new_physical_card_number", "operator_id", "reason")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    STORE_ID_FIELD_NUMBER: _ClassVar[int]
    CARD_NUMBER_FIELD_NUMBER: _ClassVar[int]
    FORM_FIELD_NUMBER: _ClassVar[int]
    NEW_PHYSICAL_CARD_NUMBER_FIELD_NUMBER: _ClassVar[int]
    OPERATOR_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    store_id: str
    card_number: str
    form: _common_pb2.CardForm
    new_physical_card_number: str
    operator_id: str
    reason: str
    def __init__(self, request_id: _Optional[str] = ..., store_id: _Optional[str] = ..., card_number: _Optional[str] = ..., form: _Optional[_Union[_common_pb2.CardForm, str]] = ..., new_physical_card_number: _Optional[str] = ..., operator_id: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class ReissueCardResponse(_message.Message):
    __slots__ = ("old_card", "new_card", "transaction", "qr_token")
    OLD_CARD_FIELD_NUMBER: _ClassVar[int]
    NEW_CARD_FIELD_NUMBER: _ClassVar[int]
    TRANSACTION_FIELD_NUMBER: _ClassVar[int]
    QR_TOKEN_FIELD_NUMBER: _ClassVar[int]
    old_card: _common_pb2.Card
    new_card: _common_pb2.Card
    transaction: _common_pb2.Transaction
    qr_token: str
    def __init__(self, old_card: _Optional[_Union[_common_pb2.Card, _Mapping]] = ..., new_card: _Optional[_Union[_common_pb2.Card, _Mapping]] = ..., transaction: _Optional[_Union[_common_pb2.Transaction, _Mapping]] = ..., qr_token: _Optional[str] = ...) -> None: ...

class CloseCardRequest(_message.Message):
    __slots__ = ("request_id", "store_id", "card_number", "refund_tender", "pin", "operator_id", "reason")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    STORE_ID_FIELD_NUMBER: _ClassVar[int]
    CARD_NUMBER_FIELD_NUMBER: _ClassVar[int]
    REFUND_TENDER_FIELD_NUMBER: _ClassVar[int]
    PIN_FIELD_NUMBER: _ClassVar[int]
    OPERATOR_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    store_id: str
    card_number: str
    refund_tender: _common_pb2.TenderType
    pin: str
    operator_id: str
    reason: str
    def __init__(self, request_id: _Optional[str] = ..., store_id: _Optional[str] = ..., card_number: _Optional[str] = ..., refund_tender: _Optional[_Union[_common_pb2.TenderType, str]] = ..., pin: _Optional[str] = ..., operator_id: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class CloseCardResponse(_message.Message):
    __slots__ = ("card", "transaction", "principal_refunded_fen", "bonus_forfeited_fen", "points_forfeited", "receipt")
    CARD_FIELD_NUMBER: _ClassVar[int]
    TRANSACTION_FIELD_NUMBER: _ClassVar[int]
    PRINCIPAL_REFUNDED_FEN_FIELD_NUMBER: _ClassVar[int]
    BONUS_FORFEITED_FEN_FIELD_NUMBER: _ClassVar[int]
    POINTS_FORFEITED_FIELD_NUMBER: _ClassVar[int]
    RECEIPT_FIELD_NUMBER: _ClassVar[int]
    card: _common_pb2.Card
    transaction: _common_pb2.Transaction
    principal_refunded_fen: int
    bonus_forfeited_fen: int
    points_forfeited: int
    receipt: _containers.RepeatedCompositeFieldContainer[_common_pb2.ReceiptLine]
    def __init__(self, card: _Optional[_Union[_common_pb2.Card, _Mapping]] = ..., transaction: _Optional[_Union[_common_pb2.Transaction, _Mapping]] = ..., principal_refunded_fen: _Optional[int] = ..., bonus_forfeited_fen: _Optional[int] = ..., points_forfeited: _Optional[int] = ..., receipt: _Optional[_Iterable[_Union[_common_pb2.ReceiptLine, _Mapping]]] = ...) -> None: ...

class SetPinRequest(_message.Message):
    __slots__ = ("request_id", "store_id", "card_number", "pin", "operator_id")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    STORE_ID_FIELD_NUMBER: _ClassVar[int]
    CARD_NUMBER_FIELD_NUMBER: _ClassVar[int]
    PIN_FIELD_NUMBER: _ClassVar[int]
    OPERATOR_ID_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    store_id: str
    card_number: str
    pin: str
    operator_id: str
    def __init__(self, request_id: _Optional[str] = ..., store_id: _Optional[str] = ..., card_number: _Optional[str] = ..., pin: _Optional[str] = ..., operator_id: _Optional[str] = ...) -> None: ...

class SetPinResponse(_message.Message):
    __slots__ = ("card",)
    CARD_FIELD_NUMBER: _ClassVar[int]
    card: _common_pb2.Card
    def __init__(self, card: _Optional[_Union[_common_pb2.Card, _Mapping]] = ...) -> None: ...

class ChangePinRequest(_message.Message):
    __slots__ = ("request_id", "store_id", "card_number", "old_pin", "new_pin", "operator_id")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    STORE_ID_FIELD_NUMBER: _ClassVar[int]
    CARD_NUMBER_FIELD_NUMBER: _ClassVar[int]
    OLD_PIN_FIELD_NUMBER: _ClassVar[int]
    NEW_PIN_FIELD_NUMBER: _ClassVar[int]
    OPERATOR_ID_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    store_id: str
    card_number: str
    old_pin: str
    new_pin: str
    operator_id: str
    def __init__(self, request_id: _Optional[str] = ..., store_id: _Optional[str] = ..., card_number: _Optional[str] = ..., old_pin: _Optional[str] = ..., new_pin: _Optional[str] = ..., operator_id: _Optional[str] = ...) -> None: ...

class ChangePinResponse(_message.Message):
    __slots__ = ("card",)
    CARD_FIELD_NUMBER: _ClassVar[int]
    card: _common_pb2.Card
    def __init__(self, card: _Optional[_Union[_common_pb2.Card, _Mapping]] = ...) -> None: ...

class ResetPinRequest(_message.Message):
    __slots__ = ("request_id", "store_id", "card_number", "new_pin", "operator_id", "reason")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    STORE_ID_FIELD_NUMBER: _ClassVar[int]
    CARD_NUMBER_FIELD_NUMBER: _ClassVar[int]
    NEW_PIN_FIELD_NUMBER: _ClassVar[int]
    OPERATOR_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    store_id: str
    card_number: str
    new_pin: str
    operator_id: str
    reason: str
    def __init__(self, request_id: _Optional[str] = ..., store_id: _Optional[str] = ..., card_number: _Optional[str] = ..., new_pin: _Optional[str] = ..., operator_id: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class ResetPinResponse(_message.Message):
    __slots__ = ("card",)
    CARD_FIELD_NUMBER: _ClassVar[int]
    card: _common_pb2.Card
    def __init__(self, card: _Optional[_Union[_common_pb2.Card, _Mapping]] = ...) -> None: ...

class RotateQrTokenRequest(_message.Message):
    __slots__ = ("request_id", "card_number")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    CARD_NUMBER_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    card_number: str
    def __init__(self, request_id: _Optional[str] = ..., card_number: _Optional[str] = ...) -> None: ...

class RotateQrTokenResponse(_message.Message):
    __slots__ = ("qr_token", "expires_at")
    QR_TOKEN_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_AT_FIELD_NUMBER: _ClassVar[int]
    qr_token: str
    expires_at: _timestamp_pb2.Timestamp
    def __init__(self, qr_token: _Optional[str] = ..., expires_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ListCardCouponsRequest(_message.Message):
    __slots__ = ("card_number", "include_inactive", "page_size", "page_token")
    CARD_NUMBER_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_INACTIVE_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    card_number: str
    include_inactive: bool
    page_size: int
    page_token: str
    def __init__(self, card_number: _Optional[str] = ..., include_inactive: _Optional[bool] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListCardCouponsResponse(_message.Message):
    __slots__ = ("coupons", "next_page_token")
    COUPONS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    coupons: _containers.RepeatedCompositeFieldContainer[_common_pb2.Coupon]
    next_page_token: str
    def __init__(self, coupons: _Optional[_Iterable[_Union[_common_pb2.Coupon, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class IssueCouponRequest(_message.Message):
    __slots__ = ("request_id", "store_id", "card_number", "template_code", "quantity", "operator_id", "reason")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    STORE_ID_FIELD_NUMBER: _ClassVar[int]
    CARD_NUMBER_FIELD_NUMBER: _ClassVar[int]
    TEMPLATE_CODE_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    OPERATOR_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    store_id: str
    card_number: str
    template_code: str
    quantity: int
    operator_id: str
    reason: str
    def __init__(self, request_id: _Optional[str] = ..., store_id: _Optional[str] = ..., card_number: _Optional[str] = ..., template_code: _Optional[str] = ..., quantity: _Optional[int] = ..., operator_id: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class IssueCouponResponse(_message.Message):
    __slots__ = ("coupons",)
    COUPONS_FIELD_NUMBER: _ClassVar[int]
    coupons: _containers.RepeatedCompositeFieldContainer[_common_pb2.Coupon]
    def __init__(self, coupons: _Optional[_Iterable[_Union[_common_pb2.Coupon, _Mapping]]] = ...) -> None: ...

class TransferCouponRequest(_message.Message):
    __slots__ = ("request_id", "store_id", "card_number", "coupon_code", "recipient_phone", "operator_id", "pin")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    STORE_ID_FIELD_NUMBER: _ClassVar[int]
    CARD_NUMBER_FIELD_NUMBER: _ClassVar[int]
    COUPON_CODE_FIELD_NUMBER: _ClassVar[int]
    RECIPIENT_PHONE_FIELD_NUMBER: _ClassVar[int]
    OPERATOR_ID_FIELD_NUMBER: _ClassVar[int]
    PIN_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    store_id: str
    card_number: str
    coupon_code: str
    recipient_phone: str
    operator_id: str
    pin: str
    def __init__(self, request_id: _Optional[str] = ..., store_id: _Optional[str] = ..., card_number: _Optional[str] = ..., coupon_code: _Optional[str] = ..., recipient_phone: _Optional[str] = ..., operator_id: _Optional[str] = ..., pin: _Optional[str] = ...) -> None: ...

class TransferCouponResponse(_message.Message):
    __slots__ = ("given", "received", "recipient_card_masked", "reward_points", "reward_transaction")
    GIVEN_FIELD_NUMBER: _ClassVar[int]
    RECEIVED_FIELD_NUMBER: _ClassVar[int]
    RECIPIENT_CARD_MASKED_FIELD_NUMBER: _ClassVar[int]
    REWARD_POINTS_FIELD_NUMBER: _ClassVar[int]
    REWARD_TRANSACTION_FIELD_NUMBER: _ClassVar[int]
    given: _common_pb2.Coupon
    received: _common_pb2.Coupon
    recipient_card_masked: str
    reward_points: int
    reward_transaction: _common_pb2.Transaction
    def __init__(self, given: _Optional[_Union[_common_pb2.Coupon, _Mapping]] = ..., received: _Optional[_Union[_common_pb2.Coupon, _Mapping]] = ..., recipient_card_masked: _Optional[str] = ..., reward_points: _Optional[int] = ..., reward_transaction: _Optional[_Union[_common_pb2.Transaction, _Mapping]] = ...) -> None: ...

class ReceiveTransferredCouponRequest(_message.Message):
    __slots__ = ("request_id", "recipient_phone", "coupon_code", "template_code", "valid_from", "valid_until", "giver_card_last4", "operator_id")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    RECIPIENT_PHONE_FIELD_NUMBER: _ClassVar[int]
    COUPON_CODE_FIELD_NUMBER: _ClassVar[int]
    TEMPLATE_CODE_FIELD_NUMBER: _ClassVar[int]
    VALID_FROM_FIELD_NUMBER: _ClassVar[int]
    VALID_UNTIL_FIELD_NUMBER: _ClassVar[int]
    GIVER_CARD_LAST4_FIELD_NUMBER: _ClassVar[int]
    OPERATOR_ID_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    recipient_phone: str
    coupon_code: str
    template_code: str
    valid_from: _timestamp_pb2.Timestamp
    valid_until: _timestamp_pb2.Timestamp
    giver_card_last4: str
    operator_id: str
    def __init__(self, request_id: _Optional[str] = ..., recipient_phone: _Optional[str] = ..., coupon_code: _Optional[str] = ..., template_code: _Optional[str] = ..., valid_from: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., valid_until: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., giver_card_last4: _Optional[str] = ..., operator_id: _Optional[str] = ...) -> None: ...

class ReceiveTransferredCouponResponse(_message.Message):
    __slots__ = ("coupon",)
    COUPON_FIELD_NUMBER: _ClassVar[int]
    coupon: _common_pb2.Coupon
    def __init__(self, coupon: _Optional[_Union[_common_pb2.Coupon, _Mapping]] = ...) -> None: ...

class WriteOffReceivableRequest(_message.Message):
    __slots__ = ("request_id", "store_id", "card_number", "operator_id", "reason")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    STORE_ID_FIELD_NUMBER: _ClassVar[int]
    CARD_NUMBER_FIELD_NUMBER: _ClassVar[int]
    OPERATOR_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    store_id: str
    card_number: str
    operator_id: str
    reason: str
    def __init__(self, request_id: _Optional[str] = ..., store_id: _Optional[str] = ..., card_number: _Optional[str] = ..., operator_id: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class WriteOffReceivableResponse(_message.Message):
    __slots__ = ("transaction", "written_off_fen", "points_written_off", "balances", "receipt")
    TRANSACTION_FIELD_NUMBER: _ClassVar[int]
    WRITTEN_OFF_FEN_FIELD_NUMBER: _ClassVar[int]
    POINTS_WRITTEN_OFF_FIELD_NUMBER: _ClassVar[int]
    BALANCES_FIELD_NUMBER: _ClassVar[int]
    RECEIPT_FIELD_NUMBER: _ClassVar[int]
    transaction: _common_pb2.Transaction
    written_off_fen: int
    points_written_off: int
    balances: _common_pb2.Balances
    receipt: _containers.RepeatedCompositeFieldContainer[_common_pb2.ReceiptLine]
    def __init__(self, transaction: _Optional[_Union[_common_pb2.Transaction, _Mapping]] = ..., written_off_fen: _Optional[int] = ..., points_written_off: _Optional[int] = ..., balances: _Optional[_Union[_common_pb2.Balances, _Mapping]] = ..., receipt: _Optional[_Iterable[_Union[_common_pb2.ReceiptLine, _Mapping]]] = ...) -> None: ...

class RenewCardRequest(_message.Message):
    __slots__ = ("request_id", "store_id", "card_number", "operator_id", "reason")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    STORE_ID_FIELD_NUMBER: _ClassVar[int]
    CARD_NUMBER_FIELD_NUMBER: _ClassVar[int]
    OPERATOR_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    store_id: str
    card_number: str
    operator_id: str
    reason: str
    def __init__(self, request_id: _Optional[str] = ..., store_id: _Optional[str] = ..., card_number: _Optional[str] = ..., operator_id: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class RenewCardResponse(_message.Message):
    __slots__ = ("card", "previous_expires_at")
    CARD_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_EXPIRES_AT_FIELD_NUMBER: _ClassVar[int]
    card: _common_pb2.Card
    previous_expires_at: _timestamp_pb2.Timestamp
    def __init__(self, card: _Optional[_Union[_common_pb2.Card, _Mapping]] = ..., previous_expires_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class LinkCardRequest(_message.Message):
    __slots__ = ("request_id", "store_id", "card_number", "linked_card_number", "monthly_limit_fen", "operator_id", "reason")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    STORE_ID_FIELD_NUMBER: _ClassVar[int]
    CARD_NUMBER_FIELD_NUMBER: _ClassVar[int]
    LINKED_CARD_NUMBER_FIELD_NUMBER: _ClassVar[int]
    MONTHLY_LIMIT_FEN_FIELD_NUMBER: _ClassVar[int]
    OPERATOR_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    store_id: str
    card_number: str
    linked_card_number: str
    monthly_limit_fen: int
    operator_id: str
    reason: str
    def __init__(self, request_id: _Optional[str] = ..., store_id: _Optional[str] = ..., card_number: _Optional[str] = ..., linked_card_number: _Optional[str] = ..., monthly_limit_fen: _Optional[int] = ..., operator_id: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class LinkCardResponse(_message.Message):
    __slots__ = ("link",)
    LINK_FIELD_NUMBER: _ClassVar[int]
    link: LinkedCard
    def __init__(self, link: _Optional[_Union[LinkedCard, _Mapping]] = ...) -> None: ...

class UnlinkCardRequest(_message.Message):
    __slots__ = ("request_id", "store_id", "card_number", "linked_card_number", "operator_id", "reason")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    STORE_ID_FIELD_NUMBER: _ClassVar[int]
    CARD_NUMBER_FIELD_NUMBER: _ClassVar[int]
    LINKED_CARD_NUMBER_FIELD_NUMBER: _ClassVar[int]
    OPERATOR_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    store_id: str
    card_number: str
    linked_card_number: str
    operator_id: str
    reason: str
    def __init__(self, request_id: _Optional[str] = ..., store_id: _Optional[str] = ..., card_number: _Optional[str] = ..., linked_card_number: _Optional[str] = ..., operator_id: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class UnlinkCardResponse(_message.Message):
    __slots__ = ("link",)
    LINK_FIELD_NUMBER: _ClassVar[int]
    link: LinkedCard
    def __init__(self, link: _Optional[_Union[LinkedCard, _Mapping]] = ...) -> None: ...

class ListLinkedCardsRequest(_message.Message):
    __slots__ = ("card_number",)
    CARD_NUMBER_FIELD_NUMBER: _ClassVar[int]
    card_number: str
    def __init__(self, card_number: _Optional[str] = ...) -> None: ...

class ListLinkedCardsResponse(_message.Message):
    __slots__ = ("links",)
    LINKS_FIELD_NUMBER: _ClassVar[int]
    links: _containers.RepeatedCompositeFieldContainer[LinkedCard]
    def __init__(self, links: _Optional[_Iterable[_Union[LinkedCard, _Mapping]]] = ...) -> None: ...

class LinkedCard(_message.Message):
    __slots__ = ("main_card_number", "linked_card_number", "member_id", "state", "monthly_limit_fen", "spent_this_month_fen", "month", "linked_at")
    MAIN_CARD_NUMBER_FIELD_NUMBER: _ClassVar[int]
    LINKED_CARD_NUMBER_FIELD_NUMBER: _ClassVar[int]
    MEMBER_ID_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    MONTHLY_LIMIT_FEN_FIELD_NUMBER: _ClassVar[int]
    SPENT_THIS_MONTH_FEN_FIELD_NUMBER: _ClassVar[int]
    MONTH_FIELD_NUMBER: _ClassVar[int]
    LINKED_AT_FIELD_NUMBER: _ClassVar[int]
    main_card_number: str
    linked_card_number: str
    member_id: str
    state: _common_pb2.CardState
    monthly_limit_fen: int
    spent_this_month_fen: int
    month: str
    linked_at: _timestamp_pb2.Timestamp
    def __init__(self, main_card_number: _Optional[str] = ..., linked_card_number: _Optional[str] = ..., member_id: _Optional[str] = ..., state: _Optional[_Union[_common_pb2.CardState, str]] = ..., monthly_limit_fen: _Optional[int] = ..., spent_this_month_fen: _Optional[int] = ..., month: _Optional[str] = ..., linked_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class BuyLevelRequest(_message.Message):
    __slots__ = ("request_id", "store_id", "card_number", "level_code", "tender", "pin", "operator_id")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    STORE_ID_FIELD_NUMBER: _ClassVar[int]
    CARD_NUMBER_FIELD_NUMBER: _ClassVar[int]
    LEVEL_CODE_FIELD_NUMBER: _ClassVar[int]
    TENDER_FIELD_NUMBER: _ClassVar[int]
    PIN_FIELD_NUMBER: _ClassVar[int]
    OPERATOR_ID_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    store_id: str
    card_number: str
    level_code: str
    tender: _common_pb2.TenderType
    pin: str
    operator_id: str
    def __init__(self, request_id: _Optional[str] = ..., store_id: _Optional[str] = ..., card_number: _Optional[str] = ..., level_code: _Optional[str] = ..., tender: _Optional[_Union[_common_pb2.TenderType, str]] = ..., pin: _Optional[str] = ..., operator_id: _Optional[str] = ...) -> None: ...

class BuyLevelResponse(_message.Message):
    __slots__ = ("transaction", "amount_fen", "previous_level_code", "level_code", "paid_until", "balances_after", "receipt")
    TRANSACTION_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FEN_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_LEVEL_CODE_FIELD_NUMBER: _ClassVar[int]
    LEVEL_CODE_FIELD_NUMBER: _ClassVar[int]
    PAID_UNTIL_FIELD_NUMBER: _ClassVar[int]
    BALANCES_AFTER_FIELD_NUMBER: _ClassVar[int]
    RECEIPT_FIELD_NUMBER: _ClassVar[int]
    transaction: _common_pb2.Transaction
    amount_fen: int
    previous_level_code: str
    level_code: str
    paid_until: _timestamp_pb2.Timestamp
    balances_after: _common_pb2.Balances
    receipt: _containers.RepeatedCompositeFieldContainer[_common_pb2.ReceiptLine]
    def __init__(self, transaction: _Optional[_Union[_common_pb2.Transaction, _Mapping]] = ..., amount_fen: _Optional[int] = ..., previous_level_code: _Optional[str] = ..., level_code: _Optional[str] = ..., paid_until: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., balances_after: _Optional[_Union[_common_pb2.Balances, _Mapping]] = ..., receipt: _Optional[_Iterable[_Union[_common_pb2.ReceiptLine, _Mapping]]] = ...) -> None: ...
