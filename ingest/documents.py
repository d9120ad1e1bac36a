"""Your own documents: add (upload), list and delete; the HTTP API, the Gradio UI and the CLI all call these.

Uploads are kept under the state folder (``<state_dir>/uploads/<collection>``, never in the corpus folder, so that
servers with different state folders do not share them) and then the collection is re-ingested: ingest syncs the
store to its corpus folder plus its uploads, so a document only stays while its file does. Deleting an upload
deletes its file too; a document whose file is in the corpus folder is refused (``Conflict``), since the next
ingest would bring it back.
"""

from __future__ import annotations

import os
import re
import threading
import uuid
from collections.abc import Sequence
from pathlib import Path

from pydantic import BaseModel, Field

from ingest.loaders import SUFFIXES, LoadError, load
from ingest.sync import IngestReport, citable, ingest_default
from rag.errors import Conflict, InvalidRequest, NotFound, TooLarge
from rag.settings import UPLOADS, Settings
from rag.store.chroma import Store
from rag.store.texts import prune_texts

MAX_NAME_CHARS = 120
NAME_RULE = (
    f"names may use letters A-Z a-z, digits, '.', '_', '-' and spaces, must not start with '.', are at most "
    f"{MAX_NAME_CHARS} characters and end in one of {', '.join(SUFFIXES)}"
)
_DISALLOWED = re.compile(r"[^A-Za-z0-9._ -]+")

_lock = threading.Lock()  # one change of the corpus at a time in this process: uploads and deletes both re-sync


class DocumentInfo(BaseModel):
    """One ingested document."""

    id: str = Field(description="stable id, derived from the source name: use it to delete the document")
    source: str = Field(description="the name citations carry, relative to the corpus folder")
    sentences: int
    chunks: int
    chars: int = Field(description="length of the extracted text")
    uploaded: bool = Field(False, description="whether it was uploaded (its file is in the uploads folder)")


class Skipped(BaseModel):
    """A file that was not ingested, and why."""

    name: str
    reason: str


class IngestSummary(BaseModel):
    """What the ingest run after an upload found and wrote (counts of records, as in ``alliance-qa ingest``)."""

    files: int
    sentences: int
    chunks: int
    added: int
    unchanged: int
    removed: int
    skipped: list[Skipped]
    seconds: float
    summary: str

    @classmethod
    def of(cls, report: IngestReport) -> IngestSummary:
        return cls(
            files=report.files,
            sentences=report.sentences,
            chunks=report.chunks,
            added=report.added,
            unchanged=report.unchanged,
            removed=report.removed,
            skipped=[Skipped(name=n, reason=r) for n, r in report.skipped],
            seconds=round(report.seconds, 3),
            summary=report.summary(),
        )


class UploadResult(BaseModel):
    """Body of ``POST /api/documents``."""

    saved: list[str] = Field(description="source names of the documents saved and ingested")
    rejected: list[Skipped] = Field(default_factory=list, description="uploaded files that could not be read")
    ingest: IngestSummary
    documents: list[DocumentInfo]


class DeleteResult(BaseModel):
    """Body of ``DELETE /api/documents/{id}``."""

    deleted: DocumentInfo
    removed: int = Field(description="sentence and chunk records removed from the store")
    file_deleted: bool = Field(description="whether the uploaded file was deleted from the uploads folder")
    documents: list[DocumentInfo]


def sanitise_name(name: str) -> str:
    """A safe file name for an upload: the base name only, disallowed characters replaced by ``_``.

    Raises ``InvalidRequest`` when nothing usable is left, the name is hidden (starts with "."), too long,
    or of a type that cannot be ingested. The result never contains a path separator, so it stays in its folder.
    """
    base = re.split(r"[\\/]", name or "")[-1]
    clean = _DISALLOWED.sub("_", base).strip(" ")
    if not clean.strip("._ -"):
        raise InvalidRequest(f"file name {name!r} is empty once made safe: {NAME_RULE}")
    if clean.startswith("."):
        raise InvalidRequest(f"file name {name!r} is a hidden name (starts with '.'): {NAME_RULE}")
    if len(clean) > MAX_NAME_CHARS:
        raise InvalidRequest(f"file name {name!r} is {len(clean)} characters long: {NAME_RULE}")
    suffix = Path(clean).suffix.lower()
    if suffix not in SUFFIXES:
        raise InvalidRequest(
            f"file {name!r}: unsupported file type {suffix or '(none)'!r}; supported: {', '.join(SUFFIXES)}"
        )
    return clean


def read_upload(path: Path, limit: int) -> bytes:
    """At most ``limit + 1`` bytes of a file: enough to tell that it is over the limit without reading it all."""
    with path.open("rb") as handle:
        return handle.read(limit + 1)


def check_uploads(settings: Settings, files: Sequence[tuple[str, bytes]]) -> list[tuple[str, bytes]]:
    """The files with safe names; ``TooLarge`` for too many or too large, ``InvalidRequest`` for bad names."""
    if not files:
        raise InvalidRequest("no files: send one or more documents in the multipart field 'files'")
    if len(files) > settings.max_upload_files:
        raise TooLarge(f"too many files: {len(files)}, at most {settings.max_upload_files} per upload")
    checked: list[tuple[str, bytes]] = []
    seen: set[str] = set()
    for name, data in files:
        safe = sanitise_name(name)
        if len(data) > settings.max_upload_bytes:
            raise TooLarge(
                f"file {name!r} is larger than the limit of {settings.max_upload_bytes} bytes "
                f"({_megabytes(settings.max_upload_bytes)})"
            )
        if safe.lower() in seen:
            raise InvalidRequest(f"two files are named {safe!r}: give each document its own name")
        seen.add(safe.lower())
        checked.append((safe, data))
    return checked


def add_documents(settings: Settings, store: Store, files: Sequence[tuple[str, bytes]]) -> UploadResult:
    """Check, save into the uploads folder and ingest ``(file name, content)`` pairs; a file with the name of an
    earlier upload replaces it.

    Every file is checked before anything is written. A file that cannot be read (broken, empty, not UTF-8…) is
    not saved and is listed in ``rejected``; if no file can be read, ``InvalidRequest`` names each reason.
    """
    checked = check_uploads(settings, files)
    folder = settings.uploads_dir
    with _lock:
        folder.mkdir(parents=True, exist_ok=True)
        saved: list[str] = []
        rejected: list[Skipped] = []
        for name, data in checked:
            # Written under a hidden name (ingest skips those) and read back before it takes its real name.
            tmp = folder / f".upload-{uuid.uuid4().hex}{Path(name).suffix.lower()}"
            try:
                tmp.write_bytes(data)
                citable(name, load(tmp))
                os.replace(tmp, folder / name)
            except LoadError as exc:
                rejected.append(Skipped(name=name, reason=str(exc)))
                continue
            finally:
                tmp.unlink(missing_ok=True)
            saved.append(f"{UPLOADS}/{name}")
        if not saved:
            reasons = "; ".join(f"{r.name}: {r.reason}" for r in rejected)
            raise InvalidRequest(f"no document could be read ({reasons})")
        report = ingest_default(settings, store, progress=False)
    return UploadResult(
        saved=saved, rejected=rejected, ingest=IngestSummary.of(report), documents=list_documents(settings, store)
    )


def list_documents(settings: Settings, store: Store) -> list[DocumentInfo]:
    """Every ingested document, by source name."""
    return [DocumentInfo(**d, uploaded=_upload_path(settings, d["source"]) is not None) for d in store.documents()]


def delete_document(settings: Settings, store: Store, document_id: str) -> DeleteResult:
    """Remove a document's records and keyword entries; for an upload, also its file.

    ``NotFound`` for an unknown id, ``Conflict`` for a document whose file is in the corpus folder but not an
    upload: it would come back on the next ingest, so its file must be removed from the folder instead.
    """
    with _lock:
        found = [d for d in list_documents(settings, store) if d.id == document_id]
        if not found:
            raise NotFound(f"no document with id {document_id!r}: GET /api/documents lists them")
        document = found[0]
        path = _upload_path(settings, document.source)
        if path is None and (settings.data_dir / document.source).is_file():
            raise Conflict(
                f"{document.source!r} is a file of the corpus folder {settings.data_dir}, not an upload: it would "
                "come back on the next ingest. Delete or move the file out of that folder, then run "
                "`alliance-qa ingest`"
            )
        file_deleted = path is not None and path.is_file()
        if path is not None:
            path.unlink(missing_ok=True)
        removed = store.delete_source(document.source)
        store.sync_keywords()
        prune_texts(settings.texts_dir, set(store.files().values()))
    return DeleteResult(
        deleted=document,
        removed=removed,
        file_deleted=file_deleted,
        documents=list_documents(settings, store),
    )


def _upload_path(settings: Settings, source: str) -> Path | None:
    """The file of an uploaded document (``uploads/<name>``), or None for any other source."""
    prefix = f"{UPLOADS}/"
    if not source.startswith(prefix) or "/" in source[len(prefix) :]:
        return None
    path = settings.uploads_dir / source[len(prefix) :]
    if path.parent.resolve() != settings.uploads_dir.resolve():
        return None
    return path


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.3g} MB" if size >= 1024 * 1024 else f"{size / 1024:.3g} KB"
