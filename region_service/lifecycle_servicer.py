"""CardService methods for the card lifecycle and PIN (C3, C4), mixed into the region's CardServicer."""

from __future__ import annotations


class CardLifecycleMethods:
    """Lifecycle and PIN RPCs; each calls one handler in region_service/handlers/lifecycle.py."""
