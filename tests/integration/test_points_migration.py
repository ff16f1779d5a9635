"""Region migration 0009 (points lots, ADR 0022): its tables match the models, and a card already
holding points gets one opening lot of its balance that never expires, so lots equal the ledger
from the first day."""

from __future__ import annotations

from alembic import command
from sqlalchemy import inspect, text

from chaincard.db.engine import make_engine
from chaincard.db.migrate import alembic_config, upgrade_to_head
from region_service.models import Base
from tests.support.migrations import model_differences

MINE = {"points_lots", "points_expiry_reminders", "points_expiry_outlooks", "gift_stock", "gift_stock_takings"}


def test_the_migration_matches_the_models_and_opens_a_lot_for_points_already_held(fresh_database):
    url = fresh_database("points_migration")
    upgrade_to_head("region_service", url)
    assert model_differences(url, Base.metadata, MINE) == []
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            assert MINE <= set(inspect(connection).get_table_names())
        command.downgrade(alembic_config("region_service", url), "0008")
        with engine.begin() as connection:
            assert not MINE & set(inspect(connection).get_table_names())
            connection.execute(text(
                "INSERT INTO members (member_id, phone_hmac, phone, phone_masked, name, gender, email, custom_fields, tags, "
                "channel, registered_store_id, registered_at) VALUES ('m-1', 'h-1', '13800138000', '138****8000', 'Li', "
                "'UNSPECIFIED', '', '{}', '[]', 'STORE', 'S-E-001', now())"))
            connection.execute(text(
                "INSERT INTO cards (card_number, member_id, card_type_code, form, state, level_code, issuing_franchisee_id, "
                "issuing_store_id, opened_at, failed_pin_attempts) VALUES ('881100000000018', 'm-1', 'SV', 'VIRTUAL', "
                "'ACTIVE', 'NORMAL', 'F-HQ', 'S-E-001', now(), 0)"))
            for account_id, asset, balance in (("a-points", "POINTS", 420), ("a-principal", "STORED_VALUE_PRINCIPAL", 900)):
                connection.execute(text(
                    "INSERT INTO ledger_accounts (account_id, purpose, card_number, franchisee_id, asset, balance, "
                    "debits_posted, credits_posted) VALUES (:id, 'CARD', '881100000000018', '', :asset, :balance, 0, :balance)"),
                    {"id": account_id, "asset": asset, "balance": balance})
        upgrade_to_head("region_service", url)
        with engine.connect() as connection:
            lots = connection.execute(text(
                "SELECT card_number, points_earned, points_remaining, expires_at, source_transaction_id FROM points_lots")).all()
        assert [tuple(lot) for lot in lots] == [("881100000000018", 420, 420, None, None)]
    finally:
        engine.dispose()
