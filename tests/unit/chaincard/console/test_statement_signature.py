"""The statement page's signature panel for each verdict: verified only with a pinned key; an
unpinned key and a failed check are said plainly, in both languages."""

from __future__ import annotations

import pytest

from chaincard.console.app import Console
from chaincard.console.backend import Backend, ConsoleTargets
from chaincard.console.i18n import translator
from chaincard.signed_manifests import MANIFEST, STATEMENT_EXTRACT, Verdict
from chaincard.v1 import settlement_pb2

STATEMENT = settlement_pb2.Statement(statement_id="ST-2026-11-20-F-AURORA", franchisee_id="F-AURORA",
                                     business_date="2026-11-20", content_sha256_hex="ab" * 32)


def _page(lang: str, signature: Verdict | None, error: str = "") -> str:
    console = Console(Backend(ConsoleTargets(hq_endpoint="nowhere:1", settlement_endpoint="nowhere:1")))
    return console.templates.get_template("statement.html").render(
        t=translator(lang), lang=lang, languages=("zh", "en"), operator=None, menu=[], csrf_token="", csrf_field="csrf_token",
        path="/", full_path="/", statement=STATEMENT, content_ok=True, manifest_ok=None, signature=signature,
        signature_error=error, formats=["csv"])


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_verified_only_when_signed_by_a_pinned_key(lang: str):
    for kind in (MANIFEST, STATEMENT_EXTRACT):
        html = _page(lang, Verdict(kind, "0123456789abcdef", True, True, True, ""))
        assert 'id="signature-verified"' in html and "0123456789abcdef" in html
        assert 'id="signature-unpinned"' not in html and 'id="signature-bad"' not in html
    unpinned = _page(lang, Verdict(MANIFEST, "0123456789abcdef", True, False, True, "not trusted"))
    assert 'id="signature-unpinned"' in unpinned and 'id="signature-verified"' not in unpinned
    assert "--settlement-public-key" in unpinned


def test_a_failed_check_or_an_unreadable_manifest_is_shown_with_its_reason():
    bad = _page("en", Verdict(MANIFEST, "0123456789abcdef", False, True, False, "the Ed25519 signature does not verify"))
    assert 'id="signature-bad"' in bad and "does not verify" in bad and 'id="signature-verified"' not in bad
    missing = _page("en", None, "NOT_FOUND: business day 2026-11-20 is not settled")
    assert 'id="signature-unavailable"' in missing and "not settled" in missing
