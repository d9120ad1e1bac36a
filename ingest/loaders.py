"""Finding corpus files and extracting their text, with a clear reason when a file cannot be used.

Supported: plain text (``.txt``), and read as structure: Markdown (``.md``) and HTML (``.html``, ``.htm``) (see
``ingest.markup``), PDF (``.pdf``, see ``ingest.pdf``) and Word (``.docx``, see ``ingest.word``). The extracted
text is what citation offsets index into; the loader also says which character range each PDF page occupies in it,
and which blocks (headings, paragraphs, list items, rows, code) the text is made of.
"""

from __future__ import annotations

import bisect
import io
import logging
import re
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, NamedTuple

from ingest.markup import Block, read_html, read_markdown
from ingest.pdf import Heading, read_pdf
from ingest.word import read_docx

if TYPE_CHECKING:
    from pypdf import PdfReader

TEXT_SUFFIXES = (".txt",)
SUFFIXES = (".txt", ".md", ".pdf", ".html", ".htm", ".docx")
STRUCTURED_SUFFIXES = (".md", ".html", ".htm", ".pdf", ".docx")


class LoadError(Exception):
    """A file that cannot be ingested; the message says why, for the user."""


@dataclass(frozen=True)
class SourceFile:
    """A file to ingest and the name its citations will carry."""

    name: str
    path: Path


class PageSpan(NamedTuple):
    """Where one PDF page is in the extracted text: ``text[start:end]`` is the page's text."""

    page: int
    start: int
    end: int


@dataclass(frozen=True)
class Loaded:
    """A file's extracted text; for a PDF, the span of each page (pages without text have none); for Markdown and
    HTML, the blocks the text is made of (headings, paragraphs, list items, table rows, code)."""

    text: str
    pages: tuple[PageSpan, ...] = ()
    blocks: tuple[Block, ...] = ()

    def page_at(self, offset: int) -> int | None:
        """The page containing character ``offset`` (or the page before it, in the break between pages)."""
        return page_at(self.pages, offset)


def page_at(pages: Sequence[PageSpan], offset: int) -> int | None:
    """The number of the last page starting at or before ``offset``; None when there are no pages."""
    at = bisect.bisect_right([p.start for p in pages], offset) - 1
    return pages[max(at, 0)].page if pages else None


def discover(paths: list[Path | tuple[Path, str]]) -> list[SourceFile]:
    """Corpus files under ``paths``: a folder gives its files named relative to it, a ``(folder, prefix)`` pair
    gives them named ``prefix/<relative name>``, and a file gives its own name."""
    found: dict[str, SourceFile] = {}
    for entry in paths:
        root, prefix = entry if isinstance(entry, tuple) else (entry, "")
        if root.is_dir():
            for path in sorted(root.rglob("*")):
                rel = path.relative_to(root)
                if path.is_file() and path.suffix.lower() in SUFFIXES and not _hidden(rel):
                    name = f"{prefix}/{rel.as_posix()}" if prefix else rel.as_posix()
                    found.setdefault(name, SourceFile(name, path))
        elif root.exists():
            found.setdefault(root.name, SourceFile(root.name, root))
        else:
            raise FileNotFoundError(f"{root}: no such file or folder to ingest")
    return list(found.values())


def structured(name: str) -> bool:
    """Whether a source's extracted text is a layout of blocks (Markdown, HTML) rather than plain text."""
    return name.lower().endswith(STRUCTURED_SUFFIXES)


def _hidden(rel: Path) -> bool:
    return any(part.startswith(".") for part in rel.parts)


def _read_at_most(handle: BinaryIO, limit: int) -> bytes:
    """Up to ``limit`` bytes, 64 KiB at a time: ``read(limit)`` allocates all of ``limit`` first, even for a
    file of a few bytes."""
    parts: list[bytes] = []
    got = 0
    while got < limit and (part := handle.read(min(1 << 16, limit - got))):
        parts.append(part)
        got += len(part)
    return b"".join(parts)


def load(path: Path, max_bytes: int | None = None) -> Loaded:
    """The file's extracted text (and PDF page spans), or ``LoadError`` saying why the file cannot be used.

    A file larger than ``max_bytes`` is refused from its size alone: a huge file is never read into memory.
    """
    suffix = path.suffix.lower()
    loader = _LOADERS.get(suffix)
    if loader is None:
        raise LoadError(f"unsupported file type {suffix or '(none)'!r}: expected one of {', '.join(SUFFIXES)}")
    try:
        if max_bytes is not None and (size := path.stat().st_size) > max_bytes:
            raise _too_large(max_bytes, f"is {_size(size)}, over")
        with path.open("rb") as handle:
            data = handle.read() if max_bytes is None else _read_at_most(handle, max_bytes + 1)
    except OSError as exc:
        raise LoadError(f"cannot read the file: {exc.strerror or exc}") from exc
    if max_bytes is not None and len(data) > max_bytes:  # it grew after the size check
        raise _too_large(max_bytes, "grew while it was read, past")
    if not data.strip():
        raise LoadError("the file is empty")
    loaded = loader(path, data)
    if not loaded.text.strip():
        raise LoadError("the file is empty" if suffix in TEXT_SUFFIXES else "no text could be extracted from it")
    try:
        loaded.text.encode("utf-8")  # ids, kept texts and the store all need text that UTF-8 can hold
    except UnicodeEncodeError as exc:
        raise LoadError(f"the text holds an invalid character at offset {exc.start}: save it as UTF-8") from exc
    return loaded


def _too_large(limit: int, what: str) -> LoadError:
    return LoadError(
        f"the file {what} the limit of {_size(limit)} for one document: split it, or raise "
        "max_document_bytes (ALLIANCE_QA_MAX_DOCUMENT_BYTES)"
    )


def _size(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MiB" if size >= 1024 * 1024 else f"{size} bytes"


def read_text(path: Path) -> str:
    """The file's extracted text; ``LoadError`` if it is unreadable, of an unsupported type, empty or broken."""
    return load(path).text


def _decode(data: bytes, encoding: str = "utf-8-sig") -> str:
    if b"\x00" in data:
        raise LoadError("binary data, not text")
    name = "UTF-8" if encoding.startswith("utf-8") else encoding
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise LoadError(f"not {name} text (bad byte at offset {exc.start}): save it as UTF-8") from exc
    except UnicodeError as exc:  # codecs such as idna fail with the base class
        raise LoadError(f"not {name} text ({exc}): save it as UTF-8") from exc
    text = _without_terminal_formatting(text)
    sample = text[:4096]
    if sum(1 for c in sample if ord(c) < 32 and c not in "\t\n\r\f") > len(sample) // 20:
        raise LoadError("binary data, not text")
    return text


_ESCAPE = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")  # a terminal's colour, bold and underline codes
_OVERSTRIKE = re.compile(r"([^\x08\n])\x08([^\x08\n])")


def _without_terminal_formatting(text: str) -> str:
    """The text as a terminal shows it, for a manual page saved from ``man`` or ``nroff``: its escape codes
    dropped, and each character struck over another read as the one meant: "_" under a letter underlines it,
    a letter struck twice is bold, and "+" struck with "o" is a bullet."""
    if "\x1b" not in text and "\x08" not in text:
        return text

    def struck(found: re.Match[str]) -> str:
        first, second = found.group(1), found.group(2)
        if (first, second) == ("+", "o"):
            return "•"
        return first if second == "_" else second

    return _OVERSTRIKE.sub(struck, _ESCAPE.sub("", text))


def _load_text(path: Path, data: bytes) -> Loaded:
    return Loaded(_unbroken_words([_decode(data)])[0])


_LINE_END_BREAK = re.compile(r"([A-Za-z]+(?:-[A-Za-z]+)*)-\n([ \t]*)([a-z][A-Za-z]*)(\S*)[ \t]*(\n?)")
_WORD = re.compile(r"[A-Za-z]+(?:-[A-Za-z]+)*")


def _unbroken_words(texts: list[str]) -> list[str]:
    """The texts with each word that a typesetter split at a line end ("loca-" / "tion") written whole on the
    first line, so retrieval and quotes read "location". A split is mended only when the documents write the
    word elsewhere, whole ("location") or hyphenated ("man-db"); an unattested one ("es-" / "pecially") is left
    as it was, since a dash at a line end may be the word's own."""
    if not any("-\n" in text for text in texts):
        return texts
    seen: set[str] = set()
    for text in texts:
        seen.update(word.lower() for word in _WORD.findall(_LINE_END_BREAK.sub(" ", text)))

    def mended(found: re.Match[str]) -> str:
        head, indent, tail, trailing, newline = found.groups()
        if not head[-1].islower():
            return found.group(0)
        if f"{head}-{tail}".lower() in seen:
            word = f"{head}-{tail}"
        elif f"{head}{tail}".lower() in seen:
            word = head + tail
        else:
            return found.group(0)
        if newline or found.end() == len(found.string):  # the tail was all its line held: that line goes
            return word + trailing + newline
        return f"{word}{trailing}\n{indent}"

    return [_LINE_END_BREAK.sub(mended, text) for text in texts]


def _clean(text: str) -> str:
    """Unix line breaks, no NULs or trailing spaces, no blank lines at either end."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
    return "\n".join(line.rstrip() for line in text.split("\n")).strip("\n")


def _load_pdf(path: Path, data: bytes) -> Loaded:
    from pypdf import PdfReader
    from pypdf.errors import FileNotDecryptedError

    if not data.lstrip().startswith(b"%PDF-"):
        raise LoadError("not a PDF file (it does not start with %PDF-)")
    logging.getLogger("pypdf").setLevel(logging.ERROR)  # its warnings on odd but readable files are noise here
    try:
        reader = PdfReader(io.BytesIO(data))  # the bytes already checked, not the file again: it may have changed
        if reader.is_encrypted and not reader.decrypt(""):
            raise LoadError("the PDF is password-protected: save a copy without a password")
        texts = _unbroken_words([_clean(page.extract_text() or "") for page in reader.pages])
    except LoadError:
        raise
    except FileNotDecryptedError as exc:
        raise LoadError("the PDF is password-protected: save a copy without a password") from exc
    except Exception as exc:  # pypdf signals a damaged file with many exception types
        raise LoadError(f"broken or truncated PDF ({type(exc).__name__}: {exc})") from exc
    if not any(texts):
        raise LoadError("the PDF has no extractable text (a scanned PDF needs OCR first)")
    layout, spans = read_pdf(texts, _outline(reader), _labels(reader))
    return Loaded(layout.text, tuple(PageSpan(*span) for span in spans), tuple(layout.blocks))


def _labels(reader: PdfReader) -> list[str]:
    """The page numbers the pages print ("iv", "12"), as the PDF declares them; by position when it cannot."""
    try:
        return list(reader.page_labels)
    except Exception:  # a damaged label tree costs the labels, never the document
        return []


def _outline(reader: PdfReader) -> list[Heading]:
    """The PDF's bookmarks in order, each with its depth and the index of its page; a broken one is left out."""
    headings: list[Heading] = []

    def walk(entries: list, level: int) -> None:
        for entry in entries:
            if isinstance(entry, list):
                walk(entry, level + 1)
                continue
            try:
                page = reader.get_destination_page_number(entry)
            except Exception:  # a bookmark pointing nowhere is skipped, the text is still read
                continue
            if page is not None and str(entry.title or "").strip():
                headings.append(Heading(level, str(entry.title), page))

    try:
        walk(reader.outline, 1)
    except Exception:  # a damaged outline costs the headings, never the document
        return []
    return headings


_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)


def _load_html(path: Path, data: bytes) -> Loaded:
    declared = _CHARSET.search(data[:4096])
    encoding = "utf-8-sig"
    if declared and declared.group(1).decode("ascii").lower().replace("_", "-") not in ("utf-8", "utf8"):
        encoding = declared.group(1).decode("ascii")
        try:
            "".encode(encoding)
        except LookupError as exc:
            raise LoadError(f"the page declares an unknown character set {encoding!r}: save it as UTF-8") from exc
    try:
        layout = read_html(_decode(data, encoding))
    except AssertionError as exc:  # html.parser's way of rejecting markup it cannot follow
        raise LoadError(f"the HTML cannot be parsed ({exc})") from exc
    return Loaded(layout.text, blocks=tuple(layout.blocks))


def _load_markdown(path: Path, data: bytes) -> Loaded:
    layout = read_markdown(_decode(data))
    return Loaded(layout.text, blocks=tuple(layout.blocks))


def _load_docx(path: Path, data: bytes) -> Loaded:
    import docx

    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise LoadError("not a valid .docx file (a Word document is a zip archive; this is not one)")
    try:
        layout = read_docx(docx.Document(io.BytesIO(data)))
    except Exception as exc:  # python-docx reports damaged packages with KeyError, ValueError, lxml errors…
        raise LoadError(f"broken .docx file ({type(exc).__name__}: {exc})") from exc
    return Loaded(layout.text, blocks=tuple(layout.blocks))


_LOADERS: dict[str, Callable[[Path, bytes], Loaded]] = {
    ".txt": _load_text,
    ".md": _load_markdown,
    ".pdf": _load_pdf,
    ".html": _load_html,
    ".htm": _load_html,
    ".docx": _load_docx,
}
