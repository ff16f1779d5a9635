"""settlement: the clearing ledger fed by postings, and the nightly franchise settlement."""
