"""Rebuild the test PDFs in tests/data from their OpenDocument sources with LibreOffice.

    python tests/data/make_pdfs.py            # .fodt -> .pdf (needs soffice)
    python tests/data/make_pdfs.py --sources  # also rewrite the .fodt sources first

The sources are flat OpenDocument files with real ``text:note`` footnotes:
``small.fodt`` (a two-page paper with a few notes) and ``paper003.fodt`` (the sample research
paper /work/shared/corpus/003_b4544ddbd7f01f68.txt with its 109 notes, typeset for real).
Also written: ``encrypted.pdf`` (password "secret", by LibreOffice's PDF export),
``corrupt.pdf`` (a PDF cut short and garbled) and ``scanned.pdf`` (a page with no text layer).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from xml.sax.saxutils import escape

HERE = Path(__file__).resolve().parent
SAMPLE_003 = Path(__file__).resolve().parents[2] / "webui" / "sample_corpus" / "003_b4544ddbd7f01f68.txt"
SHY = "\u00ad"

HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<office:document xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"
 xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0"
 xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"
 xmlns:fo="urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0"
 xmlns:dc="http://purl.org/dc/elements/1.1/"
 xmlns:meta="urn:oasis:names:tc:opendocument:xmlns:meta:1.0"
 office:version="1.3" office:mimetype="application/vnd.oasis.opendocument.text">
<office:meta>{meta}</office:meta>
<office:font-face-decls/>
<office:styles>
 <style:default-style style:family="paragraph">
  <style:paragraph-properties fo:text-align="justify"/>
  <style:text-properties style:font-name="Liberation Serif" fo:font-family="'Liberation Serif'" fo:font-size="11pt" fo:language="en" fo:country="GB"/>
 </style:default-style>
 <style:style style:name="Standard" style:family="paragraph">
  <style:paragraph-properties fo:margin-bottom="0.2cm" fo:text-align="justify"/>
 </style:style>
 <style:style style:name="Title" style:family="paragraph">
  <style:paragraph-properties fo:text-align="center" fo:margin-bottom="0.5cm"/>
  <style:text-properties fo:font-size="20pt" fo:font-weight="bold"/>
 </style:style>
 <style:style style:name="Heading_1" style:display-name="Heading 1" style:family="paragraph" style:default-outline-level="1">
  <style:paragraph-properties fo:margin-top="0.4cm" fo:margin-bottom="0.2cm" fo:text-align="start"/>
  <style:text-properties fo:font-size="15pt" fo:font-weight="bold"/>
 </style:style>
 <style:style style:name="Heading_2" style:display-name="Heading 2" style:family="paragraph" style:default-outline-level="2">
  <style:paragraph-properties fo:margin-top="0.3cm" fo:margin-bottom="0.2cm" fo:text-align="start"/>
  <style:text-properties fo:font-size="13pt" fo:font-weight="bold"/>
 </style:style>
 <style:style style:name="Footnote" style:family="paragraph" style:class="extra">
  <style:paragraph-properties fo:margin-left="0.4cm" fo:text-indent="-0.4cm" fo:margin-bottom="0.05cm"/>
  <style:text-properties fo:font-size="9pt"/>
 </style:style>
 <style:style style:name="Header" style:family="paragraph" style:class="extra">
  <style:paragraph-properties fo:text-align="center"/>
  <style:text-properties fo:font-size="9pt" fo:font-style="italic"/>
 </style:style>
 <style:style style:name="Footer" style:family="paragraph" style:class="extra">
  <style:paragraph-properties fo:text-align="center"/>
  <style:text-properties fo:font-size="10pt"/>
 </style:style>
 <style:style style:name="I" style:family="text"><style:text-properties fo:font-style="italic"/></style:style>
 <style:style style:name="B" style:family="text"><style:text-properties fo:font-weight="bold"/></style:style>
 <style:style style:name="BI" style:family="text"><style:text-properties fo:font-weight="bold" fo:font-style="italic"/></style:style>
 <text:notes-configuration text:note-class="footnote" style:num-format="1" text:start-value="0" text:footnotes-position="page" text:start-numbering-at="document"/>
</office:styles>
<office:automatic-styles>
 <style:page-layout style:name="pm1">
  <style:page-layout-properties fo:page-width="21cm" fo:page-height="29.7cm" fo:margin-top="1.5cm" fo:margin-bottom="1.5cm" fo:margin-left="2.5cm" fo:margin-right="2.5cm">
   <style:footnote-sep style:width="0.018cm" style:distance-before-sep="0.1cm" style:distance-after-sep="0.1cm" style:adjustment="left" style:rel-width="25%" style:color="#000000"/>
  </style:page-layout-properties>
  <style:header-style><style:header-footer-properties fo:min-height="0.6cm" fo:margin-bottom="0.4cm"/></style:header-style>
  <style:footer-style><style:header-footer-properties fo:min-height="0.6cm" fo:margin-top="0.4cm"/></style:footer-style>
 </style:page-layout>
</office:automatic-styles>
<office:master-styles>
 <style:master-page style:name="Standard" style:page-layout-name="pm1">
  <style:header><text:p text:style-name="Header">{header}</text:p></style:header>
  <style:footer><text:p text:style-name="Footer"><text:page-number text:select-page="current">1</text:page-number></text:p></style:footer>
 </style:master-page>
</office:master-styles>
<office:body><office:text>
"""
TAIL = "</office:text></office:body></office:document>\n"


def _inline(text: str, soft: bool = False) -> str:
    """Markdown emphasis, links and escapes -> ODF inline XML."""
    text = re.sub(r"\[([^\]]+)\]\((https?://[^)]+)\)", lambda m: m.group(2), text)
    text = re.sub(r"<(https?://[^>]+)>", r"\1", text)
    text = text.replace("\\\\_", "_").replace("\\_", "_")
    out = []
    for piece in re.split(r"(\*{1,3}[^*]+?\*{1,3})", text):
        m = re.fullmatch(r"(\*{1,3})([^*]+?)\*{1,3}", piece)
        body = m.group(2) if m else piece
        body = _soft_hyphens(body) if soft else body
        body = escape(body).replace("\t", "<text:tab/>")
        if m:
            style = {1: "I", 2: "B", 3: "BI"}[len(m.group(1))]
            body = f'<text:span text:style-name="{style}">{body}</text:span>'
        out.append(body)
    return "".join(out)


def _soft_hyphens(text: str) -> str:
    """Put one soft hyphen in the middle of long plain words, so lines end hyphenated."""
    return re.sub(r"\b([a-z]{6,})([a-z]{6,})\b", lambda m: m.group(1) + SHY + m.group(2), text)


def note_xml(number: str, body: str) -> str:
    return (
        f'<text:note text:id="ftn{number}" text:note-class="footnote">'
        f"<text:note-citation>{number}</text:note-citation><text:note-body>"
        f'<text:p text:style-name="Footnote">{body}</text:p></text:note-body></text:note>'
    )


def paragraph_xml(text: str, notes: dict[str, str], style: str = "Standard") -> str:
    """One body paragraph; ``<sup>N</sup>`` marks become real footnotes."""
    parts = re.split(r"<sup>(\d+)</sup>", text)
    xml = []
    for i, part in enumerate(parts):
        if i % 2:
            xml.append(note_xml(part, _inline(notes[part])))
        else:
            xml.append(_inline(part, soft=style == "Standard"))
    return f'<text:p text:style-name="{style}">{"".join(xml)}</text:p>'


def fodt(body: list[str], title: str | None, header: str) -> str:
    meta = f"<dc:title>{escape(title)}</dc:title>" if title else ""
    return HEAD.format(meta=meta, header=escape(header)) + "\n".join(body) + "\n" + TAIL


def split_003(source: str) -> tuple[list[str], dict[str, str]]:
    """The body blocks (page-cut paragraphs joined) and the note texts of the sample paper."""
    notes: dict[str, str] = {}
    blocks: list[str] = []
    after_break = False
    for chunk in re.split(r"\n\s*\n", source):
        chunk = chunk.strip()
        if not chunk:
            continue
        if chunk == "---":
            after_break = True
            continue
        m = re.match(r"<sup>(\d+)</sup>\s*(.*)", chunk, re.S)
        if m:
            notes[m.group(1)] = " ".join(line.strip() for line in m.group(2).splitlines())
            continue
        cut = blocks and not re.search(r"[.!?:»”\"]\s*(<sup>\d+</sup>)?$", blocks[-1])
        if after_break and cut and not chunk.startswith("#"):
            blocks[-1] += " " + chunk
        else:
            blocks.append(chunk)
        after_break = False
    return blocks, notes


def paper003_fodt(source: str) -> str:
    blocks, notes = split_003(source)
    body = []
    for i, block in enumerate(blocks):
        if i < 5:  # cover page: series line, title, author, sponsor
            flat = " ".join(line.strip() for line in block.splitlines())
            style = "Title" if i == 1 else "Standard"
            body.append(f'<text:p text:style-name="{style}">{_inline(flat)}</text:p>')
        elif block.startswith("#"):
            level = 1 if block.startswith("## ") else 2
            text = _inline(block.lstrip("#").strip())
            body.append(f'<text:h text:style-name="Heading_{level}" text:outline-level="{level}">{text}</text:h>')
        elif "\t" in block:  # table of contents
            for line in block.splitlines():
                body.append(f'<text:p text:style-name="Standard">{_inline(line.replace(chr(9), " "))}</text:p>')
        else:
            body.append(paragraph_xml(" ".join(block.split("\n")), notes))
    return fodt(body, None, "Balkan route and the European Union")


SMALL_NOTES = {
    "1": "Weber, B. (2017). The EU-Turkey Refugee Deal and the Not Quite Closed Balkan Route. "
    "Sarajevo: Friedrich-Ebert-Stiftung Dialogue Southeast Europe.",
    "2": "Ibid., p. 12.",
    "3": "Buffer zones are transit countries that slow down or regulate inflows to Europe. "
    + "They act as a filter that relieves pressure on the countries of destination, and the "
    "people stranded in them wait for months without access to asylum procedures. "
    * 8
    + "This note is long on purpose, so that it runs over onto the next page.",
    "5": "Another long note. " + "Drones and thermal cameras were bought with EU funds and "
    "handed over to the border police of the transit countries in several rounds. " * 60 + "End of the long note.",
    "4": "Frontex. (2021). Artificial Intelligence-based capabilities for European Border and "
    "Coast Guard, Warsaw, https://bit.ly/421aest.",
}


def small_fodt() -> str:
    filler = (
        "The reception centres along the route were opened and closed as the number of "
        "arrivals changed, and the authorities of the transit states adapted their rules "
        "from one season to the next. "
    )
    body = [
        '<text:p text:style-name="Title">Transit Countries and Footnotes</text:p>',
        '<text:h text:style-name="Heading_1" text:outline-level="1">Introduction</text:h>',
        paragraph_xml(
            "In 2015 more than 760,000 people crossed the region, and transit permits were valid "
            "for 48 hours only. Serbia found itself managing thousands of people stranded within "
            "its territory<sup>1</sup> and the costs rose to €80 million in 2016. The "
            "internationalisation of border control was described as a turning point<sup>2</sup>.",
            SMALL_NOTES,
        ),
        paragraph_xml(
            filler * 4 + "Countries that block people on their territory become "
            "buffer zones<sup>3</sup> for the rest of Europe.",
            SMALL_NOTES,
        ),
        paragraph_xml(
            filler * 13 + "This long paragraph continues on the next page and ends with the word conclusion.",
            SMALL_NOTES,
        ),
        '<text:h text:style-name="Heading_1" text:outline-level="1">Technology</text:h>',
        paragraph_xml(
            "Artificial intelligence was introduced at the borders in 2021<sup>4</sup>, "
            "with 3 pilot projects and 12 drones.",
            SMALL_NOTES,
        ),
        paragraph_xml("The equipment was paid from the pre-accession funds<sup>5</sup>. " + filler * 3, SMALL_NOTES),
    ]
    return fodt(body, "Transit Countries and Footnotes", "Glossa test paper")


def soffice(args: list[str], out_dir: Path) -> None:
    exe = shutil.which("soffice") or shutil.which("libreoffice")
    if not exe:
        sys.exit("soffice (LibreOffice) is needed to rebuild the PDFs")
    with tempfile.TemporaryDirectory() as profile:
        cmd = [
            exe,
            f"-env:UserInstallation=file://{profile}",
            "--headless",
            "--convert-to",
            *args,
            "--outdir",
            str(out_dir),
        ]
        subprocess.run(cmd, check=True, capture_output=True, timeout=300)


def scanned_pdf() -> bytes:
    """A one-page PDF that draws shapes but holds no text (like a scan without OCR)."""
    content = b"0.2 g 72 600 450 120 re f 0.5 g 72 400 300 80 re f"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, obj in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + obj + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % off for off in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def main() -> None:
    if "--sources" in sys.argv:
        (HERE / "small.fodt").write_text(small_fodt(), encoding="utf-8")
        (HERE / "paper003.fodt").write_text(paper003_fodt(SAMPLE_003.read_text(encoding="utf-8")), encoding="utf-8")
    soffice(["pdf", str(HERE / "small.fodt"), str(HERE / "paper003.fodt")], HERE)
    secret = {
        "EncryptFile": {"type": "boolean", "value": "true"},
        "DocumentOpenPassword": {"type": "string", "value": "secret"},
    }
    with tempfile.TemporaryDirectory() as tmp:
        shutil.copy(HERE / "small.fodt", Path(tmp) / "encrypted.fodt")
        soffice(["pdf:writer_pdf_Export:" + json.dumps(secret), str(Path(tmp) / "encrypted.fodt")], HERE)
    good = (HERE / "small.pdf").read_bytes()
    (HERE / "corrupt.pdf").write_bytes(good[:400] + b"\x00garbage\xff" * 50)
    (HERE / "scanned.pdf").write_bytes(scanned_pdf())


if __name__ == "__main__":
    main()
