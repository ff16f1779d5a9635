"""The one error the pricing engine raises for a request it cannot price."""

from __future__ import annotations


class PricingError(ValueError):
    """A request that cannot be priced.

    ``field`` names the request field at fault with the proto's field path (``lines[2].quantity``,
    ``points_to_redeem``, ``tenders[1].amount_fen``, ``card_number``). ``precondition`` is True when
    the request is well-formed but the card's state forbids it (balance too low, not enough points,
    points deduction switched off): the caller answers FAILED_PRECONDITION, otherwise INVALID_ARGUMENT.
    """

    def __init__(self, field: str, problem: str, *, precondition: bool = False) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem
        self.precondition = precondition
