"""The fonts statement PDFs embed (PDF/A-2b: every font inside the file, none left to the reader).

- Latin text: Bitstream Vera Sans and Vera Sans Bold, the TrueType files reportlab itself ships
  (their hinting instructions left out).
- Everything else (Chinese names): Noto Sans SC (SIL Open Font License), from the PyPI package
  ``pylopdf-fonts-zh-cn``, so ``pip install`` brings it and nothing is downloaded at run time.

Noto Sans SC comes with PostScript (CFF) outlines, which reportlab cannot embed: for each document
we build a small TrueType font holding only the characters it shows (fontTools; the cubic curves
become quadratic ones within 1 font unit), and reportlab embeds the subset of it that is drawn. A
glyph is converted once per process; the 8 MB source is opened on first use (about a second).
Built from the document alone, never from what the process rendered before, the font (and so the
PDF) does not depend on which statements were rendered earlier.

Every step is deterministic (no time stamps, sorted characters), so a statement re-renders to the
same bytes. The package version is pinned in pyproject.toml for the same reason.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # loaded on first use: only PDF rendering needs them
    from fontTools.ttLib import TTFont as SourceFont

LATIN = "ChainCardSans"
LATIN_BOLD = "ChainCardSans-Bold"
_LATIN_FILES = {LATIN: "Vera.ttf", LATIN_BOLD: "VeraBd.ttf"}
CJK = "ChainCardCJK"

_lock = threading.RLock()  # reportlab's font registry and our caches are process-wide
_glyphs: dict[str, Any] = {}  # glyph name -> TrueType glyph converted from the CFF outline


def register_latin() -> None:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    with _lock:
        for name, file_name in _LATIN_FILES.items():
            if name not in pdfmetrics.getRegisteredFontNames():
                _install(TTFont(name, io.BytesIO(_unhinted(file_name))))


def _install(font: Any) -> None:
    """Register ``font`` (a reportlab TTFont) under its name, replacing any font of that name.

    reportlab has no way to replace a font, and registerFont gives a new name the font registered
    first under the same face name (another user's Vera, the previous document's Noto Sans SC).
    """
    from reportlab.pdfbase import pdfmetrics

    pdfmetrics.registerFont(font)
    if pdfmetrics.getFont(font.fontName) is not font:
        pdfmetrics._fonts[font.fontName] = font  # type: ignore[attr-defined]  # reportlab's own registry


def _unhinted(file_name: str) -> bytes:
    """A font file of reportlab's own fonts folder without its hinting instructions (which only
    help low-resolution screens, and were half of what a statement PDF embedded of it)."""
    from pathlib import Path

    import reportlab
    from fontTools.subset import Options, Subsetter
    from fontTools.ttLib import TTFont

    font = TTFont(Path(reportlab.__file__).with_name("fonts") / file_name, recalcTimestamp=False)
    options = Options(hinting=False, name_IDs=["*"], name_languages=["*"], notdef_outline=True, glyph_names=True,
                      layout_features=["*"])
    subsetter = Subsetter(options)
    subsetter.populate(unicodes=font.getBestCmap())
    subsetter.subset(font)
    buffer = io.BytesIO()
    font.save(buffer)
    return buffer.getvalue()


@cache
def latin_characters() -> frozenset[str]:
    """The characters the Latin font draws (bold covers the same ones)."""
    from reportlab.pdfbase import pdfmetrics

    register_latin()
    face = pdfmetrics.getFont(LATIN).face  # type: ignore[attr-defined]  # a TTFont's face, not in the stubs
    return frozenset(chr(code) for code, glyph in face.charToGlyph.items() if glyph and code >= 0x20)


@cache
def _source() -> SourceFont:
    from fontTools.ttLib import TTFont
    from pylopdf_fonts_zh_cn import sans_path

    return TTFont(sans_path(), lazy=True)


@cache
def _source_cmap() -> dict[int, str]:
    return dict(_source().getBestCmap())


@cache
def _source_glyphs() -> Any:
    return _source().getGlyphSet()


@contextmanager
def cjk_font(text: Iterable[str]) -> Iterator[frozenset[str]]:
    """While the block runs, reportlab's font ``CJK`` holds the characters of ``text`` that Noto Sans
    SC has; yields those (a character it lacks must not be drawn in it: PDF/A forbids the .notdef
    box). One document at a time in a process: the block holds a lock."""
    from reportlab.pdfbase.ttfonts import TTFont

    with _lock:
        cmap = _source_cmap()
        characters = frozenset(char for char in set(text) if ord(char) in cmap)
        # One name for every document's font: a name per document would grow reportlab's registry
        # without end.
        _install(TTFont(CJK, io.BytesIO(_truetype(sorted(characters)))))
        yield characters


def _truetype(characters: list[str]) -> bytes:
    """A TrueType font with Noto Sans SC's glyphs for ``characters`` (sorted) and its names, metrics
    and licence."""
    from fontTools.fontBuilder import FontBuilder

    source, cmap = _source(), _source_cmap()
    mapping = {ord(char): cmap[ord(char)] for char in characters}
    order = list(dict.fromkeys([".notdef", *mapping.values()]))
    metrics = source["hmtx"]
    builder = FontBuilder(source["head"].unitsPerEm, isTTF=True)
    builder.setupGlyphOrder(order)
    builder.setupCharacterMap(mapping)
    builder.setupGlyf({name: _glyph(name) for name in order})
    builder.setupHorizontalMetrics({name: metrics[name] for name in order})
    hhea, os2, head = source["hhea"], source["OS/2"], source["head"]
    builder.setupHorizontalHeader(ascent=hhea.ascent, descent=hhea.descent, lineGap=hhea.lineGap)
    names = source["name"]
    fields = {"copyright": 0, "familyName": 1, "styleName": 2, "uniqueFontIdentifier": 3, "fullName": 4, "version": 5,
              "psName": 6, "licenseDescription": 13, "licenseInfoURL": 14}
    builder.setupNameTable({field: value for field, number in fields.items() if (value := names.getDebugName(number))})
    builder.setupOS2(fsType=os2.fsType, usWeightClass=os2.usWeightClass, achVendID=os2.achVendID,
                     sTypoAscender=os2.sTypoAscender, sTypoDescender=os2.sTypoDescender, sTypoLineGap=os2.sTypoLineGap,
                     usWinAscent=os2.usWinAscent, usWinDescent=os2.usWinDescent,
                     sxHeight=os2.sxHeight, sCapHeight=os2.sCapHeight)
    builder.setupPost(keepGlyphNames=False)
    builder.setupHead(fontRevision=head.fontRevision, created=head.created, modified=head.modified)
    builder.setupMaxp()
    buffer = io.BytesIO()
    builder.save(buffer)
    return buffer.getvalue()


def _glyph(name: str) -> Any:
    glyph = _glyphs.get(name)
    if glyph is None:
        from fontTools.pens.cu2quPen import Cu2QuPen
        from fontTools.pens.ttGlyphPen import TTGlyphPen

        pen = TTGlyphPen(None)
        # TrueType contours run the other way round from PostScript ones.
        _source_glyphs()[name].draw(Cu2QuPen(pen, max_err=1.0, reverse_direction=True))
        glyph = _glyphs[name] = pen.glyph()
    return glyph
