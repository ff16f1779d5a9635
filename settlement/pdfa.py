"""What turns a reportlab document into PDF/A-2b (ISO 19005-2, level B: kept for years, looks the
same in every reader): an XMP metadata stream that says so and repeats the document information
dictionary, and an sRGB output intent (the colours are device RGB). reportlab writes the rest that
PDF/A asks for (a binary header comment, a trailer ID) but one thing, which ``finish`` mends on the
saved bytes: an end of line before every ``endstream``. The fonts are embedded by the caller
(settlement.pdf_fonts), and nothing is transparent.

The ICC profile is ``icc/sRGB.icc`` beside this file (see icc/README.md for where it comes from).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

OUTPUT_CONDITION = "sRGB IEC61966-2.1"
_ICC = Path(__file__).with_name("icc") / "sRGB.icc"


@cache
def srgb_profile() -> bytes:
    return _ICC.read_bytes()


def make_pdfa(document: Any, moment: datetime) -> None:
    """Add PDF/A-2b's metadata and output intent to ``document`` (a canvas's PDFDocument, whose
    creation and modification dates are ``moment``) before it is saved."""
    from reportlab.pdfbase.pdfdoc import (
        PDFArray,
        PDFCatalog,
        PDFDictionary,
        PDFName,
        PDFStream,
        PDFString,
        PDFZCompress,
    )

    # No filter (and no Filter key), as PDF/A wants: metadata readable without a PDF library.
    # reportlab's document has no default filters, which the test checks.
    metadata = PDFStream(PDFDictionary({"Type": PDFName("Metadata"), "Subtype": PDFName("XML")}),
                         content=xmp(document.info, moment))
    profile = PDFStream(PDFDictionary({"N": 3}), content=srgb_profile(), filters=[PDFZCompress])
    intent = PDFDictionary({
        "Type": PDFName("OutputIntent"), "S": PDFName("GTS_PDFA1"),
        "OutputConditionIdentifier": PDFString(OUTPUT_CONDITION), "Info": PDFString(OUTPUT_CONDITION),
        "DestOutputProfile": document.Reference(profile, "sRGBProfile"),
    })
    catalog = document.Catalog
    catalog.Metadata = document.Reference(metadata, "XMPMetadata")
    catalog.OutputIntents = PDFArray([intent])
    # reportlab's catalog writes only the keys it knows; this one document's catalog learns one more.
    catalog.__NoDefault__ = [*PDFCatalog.__NoDefault__, "OutputIntents"]


def xmp(info: Any, moment: datetime) -> bytes:
    """The XMP packet: PDF/A-2b's identification and the same title, author, subject, keywords,
    creator, producer and dates as the information dictionary (``info``, reportlab's PDFInfo)."""
    when = moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")

    def text(value: str) -> str:
        return escape(str(value))

    packet = f"""<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about="" xmlns:pdfaid="http://www.aiim.org/pdfa/ns/id/">
   <pdfaid:part>2</pdfaid:part>
   <pdfaid:conformance>B</pdfaid:conformance>
  </rdf:Description>
  <rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/">
   <dc:format>application/pdf</dc:format>
   <dc:title><rdf:Alt><rdf:li xml:lang="x-default">{text(info.title)}</rdf:li></rdf:Alt></dc:title>
   <dc:creator><rdf:Seq><rdf:li>{text(info.author)}</rdf:li></rdf:Seq></dc:creator>
   <dc:description><rdf:Alt><rdf:li xml:lang="x-default">{text(info.subject)}</rdf:li></rdf:Alt></dc:description>
  </rdf:Description>
  <rdf:Description rdf:about="" xmlns:pdf="http://ns.adobe.com/pdf/1.3/">
   <pdf:Producer>{text(info.producer)}</pdf:Producer>
   <pdf:Keywords>{text(info.keywords)}</pdf:Keywords>
   <pdf:Trapped>{text(info.trapped)}</pdf:Trapped>
  </rdf:Description>
  <rdf:Description rdf:about="" xmlns:xmp="http://ns.adobe.com/xap/1.0/">
   <xmp:CreatorTool>{text(info.creator)}</xmp:CreatorTool>
   <xmp:CreateDate>{when}</xmp:CreateDate>
   <xmp:ModifyDate>{when}</xmp:ModifyDate>
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>
<?xpacket end="w"?>"""
    return packet.encode("utf-8")


_XREF = re.compile(rb"xref\r?\n0 (\d+)\r?\n")
_XREF_ENTRY = re.compile(rb"(\d{10}) (\d{5}) ([nf])[ \r]?\n")
_LENGTH = re.compile(rb"/Length (\d+)\b")


def finish(pdf: bytes) -> bytes:
    """reportlab's saved ``pdf`` with an end of line before each ``endstream`` (not counted in the
    stream's Length: PDF/A's rule), and the cross-reference table and ``startxref`` moved to match.

    reportlab writes its objects one after another (``N 0 obj`` ... ``stream\n<Length bytes>endstream``),
    then one cross-reference section for objects 0 to N, the trailer and ``startxref``.
    """
    startxref = pdf.rindex(b"startxref")
    xref_at = int(pdf[startxref + len(b"startxref"):].split()[0])
    section = _XREF.match(pdf, xref_at)
    assert section is not None, "no cross-reference section where startxref points"
    position, in_use = section.end(), []
    for number in range(int(section.group(1))):
        entry = _XREF_ENTRY.match(pdf, position)
        assert entry is not None, f"cross-reference entry {number}"
        position = entry.end()
        if entry.group(3) == b"n":
            in_use.append((int(entry.group(1)), number))
    in_use.sort()
    out = bytearray(pdf[:in_use[0][0]])
    offsets: dict[int, int] = {}
    for (start, number), end in zip(in_use, [start for start, _ in in_use[1:]] + [xref_at], strict=True):
        offsets[number] = len(out)
        out += _with_stream_eol(pdf[start:end])
    new_xref = len(out)
    out += section.group(0)
    for number in range(int(section.group(1))):
        out += b"%010d 00000 n \n" % offsets[number] if number in offsets else b"0000000000 65535 f \n"
    out += pdf[position:startxref] + b"startxref\n%d\n%%%%EOF\n" % new_xref
    return bytes(out)


def _with_stream_eol(chunk: bytes) -> bytes:
    """One object, with an end of line after its stream's data if it has one."""
    at = chunk.find(b"\nstream\n")
    if at < 0:
        return chunk
    begin = at + len(b"\nstream\n")
    length = _LENGTH.search(chunk, 0, at)
    assert length is not None, "a stream without a direct Length"
    end = begin + int(length.group(1))
    assert chunk.startswith(b"endstream", end), "a stream longer or shorter than its Length"
    return chunk[:end] + b"\n" + chunk[end:]
