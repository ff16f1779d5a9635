import datetime

from chaincard.v1 import common_pb2 as _common_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class RechargeCardRequest(_message.Message):
    __slots__ = ("request_id", "store_id", "card_number", "amount_fen", "tender", "operator_id")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    STORE_ID_FIELD_NUMBER: _ClassVar[int]
    CARD_NUMBER_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FEN_FIELD_NUMBER: _ClassVar[int]
    TENDER_FIELD_NUMBER: _ClassVar[int]
    OPERATOR_ID_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    store_id: str
    card_number: str
    amount_fen: int
    tender: _common_pb2.TenderType
    operator_id: str
    def __init__(self, request_id: _Optional[str] = ..., store_id: _Optional[str] = ..., card_number: _Optional[str] = ..., amount_fen: _Optional[int] = ..., tender: _Optional[_Union[_common_pb2.TenderType, str]] = ..., operator_id: _Optional[str] = ...) -> None: ...

class RechargeCardResponse(_message.Message):
    __slots__ = ("transaction", "principal_fen", "bonus_fen", "points_earned", "promotion_code", "receipt", "coupons_issued")
    TRANSACTION_FIELD_NUMBER: _ClassVar[int]
    PRINCIPAL_FEN_FIELD_NUMBER: _ClassVar[int]
    BONUS_FEN_FIELD_NUMBER: _ClassVar[int]
    POINTS_EARNED_FIELD_NUMBER: _ClassVar[int]
    PROMOTION_CODE_FIELD_NUMBER: _ClassVar[int]
    RECEIPT_FIELD_NUMBER: _ClassVar[int]
    COUPONS_ISSUED_FIELD_NUMBER: _ClassVar[int]
    transaction: _common_pb2.Transaction
    principal_fen: int
    bonus_fen: int
    points_earned: int
    promotion_code: str
    receipt: _containers.RepeatedCompositeFieldContainer[_common_pb2.ReceiptLine]
    coupons_issued: _containers.RepeatedCompositeFieldContainer[_common_pb2.Coupon]
    def __init__(self, transaction: _Optional[_Union[_common_pb2.Transaction, _Mapping]] = ..., principal_fen: _Optional[int] = ..., bonus_fen: _Optional[int] = ..., points_earned: _Optional[int] = ..., promotion_code: _Optional[str] = ..., receipt: _Optional[_Iterable[_Union[_common_pb2.ReceiptLine, _Mapping]]] = ..., coupons_issued: _Optional[_Iterable[_Union[_common_pb2.Coupon, _Mapping]]] = ...) -> None: ...

class BasketLine(_message.Message):
    __slots__ = ("sku", "name", "category", "quantity", "unit_price_fen")
    SKU_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    UNIT_PRICE_FEN_FIELD_NUMBER: _ClassVar[int]
    sku: str
    name: str
    category: str
    quantity: int
    unit_price_fen: int
    def __init__(self, sku: _Optional[str] = ..., name: _Optional[str] = ..., category: _Optional[str] = ..., quantity: _Optional[int] = ..., unit_price_fen: _Optional[int] = ...) -> None: ...

class TenderRequest(_message.Message):
    __slots__ = ("type", "amount_fen", "card_number", "pin", "count_item_code", "uses", "external_reference")
    TYPE_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FEN_FIELD_NUMBER: _ClassVar[int]
    CARD_NUMBER_FIELD_NUMBER: _ClassVar[int]
    PIN_FIELD_NUMBER: _ClassVar[int]
    COUNT_ITEM_CODE_FIELD_NUMBER: _ClassVar[int]
    USES_FIELD_NUMBER: _ClassVar[int]
    EXTERNAL_REFERENCE_FIELD_NUMBER: _ClassVar[int]
    type: _common_pb2.TenderType
    amount_fen: int
    card_number: str
    pin: str
    count_item_code: str
    uses: int
    external_reference: str
    def __init__(self, type: _Optional[_Union[_common_pb2.TenderType, str]] = ..., amount_fen: _Optional[int] = ..., card_number: _Optional[str] = ..., pin: _Optional[str] = ..., count_item_code: _Optional[str] = ..., uses: _Optional[int] = ..., external_reference: _Optional[str] = ...) -> None: ...

class AppliedTender(_message.Message):
    __slots__ = ("type", "amount_fen", "principal_fen", "bonus_fen", "card_number", "count_item_code", "uses")
    TYPE_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FEN_FIELD_NUMBER: _ClassVar[int]
    PRINCIPAL_FEN_FIELD_NUMBER: _ClassVar[int]
    BONUS_FEN_FIELD_NUMBER: _ClassVar[int]
    CARD_NUMBER_FIELD_NUMBER: _ClassVar[int]
    COUNT_ITEM_CODE_FIELD_NUMBER: _ClassVar[int]
    USES_FIELD_NUMBER: _ClassVar[int]
    type: _common_pb2.TenderType
    amount_fen: int
    principal_fen: int
    bonus_fen: int
    card_number: str
    count_item_code: str
    uses: int
    def __init__(self, type: _Optional[_Union[_common_pb2.TenderType, str]] = ..., amount_fen: _Optional[int] = ..., principal_fen: _Optional[int] = ..., bonus_fen: _Optional[int] = ..., card_number: _Optional[str] = ..., count_item_code: _Optional[str] = ..., uses: _Optional[int] = ...) -> None: ...

class PricedLine(_message.Message):
    __slots__ = ("sku", "quantity", "gross_fen", "level_discount_fen", "coupon_discount_fen", "points_deduction_fen", "net_fen", "points_earned")
    SKU_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    GROSS_FEN_FIELD_NUMBER: _ClassVar[int]
    LEVEL_DISCOUNT_FEN_FIELD_NUMBER: _ClassVar[int]
    COUPON_DISCOUNT_FEN_FIELD_NUMBER: _ClassVar[int]
    POINTS_DEDUCTION_FEN_FIELD_NUMBER: _ClassVar[int]
    NET_FEN_FIELD_NUMBER: _ClassVar[int]
    POINTS_EARNED_FIELD_NUMBER: _ClassVar[int]
    sku: str
    quantity: int
    gross_fen: int
    level_discount_fen: int
    coupon_discount_fen: int
    points_deduction_fen: int
    net_fen: int
    points_earned: int
    def __init__(self, sku: _Optional[str] = ..., quantity: _Optional[int] = ..., gross_fen: _Optional[int] = ..., level_discount_fen: _Optional[int] = ..., coupon_discount_fen: _Optional[int] = ..., points_deduction_fen: _Optional[int] = ..., net_fen: _Optional[int] = ..., points_earned: _Optional[int] = ...) -> None: ...

class AppliedCoupon(_message.Message):
    __slots__ = ("coupon_code", "template_code", "discount_fen", "issuer_franchisee_id")
    COUPON_CODE_FIELD_NUMBER: _ClassVar[int]
    TEMPLATE_CODE_FIELD_NUMBER: _ClassVar[int]
    DISCOUNT_FEN_FIELD_NUMBER: _ClassVar[int]
    ISSUER_FRANCHISEE_ID_FIELD_NUMBER: _ClassVar[int]
    coupon_code: str
    template_code: str
    discount_fen: int
    issuer_franchisee_id: str
    def __init__(self, coupon_code: _Optional[str] = ..., template_code: _Optional[str] = ..., discount_fen: _Optional[int] = ..., issuer_franchisee_id: _Optional[str] = ...) -> None: ...

class RejectedCoupon(_message.Message):
    __slots__ = ("coupon_code", "reason")
    COUPON_CODE_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    coupon_code: str
    reason: str
    def __init__(self, coupon_code: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class QuoteCheckoutRequest(_message.Message):
    __slots__ = ("store_id", "card_number", "lines", "points_to_redeem", "coupon_codes", "tenders")
    STORE_ID_FIELD_NUMBER: _ClassVar[int]
    CARD_NUMBER_FIELD_NUMBER: _ClassVar[int]
    LINES_FIELD_NUMBER: _ClassVar[int]
    POINTS_TO_REDEEM_FIELD_NUMBER: _ClassVar[int]
    COUPON_CODES_FIELD_NUMBER: _ClassVar[int]
    TENDERS_FIELD_NUMBER: _ClassVar[int]
    store_id: str
    card_number: str
    lines: _containers.RepeatedCompositeFieldContainer[BasketLine]
    points_to_redeem: int
    coupon_codes: _containers.RepeatedScalarFieldContainer[str]
    tenders: _containers.RepeatedCompositeFieldContainer[TenderRequest]
    def __init__(self, store_id: _Optional[str] = ..., card_number: _Optional[str] = ..., lines: _Optional[_Iterable[_Union[BasketLine, _Mapping]]] = ..., points_to_redeem: _Optional[int] = ..., coupon_codes: _Optional[_Iterable[str]] = ..., tenders: _Optional[_Iterable[_Union[TenderRequest, _Mapping]]] = ...) -> None: ...

class QuoteCheckoutResponse(_message.Message):
    __slots__ = ("subtotal_fen", "discount_fen", "points_deduction_fen", "total_due_fen", "tenders", "points_earned", "points_redeemed", "max_points_redeemable", "lines", "coupons", "rejected_coupons", "balances")
    SUBTOTAL_FEN_FIELD_NUMBER: _ClassVar[int]
    DISCOUNT_FEN_FIELD_NUMBER: _ClassVar[int]
    POINTS_DEDUCTION_FEN_FIELD_NUMBER: _ClassVar[int]
    TOTAL_DUE_FEN_FIELD_NUMBER: _ClassVar[int]
    TENDERS_FIELD_NUMBER: _ClassVar[int]
    POINTS_EARNED_FIELD_NUMBER: _ClassVar[int]
    POINTS_REDEEMED_FIELD_NUMBER: _ClassVar[int]
    MAX_POINTS_REDEEMABLE_FIELD_NUMBER: _ClassVar[int]
    LINES_FIELD_NUMBER: _ClassVar[int]
    COUPONS_FIELD_NUMBER: _ClassVar[int]
    REJECTED_COUPONS_FIELD_NUMBER: _ClassVar[int]
    BALANCES_FIELD_NUMBER: _ClassVar[int]
    subtotal_fen: int
    discount_fen: int
    points_deduction_fen: int
    total_due_fen: int
    tenders: _containers.RepeatedCompositeFieldContainer[AppliedTender]
    points_earned: int
    points_redeemed: int
    max_points_redeemable: int
    lines: _containers.RepeatedCompositeFieldContainer[PricedLine]
    coupons: _containers.RepeatedCompositeFieldContainer[AppliedCoupon]
    rejected_coupons: _containers.RepeatedCompositeFieldContainer[RejectedCoupon]
    balances: _common_pb2.Balances
    def __init__(self, subtotal_fen: _Optional[int] = ..., discount_fen: _Optional[int] = ..., points_deduction_fen: _Optional[int] = ..., total_due_fen: _Optional[int] = ..., tenders: _Optional[_Iterable[_Union[AppliedTender, _Mapping]]] = ..., points_earned: _Optional[int] = ..., points_redeemed: _Optional[int] = ..., max_points_redeemable: _Optional[int] = ..., lines: _Optional[_Iterable[_Union[PricedLine, _Mapping]]] = ..., coupons: _Optional[_Iterable[_Union[AppliedCoupon, _Mapping]]] = ..., rejected_coupons: _Optional[_Iterable[_Union[RejectedCoupon, _Mapping]]] = ..., balances: _Optional[_Union[_common_pb2.Balances, _Mapping]] = ...) -> None: ...

class CheckoutRequest(_message.Message):
    __slots__ = ("request_id", "store_id", "card_number", "lines", "points_to_redeem", "tenders", "pin", "operator_id", "coupon_codes")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    STORE_ID_FIELD_NUMBER: _ClassVar[int]
    CARD_NUMBER_FIELD_NUMBER: _ClassVar[int]
    LINES_FIELD_NUMBER: _ClassVar[int]
    POINTS_TO_REDEEM_FIELD_NUMBER: _ClassVar[int]
    TENDERS_FIELD_NUMBER: _ClassVar[int]
    PIN_FIELD_NUMBER: _ClassVar[int]
    OPERATOR_ID_FIELD_NUMBER: _ClassVar[int]
    COUPON_CODES_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    store_id: str
    card_number: str
    lines: _containers.RepeatedCompositeFieldContainer[BasketLine]
    points_to_redeem: int
    tenders: _containers.RepeatedCompositeFieldContainer[TenderRequest]
    pin: str
    operator_id: str
    coupon_codes: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, request_id: _Optional[str] = ..., store_id: _Optional[str] = ..., card_number: _Optional[str] = ..., lines: _Optional[_Iterable[_Union[BasketLine, _Mapping]]] = ..., points_to_redeem: _Optional[int] = ..., tenders: _Optional[_Iterable[_Union[TenderRequest, _Mapping]]] = ..., pin: _Optional[str] = ..., operator_id: _Optional[str] = ..., coupon_codes: _Optional[_Iterable[str]] = ...) -> None: ...

class CheckoutResponse(_message.Message):
    __slots__ = ("transaction", "subtotal_fen", "discount_fen", "points_deduction_fen", "total_due_fen", "tenders", "points_earned", "points_redeemed", "balances_after", "receipt", "offline", "lines", "coupons")
    TRANSACTION_FIELD_NUMBER: _ClassVar[int]
    SUBTOTAL_FEN_FIELD_NUMBER: _ClassVar[int]
    DISCOUNT_FEN_FIELD_NUMBER: _ClassVar[int]
    POINTS_DEDUCTION_FEN_FIELD_NUMBER: _ClassVar[int]
    TOTAL_DUE_FEN_FIELD_NUMBER: _ClassVar[int]
    TENDERS_FIELD_NUMBER: _ClassVar[int]
    POINTS_EARNED_FIELD_NUMBER: _ClassVar[int]
    POINTS_REDEEMED_FIELD_NUMBER: _ClassVar[int]
    BALANCES_AFTER_FIELD_NUMBER: _ClassVar[int]
    RECEIPT_FIELD_NUMBER: _ClassVar[int]
    OFFLINE_FIELD_NUMBER: _ClassVar[int]
    LINES_FIELD_NUMBER: _ClassVar[int]
    COUPONS_FIELD_NUMBER: _ClassVar[int]
    transaction: _common_pb2.Transaction
    subtotal_fen: int
    discount_fen: int
    points_deduction_fen: int
    total_due_fen: int
    tenders: _containers.RepeatedCompositeFieldContainer[AppliedTender]
    points_earned: int
    points_redeemed: int
    balances_after: _common_pb2.Balances
    receipt: _containers.RepeatedCompositeFieldContainer[_common_pb2.ReceiptLine]
    offline: bool
    lines: _containers.RepeatedCompositeFieldContainer[PricedLine]
    coupons: _containers.RepeatedCompositeFieldContainer[AppliedCoupon]
    def __init__(self, transaction: _Optional[_Union[_common_pb2.Transaction, _Mapping]] = ..., subtotal_fen: _Optional[int] = ..., discount_fen: _Optional[int] = ..., points_deduction_fen: _Optional[int] = ..., total_due_fen: _Optional[int] = ..., tenders: _Optional[_Iterable[_Union[AppliedTender, _Mapping]]] = ..., points_earned: _Optional[int] = ..., points_redeemed: _Optional[int] = ..., balances_after: _Optional[_Union[_common_pb2.Balances, _Mapping]] = ..., receipt: _Optional[_Iterable[_Union[_common_pb2.ReceiptLine, _Mapping]]] = ..., offline: _Optional[bool] = ..., lines: _Optional[_Iterable[_Union[PricedLine, _Mapping]]] = ..., coupons: _Optional[_Iterable[_Union[AppliedCoupon, _Mapping]]] = ...) -> None: ...

class RefundLine(_message.Message):
    __slots__ = ("sku", "quantity")
    SKU_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    sku: str
    quantity: int
    def __init__(self, sku: _Optional[str] = ..., quantity: _Optional[int] = ...) -> None: ...

class RefundSaleRequest(_message.Message):
    __slots__ = ("request_id", "store_id", "card_number", "original_transaction_id", "lines", "amount_fen", "operator_id", "reason")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    STORE_ID_FIELD_NUMBER: _ClassVar[int]
    CARD_NUMBER_FIELD_NUMBER: _ClassVar[int]
    ORIGINAL_TRANSACTION_ID_FIELD_NUMBER: _ClassVar[int]
    LINES_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FEN_FIELD_NUMBER: _ClassVar[int]
    OPERATOR_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    store_id: str
    card_number: str
    original_transaction_id: str
    lines: _containers.RepeatedCompositeFieldContainer[RefundLine]
    amount_fen: int
    operator_id: str
    reason: str
    def __init__(self, request_id: _Optional[str] = ..., store_id: _Optional[str] = ..., card_number: _Optional[str] = ..., original_transaction_id: _Optional[str] = ..., lines: _Optional[_Iterable[_Union[RefundLine, _Mapping]]] = ..., amount_fen: _Optional[int] = ..., operator_id: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class RefundSaleResponse(_message.Message):
    __slots__ = ("transaction", "refund_fen", "principal_restored_fen", "bonus_restored_fen", "points_clawed_back", "points_restored", "coupons_restored", "tenders", "balances_after", "receipt")
    TRANSACTION_FIELD_NUMBER: _ClassVar[int]
    REFUND_FEN_FIELD_NUMBER: _ClassVar[int]
    PRINCIPAL_RESTORED_FEN_FIELD_NUMBER: _ClassVar[int]
    BONUS_RESTORED_FEN_FIELD_NUMBER: _ClassVar[int]
    POINTS_CLAWED_BACK_FIELD_NUMBER: _ClassVar[int]
    POINTS_RESTORED_FIELD_NUMBER: _ClassVar[int]
    COUPONS_RESTORED_FIELD_NUMBER: _ClassVar[int]
    TENDERS_FIELD_NUMBER: _ClassVar[int]
    BALANCES_AFTER_FIELD_NUMBER: _ClassVar[int]
    RECEIPT_FIELD_NUMBER: _ClassVar[int]
    transaction: _common_pb2.Transaction
    refund_fen: int
    principal_restored_fen: int
    bonus_restored_fen: int
    points_clawed_back: int
    points_restored: int
    coupons_restored: _containers.RepeatedScalarFieldContainer[str]
    tenders: _containers.RepeatedCompositeFieldContainer[AppliedTender]
    balances_after: _common_pb2.Balances
    receipt: _containers.RepeatedCompositeFieldContainer[_common_pb2.ReceiptLine]
    def __init__(self, transaction: _Optional[_Union[_common_pb2.Transaction, _Mapping]] = ..., refund_fen: _Optional[int] = ..., principal_restored_fen: _Optional[int] = ..., bonus_restored_fen: _Optional[int] = ..., points_clawed_back: _Optional[int] = ..., points_restored: _Optional[int] = ..., coupons_restored: _Optional[_Iterable[str]] = ..., tenders: _Optional[_Iterable[_Union[AppliedTender, _Mapping]]] = ..., balances_after: _Optional[_Union[_common_pb2.Balances, _Mapping]] = ..., receipt: _Optional[_Iterable[_Union[_common_pb2.ReceiptLine, _Mapping]]] = ...) -> None: ...

class VoidSaleRequest(_message.Message):
    __slots__ = ("request_id", "store_id", "card_number", "original_transaction_id", "operator_id", "reason")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    STORE_ID_FIELD_NUMBER: _ClassVar[int]
    CARD_NUMBER_FIELD_NUMBER: _ClassVar[int]
    ORIGINAL_TRANSACTION_ID_FIELD_NUMBER: _ClassVar[int]
    OPERATOR_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    store_id: str
    card_number: str
    original_transaction_id: str
    operator_id: str
    reason: str
    def __init__(self, request_id: _Optional[str] = ..., store_id: _Optional[str] = ..., card_number: _Optional[str] = ..., original_transaction_id: _Optional[str] = ..., operator_id: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class VoidSaleResponse(_message.Message):
    __slots__ = ("transaction", "tenders", "coupons_restored", "balances_after", "receipt")
    TRANSACTION_FIELD_NUMBER: _ClassVar[int]
    TENDERS_FIELD_NUMBER: _ClassVar[int]
    COUPONS_RESTORED_FIELD_NUMBER: _ClassVar[int]
    BALANCES_AFTER_FIELD_NUMBER: _ClassVar[int]
    RECEIPT_FIELD_NUMBER: _ClassVar[int]
    transaction: _common_pb2.Transaction
    tenders: _containers.RepeatedCompositeFieldContainer[AppliedTender]
    coupons_restored: _containers.RepeatedScalarFieldContainer[str]
    balances_after: _common_pb2.Balances
    receipt: _containers.RepeatedCompositeFieldContainer[_common_pb2.ReceiptLine]
    def __init__(self, transaction: _Optional[_Union[_common_pb2.Transaction, _Mapping]] = ..., tenders: _Optional[_Iterable[_Union[AppliedTender, _Mapping]]] = ..., coupons_restored: _Optional[_Iterable[str]] = ..., balances_after: _Optional[_Union[_common_pb2.Balances, _Mapping]] = ..., receipt: _Optional[_Iterable[_Union[_common_pb2.ReceiptLine, _Mapping]]] = ...) -> None: ...

class VoidRechargeRequest(_message.Message):
    __slots__ = ("request_id", "store_id", "card_number", "original_transaction_id", "operator_id", "reason")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    STORE_ID_FIELD_NUMBER: _ClassVar[int]
    CARD_NUMBER_FIELD_NUMBER: _ClassVar[int]
    ORIGINAL_TRANSACTION_ID_FIELD_NUMBER: _ClassVar[int]
    OPERATOR_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    store_id: str
    card_number: str
    original_transaction_id: str
    operator_id: str
    reason: str
    def __init__(self, request_id: _Optional[str] = ..., store_id: _Optional[str] = ..., card_number: _Optional[str] = ..., original_transaction_id: _Optional[str] = ..., operator_id: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class VoidRechargeResponse(_message.Message):
    __slots__ = ("transaction", "principal_reversed_fen", "bonus_reversed_fen", "points_reversed", "balances_after", "receipt")
    TRANSACTION_FIELD_NUMBER: _ClassVar[int]
    PRINCIPAL_REVERSED_FEN_FIELD_NUMBER: _ClassVar[int]
    BONUS_REVERSED_FEN_FIELD_NUMBER: _ClassVar[int]
    POINTS_REVERSED_FIELD_NUMBER: _ClassVar[int]
    BALANCES_AFTER_FIELD_NUMBER: _ClassVar[int]
    RECEIPT_FIELD_NUMBER: _ClassVar[int]
    transaction: _common_pb2.Transaction
    principal_reversed_fen: int
    bonus_reversed_fen: int
    points_reversed: int
    balances_after: _common_pb2.Balances
    receipt: _containers.RepeatedCompositeFieldContainer[_common_pb2.ReceiptLine]
    def __init__(self, transaction: _Optional[_Union[_common_pb2.Transaction, _Mapping]] = ..., principal_reversed_fen: _Optional[int] = ..., bonus_reversed_fen: _Optional[int] = ..., points_reversed: _Optional[int] = ..., balances_after: _Optional[_Union[_common_pb2.Balances, _Mapping]] = ..., receipt: _Optional[_Iterable[_Union[_common_pb2.ReceiptLine, _Mapping]]] = ...) -> None: ...

class AdjustPointsRequest(_message.Message):
    __slots__ = ("request_id", "store_id", "card_number", "points_delta", "reason", "operator_id")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    STORE_ID_FIELD_NUMBER: _ClassVar[int]
    CARD_NUMBER_FIELD_NUMBER: _ClassVar[int]
    POINTS_DELTA_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    OPERATOR_ID_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    store_id: str
    card_number: str
    points_delta: int
    reason: str
    operator_id: str
    def __init__(self, request_id: _Optional[str] = ..., store_id: _Optional[str] = ..., card_number: _Optional[str] = ..., points_delta: _Optional[int] = ..., reason: _Optional[str] = ..., operator_id: _Optional[str] = ...) -> None: ...

class AdjustPointsResponse(_message.Message):
    __slots__ = ("transaction", "balances_after")
    TRANSACTION_FIELD_NUMBER: _ClassVar[int]
    BALANCES_AFTER_FIELD_NUMBER: _ClassVar[int]
    transaction: _common_pb2.Transaction
    balances_after: _common_pb2.Balances
    def __init__(self, transaction: _Optional[_Union[_common_pb2.Transaction, _Mapping]] = ..., balances_after: _Optional[_Union[_common_pb2.Balances, _Mapping]] = ...) -> None: ...

class RedeemPointsRequest(_message.Message):
    __slots__ = ("request_id", "store_id", "card_number", "rule_code", "quantity", "pin", "operator_id")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    STORE_ID_FIELD_NUMBER: _ClassVar[int]
    CARD_NUMBER_FIELD_NUMBER: _ClassVar[int]
    RULE_CODE_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    PIN_FIELD_NUMBER: _ClassVar[int]
    OPERATOR_ID_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    store_id: str
    card_number: str
    rule_code: str
    quantity: int
    pin: str
    operator_id: str
    def __init__(self, request_id: _Optional[str] = ..., store_id: _Optional[str] = ..., card_number: _Optional[str] = ..., rule_code: _Optional[str] = ..., quantity: _Optional[int] = ..., pin: _Optional[str] = ..., operator_id: _Optional[str] = ...) -> None: ...

class RedeemPointsResponse(_message.Message):
    __slots__ = ("transaction", "points_spent", "gift_sku", "bonus_credited_fen", "count_item_code", "count_uses_credited", "coupons_issued", "balances_after", "receipt")
    TRANSACTION_FIELD_NUMBER: _ClassVar[int]
    POINTS_SPENT_FIELD_NUMBER: _ClassVar[int]
    GIFT_SKU_FIELD_NUMBER: _ClassVar[int]
    BONUS_CREDITED_FEN_FIELD_NUMBER: _ClassVar[int]
    COUNT_ITEM_CODE_FIELD_NUMBER: _ClassVar[int]
    COUNT_USES_CREDITED_FIELD_NUMBER: _ClassVar[int]
    COUPONS_ISSUED_FIELD_NUMBER: _ClassVar[int]
    BALANCES_AFTER_FIELD_NUMBER: _ClassVar[int]
    RECEIPT_FIELD_NUMBER: _ClassVar[int]
    transaction: _common_pb2.Transaction
    points_spent: int
    gift_sku: str
    bonus_credited_fen: int
    count_item_code: str
    count_uses_credited: int
    coupons_issued: _containers.RepeatedCompositeFieldContainer[_common_pb2.Coupon]
    balances_after: _common_pb2.Balances
    receipt: _containers.RepeatedCompositeFieldContainer[_common_pb2.ReceiptLine]
    def __init__(self, transaction: _Optional[_Union[_common_pb2.Transaction, _Mapping]] = ..., points_spent: _Optional[int] = ..., gift_sku: _Optional[str] = ..., bonus_credited_fen: _Optional[int] = ..., count_item_code: _Optional[str] = ..., count_uses_credited: _Optional[int] = ..., coupons_issued: _Optional[_Iterable[_Union[_common_pb2.Coupon, _Mapping]]] = ..., balances_after: _Optional[_Union[_common_pb2.Balances, _Mapping]] = ..., receipt: _Optional[_Iterable[_Union[_common_pb2.ReceiptLine, _Mapping]]] = ...) -> None: ...

class PurchaseCountUsesRequest(_message.Message):
    __slots__ = ("request_id", "store_id", "card_number", "item_code", "packs", "tender", "pin", "operator_id", "package_code")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    STORE_ID_FIELD_NUMBER: _ClassVar[int]
    CARD_NUMBER_FIELD_NUMBER: _ClassVar[int]
    ITEM_CODE_FIELD_NUMBER: _ClassVar[int]
    PACKS_FIELD_NUMBER: _ClassVar[int]
    TENDER_FIELD_NUMBER: _ClassVar[int]
    PIN_FIELD_NUMBER: _ClassVar[int]
    OPERATOR_ID_FIELD_NUMBER: _ClassVar[int]
    PACKAGE_CODE_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    store_id: str
    card_number: str
    item_code: str
    packs: int
    tender: _common_pb2.TenderType
    pin: str
    operator_id: str
    package_code: str
    def __init__(self, request_id: _Optional[str] = ..., store_id: _Optional[str] = ..., card_number: _Optional[str] = ..., item_code: _Optional[str] = ..., packs: _Optional[int] = ..., tender: _Optional[_Union[_common_pb2.TenderType, str]] = ..., pin: _Optional[str] = ..., operator_id: _Optional[str] = ..., package_code: _Optional[str] = ...) -> None: ...

class PurchaseCountUsesResponse(_message.Message):
    __slots__ = ("transaction", "amount_fen", "uses_added", "count_use_balance", "balances_after", "receipt", "expires_at", "count_use_balances", "package_code")
    TRANSACTION_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FEN_FIELD_NUMBER: _ClassVar[int]
    USES_ADDED_FIELD_NUMBER: _ClassVar[int]
    COUNT_USE_BALANCE_FIELD_NUMBER: _ClassVar[int]
    BALANCES_AFTER_FIELD_NUMBER: _ClassVar[int]
    RECEIPT_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_AT_FIELD_NUMBER: _ClassVar[int]
    COUNT_USE_BALANCES_FIELD_NUMBER: _ClassVar[int]
    PACKAGE_CODE_FIELD_NUMBER: _ClassVar[int]
    transaction: _common_pb2.Transaction
    amount_fen: int
    uses_added: int
    count_use_balance: _common_pb2.CountUseBalance
    balances_after: _common_pb2.Balances
    receipt: _containers.RepeatedCompositeFieldContainer[_common_pb2.ReceiptLine]
    expires_at: _timestamp_pb2.Timestamp
    count_use_balances: _containers.RepeatedCompositeFieldContainer[_common_pb2.CountUseBalance]
    package_code: str
    def __init__(self, transaction: _Optional[_Union[_common_pb2.Transaction, _Mapping]] = ..., amount_fen: _Optional[int] = ..., uses_added: _Optional[int] = ..., count_use_balance: _Optional[_Union[_common_pb2.CountUseBalance, _Mapping]] = ..., balances_after: _Optional[_Union[_common_pb2.Balances, _Mapping]] = ..., receipt: _Optional[_Iterable[_Union[_common_pb2.ReceiptLine, _Mapping]]] = ..., expires_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., count_use_balances: _Optional[_Iterable[_Union[_common_pb2.CountUseBalance, _Mapping]]] = ..., package_code: _Optional[str] = ...) -> None: ...

class GetTransactionRequest(_message.Message):
    __slots__ = ("transaction_id", "card_number")
    TRANSACTION_ID_FIELD_NUMBER: _ClassVar[int]
    CARD_NUMBER_FIELD_NUMBER: _ClassVar[int]
    transaction_id: str
    card_number: str
    def __init__(self, transaction_id: _Optional[str] = ..., card_number: _Optional[str] = ...) -> None: ...

class GetTransactionResponse(_message.Message):
    __slots__ = ("transaction", "postings", "tenders", "coupons")
    TRANSACTION_FIELD_NUMBER: _ClassVar[int]
    POSTINGS_FIELD_NUMBER: _ClassVar[int]
    TENDERS_FIELD_NUMBER: _ClassVar[int]
    COUPONS_FIELD_NUMBER: _ClassVar[int]
    transaction: _common_pb2.Transaction
    postings: _containers.RepeatedCompositeFieldContainer[_common_pb2.Posting]
    tenders: _containers.RepeatedCompositeFieldContainer[AppliedTender]
    coupons: _containers.RepeatedCompositeFieldContainer[AppliedCoupon]
    def __init__(self, transaction: _Optional[_Union[_common_pb2.Transaction, _Mapping]] = ..., postings: _Optional[_Iterable[_Union[_common_pb2.Posting, _Mapping]]] = ..., tenders: _Optional[_Iterable[_Union[AppliedTender, _Mapping]]] = ..., coupons: _Optional[_Iterable[_Union[AppliedCoupon, _Mapping]]] = ...) -> None: ...

class GetReceiptRequest(_message.Message):
    __slots__ = ("transaction_id", "card_number", "paper_width")
    TRANSACTION_ID_FIELD_NUMBER: _ClassVar[int]
    CARD_NUMBER_FIELD_NUMBER: _ClassVar[int]
    PAPER_WIDTH_FIELD_NUMBER: _ClassVar[int]
    transaction_id: str
    card_number: str
    paper_width: _common_pb2.PaperWidth
    def __init__(self, transaction_id: _Optional[str] = ..., card_number: _Optional[str] = ..., paper_width: _Optional[_Union[_common_pb2.PaperWidth, str]] = ...) -> None: ...

class GetReceiptResponse(_message.Message):
    __slots__ = ("receipt",)
    RECEIPT_FIELD_NUMBER: _ClassVar[int]
    receipt: _containers.RepeatedCompositeFieldContainer[_common_pb2.ReceiptLine]
    def __init__(self, receipt: _Optional[_Iterable[_Union[_common_pb2.ReceiptLine, _Mapping]]] = ...) -> None: ...

class ListTransactionsRequest(_message.Message):
    __slots__ = ("card_number", "page_size", "page_token", "start_business_date", "end_business_date")
    CARD_NUMBER_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    START_BUSINESS_DATE_FIELD_NUMBER: _ClassVar[int]
    END_BUSINESS_DATE_FIELD_NUMBER: _ClassVar[int]
    card_number: str
    page_size: int
    page_token: str
    start_business_date: str
    end_business_date: str
    def __init__(self, card_number: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., start_business_date: _Optional[str] = ..., end_business_date: _Optional[str] = ...) -> None: ...

class ListTransactionsResponse(_message.Message):
    __slots__ = ("transactions", "next_page_token")
    TRANSACTIONS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    transactions: _containers.RepeatedCompositeFieldContainer[_common_pb2.Transaction]
    next_page_token: str
    def __init__(self, transactions: _Optional[_Iterable[_Union[_common_pb2.Transaction, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...
