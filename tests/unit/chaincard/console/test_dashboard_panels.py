"""The dashboard's level mix and consumer lag panels as the console renders them (no chain: the
figures are given; what HQ answers each role is tested in tests/e2e/console/)."""

from __future__ import annotations

import html
import json
import re
from datetime import UTC, date, datetime

from chaincard.console import dashboard
from chaincard.console.app import Console, dashboard_charts
from chaincard.console.backend import Backend, ConsoleTargets
from chaincard.console.i18n import CATALOG, LANGUAGES, translator
from chaincard.console.labels import labeler
from chaincard.console.sessions import Operator

LEVELS = [
    dashboard.LevelCount("GOLD", "金卡 Gold stored-value card", "GOLD", "金卡 Gold", 3, 40),
    dashboard.LevelCount("SV", "储值卡 Stored-value card", "SILVER", "银卡 Silver", 2, 7),
    dashboard.LevelCount("SV", "储值卡 Stored-value card", "NORMAL", "普卡 Standard", 1, 1_200),
    dashboard.LevelCount("COUNT", "计次卡 Count card", "", "", 0, 5),
]
LAGS = [dashboard.ConsumerLag("prod.hq-read-models", "chaincard.postings.v1", 0, 9_000),
        dashboard.ConsumerLag("prod.settlement-clearing", "chaincard.postings.v1", 1_234, 9_000)]


def _board(*, lags: list[dashboard.ConsumerLag] | None = None, **fields: object) -> dashboard.Dashboard:
    query = dashboard.DashboardQuery()
    start, end = dashboard.span("day", date(2026, 12, 5))
    board = dashboard.Dashboard(query=query, start=start, end=end,
                                buckets=list(dashboard.empty_buckets("day", start, end).values()), lags=lags)
    for name, value in fields.items():
        setattr(board, name, value)
    return board


def _render(board: dashboard.Dashboard, *, lang: str = "en", role: str = "HQ_ADMIN") -> str:
    console = Console(Backend(ConsoleTargets(hq_endpoint="127.0.0.1:1", settlement_endpoint="127.0.0.1:1")))
    return console.templates.get_template("dashboard.html").render(
        t=translator(lang), label=labeler(lang), lang=lang, languages=LANGUAGES, menu=[], csrf_token="token", csrf_field="csrf_token",
        operator=Operator("OP-1", "Console test", role, "chain", ""), path="/", full_path="/",
        board=board, charts=dashboard_charts(board, lang), query=board.query, periods=dashboard.PERIODS,
        directory={"regions": [], "franchisees": [], "stores": []}, states=None)


def _section(page: str, table_id: str) -> str:
    return page.split(f'id="{table_id}"', 1)[1].split("</table>", 1)[0]


def _chart(page: str, figure_id: str) -> dict:
    canvas = re.search(r'data-chart="([^"]*)"', page.split(f'id="{figure_id}"', 1)[1])
    assert canvas, f"no chart in {figure_id}"
    return json.loads(html.unescape(canvas.group(1)))


def test_the_level_mix_is_a_chart_of_levels_by_card_type_and_a_table():
    page = _render(_board(levels=LEVELS, levels_as_of=datetime(2026, 12, 5, 8, 30, tzinfo=UTC)))
    chart = _chart(page, "level-mix-chart")
    # Levels along the axis, lowest rank first; one series per card type, in code order.
    assert chart["type"] == "bar" and chart["labels"] == ["(no level)", "普卡 Standard", "银卡 Silver", "金卡 Gold"]
    assert [(series["label"], series["data"]) for series in chart["datasets"]] == [
        ("计次卡 Count card", [5, 0, 0, 0]), ("金卡 Gold stored-value card", [0, 0, 0, 40]),
        ("储值卡 Stored-value card", [0, 1200, 7, 0])]
    assert "Active cards 1,252" in page and "2026-12-05 16:30" in page  # the total; as of, in chain time
    table = _section(page, "level-mix")
    assert "<td>银卡 Silver</td><td class=\"num\">7</td>" in table and "1,200" in table and "(no level)" in table
    assert "<script>" not in page and "level_mix" not in page  # no inline script; every key translated


def test_the_level_mix_speaks_chinese_and_says_when_it_is_refused():
    page = _render(_board(levels=LEVELS), lang="zh")
    assert "等级分布" in page and "有效卡数" in page and "（无等级）" in page
    refused = _render(_board(level_notes=["note_levels_refused"]))
    assert CATALOG["note_levels_refused"][0].replace("'", "&#39;") in refused
    assert 'id="level-mix-chart"' in refused and "data-chart" not in refused.split('id="level-mix-chart"')[1].split("</figure>")[0]


def test_consumer_lag_is_a_table_for_hq_roles_only():
    page = _render(_board(levels=LEVELS, lags=LAGS))
    table = _section(page, "consumer-lag")
    assert "prod.settlement-clearing" in table and "1,234" in table and "9,000" in table
    assert table.count('class="behind"') == 1  # only the group that is behind stands out
    # A role that does not see lag (build() leaves lags None): no panel at all.
    assert 'id="consumer-lag"' not in _render(_board(levels=LEVELS, lags=None), role="FRANCHISEE_ADMIN")
    unavailable = _render(_board(lags=[], lag_notes=["note_lag_unavailable"]))
    assert "The Kafka brokers did not answer" in unavailable and 'id="consumer-lag"' in unavailable
    assert "consumer_lag" not in page and "not_available" not in _section(page, "consumer-lag")


def test_only_hq_admins_and_auditors_ask_for_consumer_lag():
    # The same roles as the RPC's rule (chaincard.security.authz): others would only be refused.
    from chaincard.security.authz import MATRIX

    rule = MATRIX["/chaincard.v1.EventPipelineService/GetConsumerLag"]
    assert {role.name for role in rule.roles} == dashboard.LAG_ROLES
