"""The region's coupons (issue 13, Q2–Q5): issuing, listing, transfer, expiry and reminders of the
coupons held on this region's cards."""
