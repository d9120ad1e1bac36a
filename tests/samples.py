"""Sample texts and files the tests share: the essay, a sentence of it, and PDF and Word files made on the fly."""

from __future__ import annotations

import io
from pathlib import Path

import docx

from ingest.sync import ingest_default
from rag.service import open_store
from rag.settings import Settings
from rag.store.chroma import Store
from rag.store.embeddings import HashEmbeddings

ROOT = Path(__file__).resolve().parent.parent
ESSAY = ROOT / "data" / "japan_us_alliance.txt"


def essay_text() -> str:
    """The essay exactly as on disk."""
    return ESSAY.read_text(encoding="utf-8")


DOMAINS = (
    "Cybersecurity, space exploration, and AI are new domains where Japan and the US are collaborating closely, "
    "preparing for future challenges that transcend traditional military concerns."
)


PAGE_ONE = ["Tokyo hosts the first page of the report.", "The treaty was signed in San Francisco."]
PAGE_TWO = ["Osaka merchants appear on the second page.", "Kyoto temples close the report."]


def make_pdf(pages: list[list[str]]) -> bytes:
    """A minimal valid PDF: one text line per string, in the standard Helvetica font, with an exact xref table."""
    kids = [4 + 2 * i for i in range(len(pages))]
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [%s] /Count %d >>" % (b" ".join(b"%d 0 R" % k for k in kids), len(pages)),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    for kid, lines in zip(kids, pages, strict=True):
        shown = " ".join(f"({line}) Tj T*" for line in lines)
        stream = f"BT /F1 12 Tf 14 TL 72 720 Td {shown} ET".encode("latin-1")
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
            b"/Resources << /Font << /F1 3 0 R >> >> /Contents %d 0 R >>" % (kid + 1)
        )
        objects.append(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream))
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def make_docx(paragraphs: list[str]) -> bytes:
    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    document.add_paragraph("")  # empty paragraphs leave no trace
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def hashed_store(settings: Settings) -> Store:
    """The collection of ``settings`` ingested into a real Chroma store, embedded by the hashing fake."""
    store = open_store(settings, HashEmbeddings())
    ingest_default(settings, store, progress=False)
    return store
