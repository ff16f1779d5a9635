"""The ``chaincard`` command routes each line to the service whose operation it is (services meet
only over gRPC and Kafka: a region's operations are the region's own commands)."""

from __future__ import annotations

import argparse

import pytest

from chaincard import cli
from hq_service import cli as hq_cli
from region_service import cli as region_cli
from settlement import cli as settlement_cli
from store_agent import cli as store_cli


def _parse(*argv: str) -> argparse.Namespace:
    return cli.build_parser().parse_args(list(argv))


def test_a_bare_service_command_runs_the_service() -> None:
    args = _parse("region", "--code", "E", "--database-url", "postgresql://db", "--listen", "127.0.0.1:1")
    assert args.handler is cli.run_region
    assert (args.code, args.database_url) == ("E", "postgresql://db")
    assert _parse("hq", "--database-url", "postgresql://hq").handler is cli.run_hq


def test_the_region_service_needs_its_code(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["region"]) == 2
    assert "--code" in capsys.readouterr().err


@pytest.mark.parametrize("argv", [
    ("region", "replay", "--code", "W", "--since", "2026-11-25T08:00"),
    ("region", "--code", "W", "replay", "--since", "2026-11-25T08:00"),
])
def test_a_regions_replay_is_the_regions_command(argv: tuple[str, ...]) -> None:
    args = _parse(*argv)
    assert args.handler is region_cli.run_replay
    assert args.code == "W"


def test_events_replay_runs_the_regions_replay_for_every_region() -> None:
    args = _parse("events", "replay", "--since", "2026-11-25T08:00")
    assert args.handler is region_cli.run_replay
    assert getattr(args, "code", None) is None
    assert _parse("events", "lag").handler is cli.run_events_lag


def test_the_overdrawn_report_is_the_regions_and_the_till_runs_it() -> None:
    assert _parse("region", "overdrawn", "--code", "E").handler is region_cli.run_overdrawn
    assert _parse("pos", "overdrawn", "--region", "W").handler is store_cli.run_overdrawn


def test_a_days_postings_are_each_services_own_commands() -> None:
    args = _parse("region", "postings", "--code", "W", "--date", "2026-11-25")
    assert args.handler is region_cli.run_postings
    assert (args.code, args.date) == ("W", "2026-11-25")
    assert getattr(_parse("region", "postings", "--date", "2026-11-25"), "code", None) is None  # every region
    assert _parse("clearing", "postings", "--date", "2026-11-25").handler is settlement_cli.run_clearing_postings


def test_the_first_admin_is_hqs_own_command() -> None:
    args = _parse("hq", "bootstrap-admin", "--database-url", "postgresql://hq", "--password-file", "pw", "--reset-password")
    assert args.handler is hq_cli.run_bootstrap_admin
    assert (args.operator_id, args.reset_password) == ("admin", True)


def test_the_till_sells_count_uses_and_takes_them_at_a_sale() -> None:
    from chaincard.v1 import common_pb2

    bought = _parse("pos", "buy-uses", "881100000000018", "CARWASH", "--packs", "2", "--tender", "card")
    assert (bought.card, bought.item, bought.packs, bought.tender) == ("881100000000018", "CARWASH", 2, "card")
    level = _parse("pos", "buy-level", "881100000000018", "GOLD", "--tender", "card")
    assert (level.card, level.level, level.tender) == ("881100000000018", "GOLD", "card")
    package = _parse("pos", "buy-uses", "881100000000018", "--package", "WASH-SET")
    assert (package.item, package.package, package.packs) == (None, "WASH-SET", 1)
    sale = _parse("pos", "sell", "--card", "881100000000018", "--item", "WASH-1:Car wash:service:2:30.00",
                  "--uses", "CARWASH:1", "--cash", "30")
    _lines, tenders = store_cli._basket_and_tenders(sale)  # noqa: SLF001 - the till's own parsing
    assert [(t.type, t.count_item_code, t.uses) for t in tenders][:2] == [
        (common_pb2.TENDER_TYPE_COUNT_USES, "CARWASH", 1), (common_pb2.TENDER_TYPE_CASH, "", 0)]
    for wrong in ("CARWASH", "CARWASH:0", ":2", "CARWASH:x"):
        with pytest.raises(store_cli.UsageError, match="--uses"):
            store_cli.parse_uses(wrong)


def test_the_till_refunds_and_voids_sales_and_count_use_purchases() -> None:
    refund = _parse("pos", "refund", "881100000000018", "T-1", "--uses", "CARWASH:2", "--reason", "moved away")
    assert (refund.card, refund.transaction, refund.uses, refund.reason) == ("881100000000018", "T-1", ["CARWASH:2"], "moved away")
    assert [(line.sku, line.quantity) for line in store_cli._refund_lines(refund)] == [("CARWASH", 2)]  # noqa: SLF001
    sale = _parse("pos", "refund", "881100000000018", "T-2", "--line", "TEA-1:1")
    assert [(line.sku, line.quantity) for line in store_cli._refund_lines(sale)] == [("TEA-1", 1)]  # noqa: SLF001
    with pytest.raises(store_cli.UsageError, match="--line"):
        store_cli._refund_lines(_parse("pos", "refund", "881100000000018", "T-2", "--line", "TEA-1"))  # noqa: SLF001
    void = _parse("pos", "void", "881100000000018", "T-3", "--token-file", "manager.json")
    assert (void.transaction, void.token_file) == ("T-3", "manager.json")


def test_up_runs_one_replica_a_region_unless_told_more(tmp_path) -> None:  # type: ignore[no-untyped-def]
    assert _parse("up").region_replicas == 1
    args = _parse("up", "--region-replicas", "2")
    assert (args.handler, args.region_replicas) == (cli.run_up, 2)
    from chaincard.local.chain import Chain

    with pytest.raises(ValueError, match="at least 1"):
        Chain(tmp_path, region_replicas=0)
    with pytest.raises(ValueError, match="link proxies"):
        Chain(tmp_path, region_replicas=2, link_proxies=True)


def test_a_regions_replicas_are_named_after_it() -> None:
    from chaincard.chain_state import region_of_replica, replica_name

    assert [replica_name("E", index) for index in range(3)] == ["region-E", "region-E.2", "region-E.3"]
    assert [region_of_replica(replica_name("W", index)) for index in range(3)] == ["W", "W", "W"]
