"""The alert rules and the dashboard in deploy/ (issue 18 item 5): every expression parses as PromQL
(promql-parser, the Prometheus parser ported) and names only metrics ChainCard exports, so a renamed
metric cannot leave an alert silently watching nothing."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import promql_parser
import pytest
import yaml
from prometheus_client import REGISTRY

import chaincard.observability.metrics  # noqa: F401 - registers every ChainCard metric

DEPLOY = Path(__file__).resolve().parents[3] / "deploy"
RULES = DEPLOY / "prometheus" / "chaincard-rules.yaml"
DASHBOARD = DEPLOY / "grafana" / "chaincard-dashboard.json"
# Prometheus's own series, allowed beside ours.
PROMETHEUS_SERIES = {"up"}
DURATION = re.compile(r"^\d+[smhdw]$")


def exported_series() -> set[str]:
    """Every sample name ChainCard's metrics can expose (``_total``, ``_bucket``… included)."""
    names = set()
    for family in REGISTRY.collect():
        if not family.name.startswith("chaincard_"):
            continue
        names.add(family.name)
        suffixes = {"counter": ("_total", "_created"), "histogram": ("_bucket", "_count", "_sum", "_created"),
                    "gauge": ()}[family.type]
        names.update(family.name + suffix for suffix in suffixes)
    return names


def series_named(expression: Any) -> set[str]:
    """The metric names an expression's selectors name (walking the parsed tree)."""
    if isinstance(expression, promql_parser.VectorSelector):
        return {expression.name} if expression.name else set()
    if isinstance(expression, promql_parser.MatrixSelector):
        return series_named(expression.vector_selector)
    found: set[str] = set()
    for attribute in ("expr", "lhs", "rhs", "param"):
        child = getattr(expression, attribute, None)
        if child is not None and not isinstance(child, int | float | str):
            found |= series_named(child)
    for argument in getattr(expression, "args", None) or ():
        found |= series_named(argument)
    return found


def rules() -> list[dict[str, Any]]:
    document = yaml.safe_load(RULES.read_text())
    assert document["apiVersion"] == "monitoring.coreos.com/v1" and document["kind"] == "PrometheusRule"
    return [rule for group in document["spec"]["groups"] for rule in group["rules"]]


def dashboard_expressions() -> list[str]:
    document = json.loads(DASHBOARD.read_text())
    return [target["expr"] for panel in document["panels"] for target in panel.get("targets", ())]


def test_every_rule_is_a_well_formed_alert():
    document = yaml.safe_load(RULES.read_text())
    groups = document["spec"]["groups"]
    assert len({group["name"] for group in groups}) == len(groups)
    names = [rule["alert"] for rule in rules()]
    assert len(set(names)) == len(names), "alert names repeat"
    for rule in rules():
        assert set(rule) <= {"alert", "expr", "for", "labels", "annotations"}, rule["alert"]
        assert rule["labels"]["severity"] in {"warning", "critical"}, rule["alert"]
        assert rule["annotations"]["summary"], rule["alert"]
        assert "for" not in rule or DURATION.match(rule["for"]), rule["alert"]


@pytest.mark.parametrize("rule", rules(), ids=lambda rule: rule["alert"])
def test_each_rule_parses_and_watches_exported_metrics(rule):
    named = series_named(promql_parser.parse(rule["expr"]))
    assert named, f"{rule['alert']} watches no metric"
    assert named <= exported_series() | PROMETHEUS_SERIES, named - exported_series()


def test_the_rules_cover_what_the_issue_asks_for():
    watched = set().union(*(series_named(promql_parser.parse(rule["expr"])) for rule in rules()))
    for metric in ("chaincard_consumer_lag_records", "chaincard_outbox_relay_lag_seconds", "chaincard_store_offline",
                   "chaincard_settlement_runs_total", "chaincard_rpc_server_handled_total"):
        assert metric in watched, metric


def test_every_dashboard_query_parses_and_reads_exported_metrics():
    expressions = dashboard_expressions()
    assert len(expressions) >= 15
    exported = exported_series()
    shown = set()
    for expression in expressions:
        named = series_named(promql_parser.parse(expression))
        assert named and named <= exported, (expression, named - exported)
        shown |= named
    # Every family ChainCard exports is on the dashboard somewhere.
    families = {name for name in exported if not name.endswith(("_created", "_count", "_sum"))}
    missing = {name for name in families if not any(seen.startswith(name) or name.startswith(seen) for seen in shown)}
    assert not missing, missing
