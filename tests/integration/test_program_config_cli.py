"""``chaincard program ENTITY set|list|show|diff`` against a real HQ over gRPC: set from flags
(changing only the fields given) and from TOML/YAML files holding several items, list, show as a
file that diffs clean, diff naming the changed field (exit 1) or none (exit 0), and a field the
message does not have refused with exit 2 and nothing changed."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from chaincard.cli import main
from chaincard.rpc.channels import open_channel
from chaincard.v1 import program_config_pb2 as pc
from chaincard.v1 import program_config_pb2_grpc


@pytest.fixture
def program(regions, monkeypatch, capsys):  # type: ignore[no-untyped-def]
    """Runs ``chaincard program …`` in this process against the fixtures' HQ: (exit status, stdout, stderr)."""
    monkeypatch.setenv("CHAINCARD_INSECURE", "1")  # the fixtures' HQ runs --insecure

    def run(*arguments: str) -> tuple[int, str, str]:
        capsys.readouterr()
        status = main(["program", *arguments, "--hq", regions.hq_endpoint])
        out, err = capsys.readouterr()
        return status, out, err

    return run


def _snapshot(regions) -> pc.ConfigSnapshot:  # type: ignore[no-untyped-def]
    with open_channel(regions.hq_endpoint) as channel:
        stub = program_config_pb2_grpc.ProgramConfigServiceStub(channel)
        return stub.GetConfigSnapshot(pc.GetConfigSnapshotRequest(), timeout=10).snapshot


def test_set_from_flags_changes_the_given_fields_then_list_and_show(regions, program):  # type: ignore[no-untyped-def]
    status, out, err = program("card-type", "set", "IT-CLI-CARD", "--name", "CLI card", "--stored-value", "--points",
                               "--validity-days", "365", "--active")
    assert status == 0, err
    assert out.startswith("card-type IT-CLI-CARD set (configuration version ")
    status, _, err = program("card-type", "set", "IT-CLI-CARD", "--validity-days", "730", "--kind-description", "test")
    assert status == 0, err
    [stored] = [t for t in _snapshot(regions).card_types if t.code == "IT-CLI-CARD"]
    assert (stored.name, stored.stored_value, stored.points, stored.validity_days, stored.active) == (
        "CLI card", True, True, 730, True)

    status, out, err = program("card-type", "list")
    assert status == 0, err
    [row] = [line for line in out.splitlines() if "IT-CLI-CARD" in line]
    assert "CLI card" in row and "730" in row

    status, out, err = program("card-type", "show", "IT-CLI-CARD", "--format", "yaml")
    assert status == 0, err
    shown = yaml.safe_load(out)
    assert (shown["code"], shown["validity_days"], shown["kind_description"]) == ("IT-CLI-CARD", 730, "test")
    assert program("card-type", "show", "IT-NO-SUCH")[0] == 1


def test_set_from_a_file_of_several_items_and_diff_against_the_running_ones(regions, program, tmp_path: Path):  # type: ignore[no-untyped-def]
    items = tmp_path / "count-items.toml"
    items.write_text('''
[[count_items]]
code = "IT-CLI-WASH"
name = "Car wash"
eligible_skus = ["WASH-1"]
uses_per_pack = 10
pack_price_fen = 30000
validity_days = 365
active = true

[[count_items]]
code = "IT-CLI-WAX"
name = "Waxing"
eligible_skus = ["WAX-1", "WAX-2"]
uses_per_pack = 5
pack_price_fen = 50000
active = true
''', encoding="utf-8")
    status, out, err = program("count-item", "diff", "--file", str(items))
    assert status == 1, err
    assert {"count-item IT-CLI-WASH: new", "count-item IT-CLI-WASH: pack_price_fen: 0 → 30000",
            "count-item IT-CLI-WAX: new"} <= set(out.splitlines())
    status, out, err = program("count-item", "set", "--file", str(items))
    assert status == 0, err
    assert [line.split(" set ")[0] for line in out.splitlines()] == ["count-item IT-CLI-WASH", "count-item IT-CLI-WAX"]
    running = {item.code: item for item in _snapshot(regions).count_items}
    assert list(running["IT-CLI-WAX"].eligible_skus) == ["WAX-1", "WAX-2"] and running["IT-CLI-WASH"].pack_price_fen == 30000

    status, out, err = program("count-item", "diff", "--file", str(items))
    assert status == 0, err + out
    assert out.splitlines() == ["count-item IT-CLI-WASH: unchanged", "count-item IT-CLI-WAX: unchanged"]

    items.write_text(items.read_text(encoding="utf-8").replace("pack_price_fen = 50000", "pack_price_fen = 45000"),
                     encoding="utf-8")
    version = _snapshot(regions).version
    status, out, err = program("count-item", "diff", "--file", str(items))
    assert status == 1, err
    assert "count-item IT-CLI-WAX: pack_price_fen: 50000 → 45000" in out.splitlines()
    assert _snapshot(regions).version == version  # diff changes nothing


@pytest.mark.parametrize(("entity", "form"), [("level", "toml"), ("chain-settings", "toml"), ("recharge-promotion", "yaml")])
def test_what_show_writes_diffs_clean_and_sets_back(regions, program, tmp_path: Path, entity: str, form: str):  # type: ignore[no-untyped-def]
    if entity == "recharge-promotion":  # one with tiers and a time
        status, _, err = program("recharge-promotion", "set", "IT-CLI-PROMO", "--name", "充500送50", "--active",
                                 "--tiers", "{min_amount_fen: 50000, bonus_fen: 5000}", "--valid-until", "2030-01-01")
        assert status == 0, err
    status, out, err = program(entity, "show", "--format", form)
    assert status == 0, err
    exported = tmp_path / f"{entity}.{form}"
    exported.write_text(out, encoding="utf-8")
    assert program(entity, "diff", "--file", str(exported))[0] == 0
    status, _, err = program(entity, "set", "--file", str(exported))
    assert status == 0, err
    assert program(entity, "diff", "--file", str(exported))[0] == 0


def test_a_field_the_message_lacks_is_refused_with_status_2_and_nothing_changes(regions, program, tmp_path: Path):  # type: ignore[no-untyped-def]
    version = _snapshot(regions).version
    bad = tmp_path / "bad.yaml"
    bad.write_text("- {code: IT-CLI-OK, name: fine, rank: 7}\n- {code: IT-CLI-BAD, name: bad, colour: red}\n", encoding="utf-8")
    status, out, err = program("level", "set", "--file", str(bad))
    assert (status, out) == (2, "")
    assert "item 2: colour: Level has no such field" in err
    assert program("level", "diff", "--file", str(bad))[0] == 2
    with pytest.raises(SystemExit) as unknown_flag:
        program("level", "set", "IT-CLI-BAD", "--colour", "red")
    assert unknown_flag.value.code == 2
    status, _, err = program("level", "set", "IT-CLI-BAD", "--rank", "seven")
    assert status == 2 and "rank: 'seven' is not a whole number" in err
    status, _, err = program("count-item", "set", "IT-CLI-NONE", "--uses-per-pack", "0")  # HQ's own checks
    assert status == 1 and err.startswith("INVALID_ARGUMENT: count_item.uses_per_pack"), err
    after = _snapshot(regions)
    assert after.version == version and not {"IT-CLI-OK", "IT-CLI-BAD"} & {level.code for level in after.levels}


def test_the_referral_programme_is_set_shown_and_checked(regions, program, tmp_path: Path):  # type: ignore[no-untyped-def]
    status, _, err = program("referral", "set", "--active", "--points-on-card-opening", "200",
                             "--spend-points-bp", "500", "--period-days", "30")
    assert status == 0, err
    stored = _snapshot(regions).referral_program
    assert (stored.active, stored.points_on_card_opening, stored.spend_points_bp, stored.period_days) == (True, 200, 500, 30)
    status, out, err = program("referral", "show", "--format", "toml")
    assert status == 0, err
    exported = tmp_path / "referral.toml"
    exported.write_text(out, encoding="utf-8")
    assert program("referral", "diff", "--file", str(exported))[0] == 0
    status, _, err = program("referral", "set", "--spend-points-bp", "10001")  # HQ's own checks
    assert status == 1 and err.startswith("INVALID_ARGUMENT: program.spend_points_bp"), err
    assert _snapshot(regions).referral_program == stored
