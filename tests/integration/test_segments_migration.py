"""HQ migrations 0024 (segments, member tags, birth months, search indexes) and 0025 (RFM scores),
docs/adr/0058: they match the models, backfill what the views hold, and go down cleanly."""

from __future__ import annotations

from alembic import command
from sqlalchemy import text

import hq_service.coupon_views  # noqa: F401 - its tables belong to HQ's metadata
import hq_service.segment_models  # noqa: F401 - its tables belong to HQ's metadata
from chaincard.db.engine import make_engine
from chaincard.db.migrate import alembic_config, upgrade_to_head
from chaincard.v1 import common_pb2
from hq_service.models import Base as HqBase
from tests.support.migrations import model_differences, table_names

TABLES = {"rfm_runs", "rfm_scores", "segments", "member_view_tags", "member_views", "card_views", "member_daily_figures", "coupon_views"}


def test_0024_matches_the_models_backfills_and_goes_down(fresh_database):  # type: ignore[no-untyped-def]
    url = fresh_database("segments_migration")
    config = alembic_config("hq_service", url)
    command.upgrade(config, "0023")
    engine = make_engine(url)
    member = common_pb2.Member(member_id="m-1", birthday="--03-09", tags=["vip", "vip", "tea"])
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO member_views (member_id, phone_hmac, member, home_region, registered_store_id)"
                                " VALUES ('m-1', 'h', :raw, 'E', 'S1')"), {"raw": member.SerializeToString()})
    upgrade_to_head("hq_service", url)
    assert model_differences(url, HqBase.metadata, TABLES) == []
    with engine.connect() as connection:
        assert connection.execute(text("SELECT birth_month FROM member_views")).scalar_one() == 3
        assert connection.execute(text("SELECT tag FROM member_view_tags ORDER BY tag")).scalars().all() == ["tea", "vip"]
    engine.dispose()
    command.downgrade(config, "0023")
    assert not {"segments", "member_view_tags", "rfm_scores", "rfm_runs"} & table_names(url)
