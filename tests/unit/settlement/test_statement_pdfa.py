"""Statement PDFs are PDF/A-2b with every font inside (issue 15 item 8): what can be checked without
a PDF/A validator (tests/support/pdfa.py), on statements with Chinese names."""

from __future__ import annotations

from datetime import UTC, datetime

from chaincard.v1 import program_config_pb2, settlement_pb2
from settlement import pdf_fonts
from settlement.documents import StatementDocument, _Fonts, render
from tests.support.pdfa import check_pdfa_2b


def _document(name: str, counterparty: str, store: str = "静安寺店") -> StatementDocument:
    statement = settlement_pb2.Statement(
        statement_id="ST-2026-11-20-F-A", franchisee_id="F-A", franchisee_name=name, business_date="2026-11-20",
        lines=[settlement_pb2.StatementLine(line_number=1, flow=1, counterparty_franchisee_id="F-B", store_id="S-1",
                                            transaction_count=2, gross_fen=10_000, counterparty_fee_fen=150, net_fen=9_850)],
        receivable_fen=9_850, net_fen=9_850, fee_schedule=program_config_pb2.FeeSchedule(effective_from_business_date="2026-01-01"),
    )
    statement.generated_at.FromDatetime(datetime(2026, 11, 21, 20, 30, tzinfo=UTC))
    return StatementDocument(statement, [], "SR-2026-11-20-0123abcd",
                             {"franchisees": {"F-B": counterparty}, "stores": {"S-1": store}})


def test_every_font_is_embedded_and_the_pdf_says_it_is_pdfa_2b():
    pdf = render(_document("Aurora Trading (曙光商贸)", "Bamboo (竹林零售)"), "pdf")
    fonts = check_pdfa_2b(pdf)
    assert b"STSong" not in pdf and b"Helvetica" not in pdf
    assert sorted(name.split("+", 1)[1] for name in fonts) == [
        "BitstreamVeraSans-Bold", "BitstreamVeraSans-Roman", "NotoSansSC-Regular"]
    chinese = next(characters for name, characters in fonts.items() if name.endswith("NotoSansSC-Regular"))
    assert set("曙光商贸竹林零售静安寺店") <= set(chinese)


def test_a_statement_renders_the_same_whatever_was_rendered_before():
    # reportlab keeps the first font of a face name it is given: a font per document under one face
    # name once drew the second document's names with the first one's characters.
    first, second = _document("北辰连锁", "东方超市"), _document("曙光商贸", "竹林零售")
    alone = render(second, "pdf")
    render(first, "pdf")
    again = render(second, "pdf")
    assert again == alone
    chinese = next(characters for name, characters in check_pdfa_2b(again).items() if name.endswith("NotoSansSC-Regular"))
    assert set("曙光商贸竹林零售") <= set(chinese) and not set("北辰连锁东方超市") & set(chinese)


def test_a_character_neither_font_has_is_drawn_as_a_question_mark():
    fonts = _Fonts(pdf_fonts.latin_characters(), frozenset("曙光"))
    assert fonts.markup("曙光 Đ😀x") == (f'<font face="{pdf_fonts.CJK}" size="8.0">曙光</font>'
                                         f'<font face="{pdf_fonts.LATIN}" size="8.0"> ??x</font>')
    assert fonts.plain("S-曙") == "S-?"
    pdf = render(_document("Smile 😀 商贸", "Bamboo"), "pdf")
    check_pdfa_2b(pdf)
