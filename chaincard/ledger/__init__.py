"""Double-entry rules (tigerbeetle's model), pure Python: no database, no gRPC."""

from chaincard.ledger.postings import (
    Asset,
    Direction,
    Posting,
    SystemAccount,
    UnbalancedTransaction,
    balance_change,
    check_balanced,
    count_uses_asset,
    transfer,
)

__all__ = [
    "Asset",
    "Direction",
    "Posting",
    "SystemAccount",
    "UnbalancedTransaction",
    "balance_change",
    "check_balanced",
    "count_uses_asset",
    "transfer",
]
