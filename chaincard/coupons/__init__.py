"""Coupons (Q1–Q5): codes, templates as terms, and the rules a redemption must meet. Pure code."""
