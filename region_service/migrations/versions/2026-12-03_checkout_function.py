"""post_checkout (docs/adr/0052): a stored-value sale's writes in one round trip

Revision ID: 0029
Revises: 0027
Create Date: 2026-12-03 19:00:00.000000

The function is versioned here like any schema change. A later migration replaces it with CREATE OR
REPLACE FUNCTION (same argument list) or drops this one and creates its successor; this downgrade
drops it. Its argument list is the contract with region_service.one_trip.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0029"
down_revision: str | None = "0027"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# What the caller's Python worked out (pricing, postings, balances after, receipt, event, answer)
# is written here under the accounts' row locks, after the checks; a refusal writes nothing and is
# answered as a result row (outcome), never as an exception to be parsed:
#   POSTED       written
#   REPLAY       the request id is already answered (a twin committed first): kept_response is its answer
#   KEY_REUSED   the request id was used for another request: nothing written
#   UNKNOWN_ACCOUNT  a moved account does not exist
#   INSUFFICIENT an account would go below zero
#   STALE        an account's balance after is not the one the caller computed (it priced on other balances)
FUNCTION = """
CREATE OR REPLACE FUNCTION post_checkout(
    p_transaction_id text, p_request_id text, p_type text, p_card_number text, p_store_id text,
    p_acquiring_franchisee_id text, p_business_date date, p_amount_fen bigint, p_principal_delta_fen bigint,
    p_bonus_delta_fen bigint, p_points_delta bigint, p_principal_after_fen bigint, p_bonus_after_fen bigint,
    p_points_after bigint, p_original_transaction_id text, p_details json, p_created_at timestamptz,
    p_moved_ids text[], p_moved_balances bigint[], p_moved_debits bigint[], p_moved_credits bigint[],
    p_expected_balances bigint[],
    p_posting_accounts text[], p_posting_assets text[], p_posting_directions text[], p_posting_amounts bigint[],
    p_lot_ids text[], p_lot_cards text[], p_lot_earned timestamptz[], p_lot_expires timestamptz[],
    p_lot_points bigint[], p_lot_sources text[],
    p_receipt_lines bytea,
    p_event_id text, p_topic text, p_message_key text, p_event_type text, p_envelope bytea, p_event_created_at timestamptz,
    p_key_operation text, p_key_payload_sha256 text, p_key_response bytea
) RETURNS TABLE (outcome text, kept_response bytea)
LANGUAGE plpgsql AS $fn$
#variable_conflict use_column
DECLARE
    locked_count integer;
    kept record;
BEGIN
    -- A repeat is answered from the answer kept, whatever the balances are now.
    SELECT operation, payload_sha256, response INTO kept FROM idempotency_keys WHERE request_id = p_request_id;
    IF FOUND THEN
        RETURN QUERY SELECT CASE WHEN kept.operation = p_key_operation AND kept.payload_sha256 = p_key_payload_sha256
                                 THEN 'REPLAY' ELSE 'KEY_REUSED' END,
                            CASE WHEN kept.operation = p_key_operation AND kept.payload_sha256 = p_key_payload_sha256
                                 THEN kept.response END;
        RETURN;
    END IF;
    -- Row locks in account-id order, whatever order the caller lists them in: two sales on one card
    -- queue on its first account instead of deadlocking. (The region's handler holds them already.)
    SELECT count(*) INTO locked_count FROM (
        SELECT 1 FROM ledger_accounts WHERE account_id = ANY(p_moved_ids) ORDER BY account_id FOR UPDATE
    ) AS held;
    IF locked_count <> cardinality(p_moved_ids) THEN
        RETURN QUERY SELECT 'UNKNOWN_ACCOUNT'::text, NULL::bytea;
        RETURN;
    END IF;
    IF EXISTS (SELECT 1 FROM ledger_accounts AS a
               JOIN unnest(p_moved_ids, p_moved_balances) AS m(id, delta) ON a.account_id = m.id
               WHERE a.balance + m.delta < 0) THEN
        RETURN QUERY SELECT 'INSUFFICIENT'::text, NULL::bytea;
        RETURN;
    END IF;
    -- NULL: the caller did not lock and price on these balances (only the checks above apply).
    IF p_expected_balances IS NOT NULL AND EXISTS (
        SELECT 1 FROM ledger_accounts AS a
        JOIN unnest(p_moved_ids, p_moved_balances, p_expected_balances) AS m(id, delta, expected) ON a.account_id = m.id
        WHERE a.balance + m.delta <> m.expected) THEN
        RETURN QUERY SELECT 'STALE'::text, NULL::bytea;
        RETURN;
    END IF;
    -- The answer is kept before the rest: a twin with the same request id that committed since the
    -- look-up above is found here (ON CONFLICT waits for it) and its answer returned, nothing written.
    INSERT INTO idempotency_keys (request_id, operation, payload_sha256, response, created_at)
    VALUES (p_request_id, p_key_operation, p_key_payload_sha256, p_key_response, p_created_at)
    ON CONFLICT (request_id) DO NOTHING;
    IF NOT FOUND THEN
        SELECT operation, payload_sha256, response INTO kept FROM idempotency_keys WHERE request_id = p_request_id;
        IF kept.operation = p_key_operation AND kept.payload_sha256 = p_key_payload_sha256 THEN
            RETURN QUERY SELECT 'REPLAY'::text, kept.response;
        ELSE
            RETURN QUERY SELECT 'KEY_REUSED'::text, NULL::bytea;
        END IF;
        RETURN;
    END IF;
    UPDATE ledger_accounts AS a
    SET balance = a.balance + m.delta, debits_posted = a.debits_posted + m.debits,
        credits_posted = a.credits_posted + m.credits
    FROM unnest(p_moved_ids, p_moved_balances, p_moved_debits, p_moved_credits) AS m(id, delta, debits, credits)
    WHERE a.account_id = m.id;
    INSERT INTO ledger_transactions (
        transaction_id, request_id, type, card_number, store_id, acquiring_franchisee_id, business_date, amount_fen,
        principal_delta_fen, bonus_delta_fen, points_delta, principal_after_fen, bonus_after_fen, points_after,
        original_transaction_id, details, created_at)
    VALUES (
        p_transaction_id, p_request_id, p_type, p_card_number, p_store_id, p_acquiring_franchisee_id, p_business_date,
        p_amount_fen, p_principal_delta_fen, p_bonus_delta_fen, p_points_delta, p_principal_after_fen, p_bonus_after_fen,
        p_points_after, p_original_transaction_id, p_details, p_created_at);
    INSERT INTO postings (transaction_id, account_id, asset, direction, amount)
    SELECT p_transaction_id, e.account_id, e.asset, e.direction, e.amount
    FROM unnest(p_posting_accounts, p_posting_assets, p_posting_directions, p_posting_amounts)
         AS e(account_id, asset, direction, amount);
    INSERT INTO points_lots (lot_id, card_number, earned_at, expires_at, points_earned, points_remaining, source_transaction_id)
    SELECT l.lot_id, l.card_number, l.earned_at, l.expires_at, l.points, l.points, l.source_transaction_id
    FROM unnest(p_lot_ids, p_lot_cards, p_lot_earned, p_lot_expires, p_lot_points, p_lot_sources)
         AS l(lot_id, card_number, earned_at, expires_at, points, source_transaction_id);
    INSERT INTO receipts (transaction_id, lines) VALUES (p_transaction_id, p_receipt_lines);
    INSERT INTO outbox (event_id, topic, message_key, event_type, envelope, created_at)
    VALUES (p_event_id, p_topic, p_message_key, p_event_type, p_envelope, p_event_created_at);
    RETURN QUERY SELECT 'POSTED'::text, NULL::bytea;
END
$fn$
"""

SIGNATURE = (
    "post_checkout(text, text, text, text, text, text, date, bigint, bigint, bigint, bigint, bigint, bigint, bigint, "
    "text, json, timestamptz, text[], bigint[], bigint[], bigint[], bigint[], text[], text[], text[], bigint[], "
    "text[], text[], timestamptz[], timestamptz[], bigint[], text[], bytea, text, text, text, text, bytea, timestamptz, "
    "text, text, bytea)"
)


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":  # elsewhere (SQLite) every sale takes the usual path
        op.execute(FUNCTION)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP FUNCTION IF EXISTS {SIGNATURE}")
