"""What a test can check of PDF/A-2b without veraPDF (Java, not packaged for this machine): a small
reader of the PDFs reportlab writes (objects one after another, one cross-reference section, no
object streams), and checks of the rules a reportlab document could break — every font embedded
with the widths its program has, no missing-glyph box drawn, the XMP metadata that declares PDF/A-2b
and repeats the information dictionary, the sRGB output intent, stream lengths and ends,
cross-reference offsets."""

from __future__ import annotations

import io
import re
import zlib
from base64 import a85decode
from dataclasses import dataclass
from pathlib import Path

from fontTools.ttLib import TTFont

OBJECT = re.compile(rb"(\d+) 0 obj\n(.*?)\nendobj\n", re.S)
ICC = Path(__file__).parents[2] / "settlement" / "icc" / "sRGB.icc"


@dataclass
class PdfObject:
    number: int
    dictionary: bytes  # the object's text up to its stream, if it has one
    stream: bytes | None  # the stream's bytes as stored (before its filters are undone)

    def entry(self, key: str) -> bytes | None:
        found = re.search(rb"/" + key.encode() + rb"\b\s*(\[[^\]]*\]|\((?:\\.|[^\\)])*\)|<<.*?>>|/?[^\s/\[\]()<>]+(?: 0 R)?)",
                          self.dictionary, re.S)
        return found.group(1) if found else None

    def reference(self, key: str) -> int:
        value = self.entry(key)
        assert value is not None and value.endswith(b" 0 R"), (key, value)
        return int(value.split()[0])

    def data(self) -> bytes:
        """The stream with its filters undone."""
        assert self.stream is not None
        data = self.stream
        filters = re.findall(rb"/(\w+)", self.entry("Filter") or b"")
        for name in filters:
            if name == b"ASCII85Decode":
                data = a85decode(data.strip(), adobe=True)
            elif name == b"FlateDecode":
                data = zlib.decompress(data)
            else:
                raise AssertionError(f"filter {name!r}")
        return data


def read_objects(pdf: bytes) -> dict[int, PdfObject]:
    """Every object, after checking that each stream is followed by an end of line and
    ``endstream`` exactly Length bytes after ``stream`` and that the cross-reference table points
    at each object."""
    objects: dict[int, PdfObject] = {}
    for match in OBJECT.finditer(pdf):
        number, body = int(match.group(1)), match.group(2)
        stream = None
        if (at := body.find(b"\nstream\n")) >= 0:
            length = int(re.search(rb"/Length (\d+)\b", body[:at]).group(1))  # type: ignore[union-attr]
            start = at + len(b"\nstream\n")
            stream = body[start:start + length]
            assert body[start + length:] == b"\nendstream", f"object {number}: Length, or no end of line before endstream"
            body = body[:at]
        objects[number] = PdfObject(number, body, stream)
    xref_at = int(pdf[pdf.rindex(b"startxref") + 9:].split()[0])
    section = re.match(rb"xref\n0 (\d+)\n", pdf[xref_at:])
    assert section is not None
    entries = re.findall(rb"(\d{10}) \d{5} ([nf]) \n", pdf[xref_at + section.end():])[:int(section.group(1))]
    for number, (offset, kind) in enumerate(entries):
        if kind == b"n":
            assert pdf.startswith(b"%d 0 obj\n" % number, int(offset)), f"xref entry {number}"
    assert {number for number, (_, kind) in enumerate(entries) if kind == b"n"} == set(objects)
    return objects


def _text_string(value: bytes | None) -> str:
    assert value is not None and value.startswith(b"(") and value.endswith(b")"), value
    return value[1:-1].replace(rb"\(", b"(").replace(rb"\)", b")").decode("latin-1")


def check_pdfa_2b(pdf: bytes) -> dict[str, str]:
    """Assert what PDF/A-2b asks that these PDFs could get wrong; return the embedded fonts' base
    names by the characters they map to (from their ToUnicode maps), joined as one string each."""
    assert pdf.startswith(b"%PDF-1.") and all(byte > 127 for byte in pdf.split(b"\n")[1][1:5]), "binary header comment"
    assert b"/Encrypt" not in pdf and re.search(rb"trailer\s*<<.*?/ID\s*\[<[0-9a-f]{32}><[0-9a-f]{32}>\]", pdf, re.S)
    objects = read_objects(pdf)
    root = int(re.search(rb"/Root (\d+) 0 R", pdf).group(1))  # type: ignore[union-attr]
    info = objects[int(re.search(rb"/Info (\d+) 0 R", pdf).group(1))]  # type: ignore[union-attr]
    catalog = objects[root]

    # XMP: unfiltered, PDF/A-2b, and the information dictionary's values again.
    metadata = objects[catalog.reference("Metadata")]
    assert metadata.entry("Filter") is None and metadata.entry("Subtype") == b"/XML"
    xmp = metadata.data().decode("utf-8")
    assert "<pdfaid:part>2</pdfaid:part>" in xmp and "<pdfaid:conformance>B</pdfaid:conformance>" in xmp
    for key, element in (("Title", "dc:title"), ("Author", "dc:creator"), ("Subject", "dc:description"),
                         ("Producer", "pdf:Producer"), ("Keywords", "pdf:Keywords"), ("Creator", "xmp:CreatorTool")):
        value = _text_string(info.entry(key))
        assert re.search(f"<{element}>(<rdf:(Alt|Seq)><rdf:li[^>]*>)?{re.escape(value)}<", xmp), (key, value)
    created = re.fullmatch(r"D:(\d{4})(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)\+00'00'", _text_string(info.entry("CreationDate")))
    assert created is not None and info.entry("ModDate") == info.entry("CreationDate")
    y, mo, d, h, mi, s = created.groups()
    for element in ("xmp:CreateDate", "xmp:ModifyDate"):
        assert f"<{element}>{y}-{mo}-{d}T{h}:{mi}:{s}+00:00</{element}>" in xmp

    # The sRGB output intent, with the profile shipped in the repository.
    intent = catalog.entry("OutputIntents")
    assert intent is not None and b"/S /GTS_PDFA1" in intent and b"/Type /OutputIntent" in intent
    profile = objects[int(re.search(rb"/DestOutputProfile (\d+) 0 R", intent).group(1))]  # type: ignore[union-attr]
    assert profile.entry("N") == b"3" and profile.data() == ICC.read_bytes()

    # No transparency; every font a TrueType program inside the file, widths as the program has them.
    assert not re.search(rb"/(CA|ca|SMask|BM) ", pdf) and b"/Group" not in pdf
    fonts: dict[str, str] = {}
    for font in objects.values():
        if font.entry("Type") != b"/Font":
            continue
        name = font.entry("BaseFont")
        assert font.entry("Subtype") == b"/TrueType" and font.entry("Encoding") is None, (name, font.dictionary)
        descriptor = objects[font.reference("FontDescriptor")]
        program = TTFont(io.BytesIO(objects[descriptor.reference("FontFile2")].data()))
        scale = 1000 / program["head"].unitsPerEm
        cmap = program["cmap"].tables
        assert len(cmap) == 1, "a symbolic TrueType font has exactly one cmap encoding"
        first = int(font.entry("FirstChar") or b"0")
        widths = [float(width) for width in (font.entry("Widths") or b"[]").strip(b"[]").split()]
        for code, glyph in cmap[0].cmap.items():
            if first <= code < first + len(widths) and glyph != ".notdef":
                assert abs(widths[code - first] - program["hmtx"][glyph][0] * scale) <= 1, (name, code)
        to_unicode = objects[font.reference("ToUnicode")].data().decode("latin-1")
        characters = "".join(chr(int(hex_code, 16)) for hex_code in re.findall(r"<[0-9A-F]{2}> <([0-9A-F]{4})>", to_unicode))
        assert name is not None
        fonts[name.decode().lstrip("/")] = fonts.get(name.decode().lstrip("/"), "") + characters
    assert fonts, "no font"
    _check_no_missing_glyph_drawn(objects)
    return fonts


_TEXT_OPERATION = re.compile(rb"/(\S+) [\d.]+ Tf|\(((?:\\.|[^\\)])*)\) ?Tj|<([0-9a-fA-F]*)> ?Tj|\] ?TJ|'|\"", re.S)
_ESCAPE = re.compile(rb"\\([0-7]{1,3}|.)", re.S)


def _unescape(literal: bytes) -> bytes:
    named = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}
    return _ESCAPE.sub(lambda match: bytes([int(match.group(1), 8)]) if match.group(1)[:1].isdigit()
                       else named.get(match.group(1), match.group(1)), literal)


def _check_no_missing_glyph_drawn(objects: dict[int, PdfObject]) -> None:
    """PDF/A forbids drawing a font's .notdef glyph (the empty box): every code a page shows maps,
    in its font's program, to a real glyph."""
    for page in (obj for obj in objects.values() if obj.entry("Type") == b"/Page"):
        resources = re.search(rb"/Font (\d+) 0 R", page.dictionary)
        assert resources is not None
        by_name = {name.decode(): int(number) for name, number in
                   re.findall(rb"/(\S+) (\d+) 0 R", objects[int(resources.group(1))].dictionary)}
        programs: dict[str, dict[int, str]] = {}
        font = None
        for operation in _TEXT_OPERATION.finditer(objects[page.reference("Contents")].data()):
            name, literal, hex_string = operation.group(1, 2, 3)
            if name is not None:
                font = name.decode()
                if font not in programs:
                    descriptor = objects[objects[by_name[font]].reference("FontDescriptor")]
                    program = TTFont(io.BytesIO(objects[descriptor.reference("FontFile2")].data()))
                    programs[font] = program["cmap"].tables[0].cmap
                continue
            assert literal is not None or hex_string is not None, f"text shown other than by Tj: {operation.group(0)!r}"
            codes = _unescape(literal) if literal is not None else bytes.fromhex(hex_string.decode())
            assert font is not None
            drawn = [programs[font].get(code, ".notdef") for code in codes]
            assert ".notdef" not in drawn, (font, codes)
