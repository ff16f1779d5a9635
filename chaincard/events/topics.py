"""Kafka topics (DESIGN §5). Postings and cards are keyed by card number, so per-card order holds."""

POSTINGS = "chaincard.postings.v1"
CARDS = "chaincard.cards.v1"
MEMBERS = "chaincard.members.v1"
CONFIG = "chaincard.config.v1"
AUDIT = "chaincard.audit.v1"
# Referral awards (M5, docs/adr/0044), keyed by the referrer's member id: the referee's region
# writes them, the referrer's home region (every region reads, one acts) posts the points.
REFERRALS = "chaincard.referrals.v1"

ALL_TOPICS = (POSTINGS, CARDS, MEMBERS, CONFIG, AUDIT, REFERRALS)
PARTITIONS = {POSTINGS: 6, CARDS: 6, MEMBERS: 3, CONFIG: 1, AUDIT: 3, REFERRALS: 3}
