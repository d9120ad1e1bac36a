"""The Chroma collection that holds sentences, chunks and one marker per ingested file."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable, Set
from pathlib import Path
from typing import Any

import chromadb
from chromadb.api import ClientAPI
from langchain_chroma import Chroma
from langchain_core.embeddings import Embeddings

from rag.settings import Settings
from rag.store.embeddings import load_embeddings
from rag.store.keyword import KeywordIndex, fingerprint
from rag.types import ScoredSentence, Sentence

log = logging.getLogger(__name__)

SENTENCE, CHUNK, FILE = "sentence", "chunk", "file"
PAGE = 5000  # records per get/delete call
TIES = 8  # hits a reachability check reads: a record with more exact twins than this passes unread


class StoreUnavailable(RuntimeError):
    """The configured Chroma server cannot be reached."""


def open_chroma(
    path: Path, collection: str, embeddings: Embeddings, host: str | None = None, port: int = 8000
) -> Chroma:
    """A Chroma collection using cosine distance, created if missing.

    Embedded (persistent, in ``path``) unless ``host`` is given: then the collection lives on the Chroma server at
    ``host:port`` and ``path`` is not used. Raises ``StoreUnavailable`` when that server cannot be reached.
    """
    settings = chromadb.Settings(anonymized_telemetry=False)
    client: ClientAPI
    if host:
        try:
            client = chromadb.HttpClient(host=host, port=port, settings=settings)
            client.heartbeat()
        except Exception as exc:  # chromadb reports a refused connection as ValueError, a timeout as httpx errors
            raise StoreUnavailable(
                f"cannot reach the Chroma server at {host}:{port} ({exc}). Start one with "
                f"`chroma run --path DIR --port {port}` (add `--host 0.0.0.0` to serve other machines), "
                "or unset ALLIANCE_QA_CHROMA_HOST to use the embedded store"
            ) from exc
    else:
        path.mkdir(parents=True, exist_ok=True)
        client = chromadb.PersistentClient(path=str(path), settings=settings)
    return Chroma(
        client=client,
        collection_name=collection,
        embedding_function=embeddings,
        collection_configuration={"hnsw": {"space": "cosine"}},
    )


SECTION_BREAK = "\n"
"""Between a sentence's section path and its text in the stored document, so that both are embedded."""


def stored_text(sentence: Sentence) -> str:
    """What the store embeds and keeps for a sentence: its section path, if it has one, then its text."""
    return f"{sentence.section}{SECTION_BREAK}{sentence.text}" if sentence.section else sentence.text


def _sentence(record_id: str, text: str, meta: dict[str, Any]) -> Sentence:
    section = meta.get("section")
    if section and text.startswith(section + SECTION_BREAK):
        text = text[len(section) + len(SECTION_BREAK) :]
    return Sentence(
        id=record_id,
        source=meta["source"],
        text=text,
        start=meta["start"],
        end=meta["end"],
        index=meta["index"],
        page=meta.get("page"),
        section=section,
        code=bool(meta.get("code")),
        item=bool(meta.get("item")),
    )


def document_id(source: str) -> str:
    """The stable id of a document: derived from its source name, so it survives edits and re-ingests."""
    return hashlib.sha256(f"document\0{source}".encode()).hexdigest()[:16]


class Store:
    """Domain operations on one collection; every record carries ``kind``, ``source`` and ``file_sha`` metadata."""

    def __init__(self, chroma: Chroma, keyword_path: Path) -> None:
        self.chroma = chroma
        self.keyword_path = keyword_path
        self._keywords: tuple[tuple[int, int, int], KeywordIndex] | None = None

    def keywords(self) -> KeywordIndex:
        """The keyword index saved beside the store, reloaded only when a new one has been written."""
        try:
            stat = self.keyword_path.stat()
        except FileNotFoundError:
            return KeywordIndex([])
        # Every save replaces the file, so a new inode or size tells a new index apart even when two saves fall
        # within one tick of the file system's coarse modification clock.
        version = (stat.st_ino, stat.st_mtime_ns, stat.st_size)
        cached = self._keywords
        if cached is None or cached[0] != version:
            cached = (version, KeywordIndex.load(self.keyword_path) or KeywordIndex([]))
            self._keywords = cached
        return cached[1]

    def sync_keywords(self) -> bool:
        """Rebuild the keyword index if it does not hold exactly the store's sentences, or made its terms another
        way; returns whether it did."""
        ids = self.ids({"kind": SENTENCE})
        saved = KeywordIndex.load(self.keyword_path)
        if saved is not None and saved.current and saved.fingerprint == fingerprint(ids):
            return False
        KeywordIndex(self.sentences()).save(self.keyword_path)
        return True

    @property
    def embeddings(self) -> Embeddings:
        """The embedding model the collection was opened with."""
        assert self.chroma.embeddings is not None
        return self.chroma.embeddings

    def _get(self, where: dict[str, Any] | None, include: list[str]) -> dict[str, list[Any]]:
        """``chroma.get`` page by page: one call for a large collection fails with 'too many SQL variables'."""
        merged: dict[str, list[Any]] = {"ids": [], **{key: [] for key in include}}
        offset = 0
        while True:
            got = self.chroma.get(where=where, include=include, limit=PAGE, offset=offset)
            for key in merged:
                merged[key].extend(got[key] or [])
            if len(got["ids"]) < PAGE:
                return merged
            offset += PAGE

    def files(self) -> dict[str, str]:
        """Source name to content hash, for every file whose ingest completed."""
        got = self._get(where={"kind": FILE}, include=["metadatas"])
        return {m["source"]: m["file_sha"] for m in got["metadatas"]}

    def documents(self) -> list[dict[str, Any]]:
        """Every ingested document, by source name: ``id`` (``document_id``), ``source``, and its counts of
        ``sentences``, ``chunks`` and ``chars``, from the file markers."""
        got = self._get(where={"kind": FILE}, include=["metadatas"])
        found = {
            m["source"]: {
                "id": document_id(m["source"]),
                "source": m["source"],
                "sentences": int(m.get("sentences", 0)),
                "chunks": int(m.get("chunks", 0)),
                "chars": int(m.get("chars", 0)),
            }
            for m in got["metadatas"]
        }
        return [found[source] for source in sorted(found)]

    def ids(self, where: dict[str, Any] | None = None) -> list[str]:
        """Ids of the records matching ``where`` (all records if None)."""
        return list(self._get(where=where, include=[])["ids"])

    def source_ids(self, source: str) -> set[str]:
        """Ids of every record of ``source``, whatever version of its text they belong to."""
        return set(self.ids({"source": source}))

    def sources_except(self, names: Iterable[str]) -> set[str]:
        """Sources with records in the store, complete or not, other than ``names``."""
        names = sorted(set(names))
        where = {"source": {"$nin": names}} if names else None
        return {m["source"] for m in self._get(where=where, include=["metadatas"])["metadatas"]}

    def has_leftovers(self, source: str, sha: str) -> bool:
        """Whether records of ``source`` from another version of its text remain."""
        where = {"$and": [{"source": source}, {"file_sha": {"$ne": sha}}]}
        return bool(self.chroma.get(where=where, limit=1, include=[])["ids"])

    def add(self, texts: list[str], metadatas: list[dict[str, Any]], ids: list[str]) -> None:
        """Embed and write records; ids already present are overwritten, never duplicated."""
        self.chroma.add_texts(texts, metadatas=metadatas, ids=ids)

    def delete_source(self, source: str, keep_sha: str | None = None, keep_ids: Set[str] = frozenset()) -> int:
        """Remove the records of ``source`` except those of version ``keep_sha`` and those in ``keep_ids``; returns
        how many were content."""
        where: dict[str, Any] = {"source": source}
        if keep_sha is not None:
            where = {"$and": [where, {"file_sha": {"$ne": keep_sha}}]}
        got = self._get(where=where, include=["metadatas"])
        # Markers go last: a delete cut short leaves its marker, and with it the sign that the source is in the store.
        found = sorted(
            ((i, m) for i, m in zip(got["ids"], got["metadatas"]) if i not in keep_ids),
            key=lambda item: item[1]["kind"] == FILE,
        )
        ids = [i for i, _ in found]
        for i in range(0, len(ids), PAGE):
            self.chroma.delete(ids=ids[i : i + PAGE])
        return sum(1 for _, m in found if m["kind"] != FILE)

    @property
    def _native(self) -> chromadb.Collection:
        """The chromadb collection itself: langchain-chroma has no batched query by vector, nor a write of stored
        vectors without embedding the texts again."""
        return self.chroma._collection

    def unreachable(self, batch: int = 256) -> list[str]:
        """Records that a vector search with their own stored vector does not return.

        Chroma's HNSW graph can lose live records after many deletes, or when a process writing it is killed
        (chroma-core/chroma#7758): ``get`` still returns them, ``query`` never does, and reopening does not help.
        A record tied with others on the same vector counts as reachable when every hit is such a tie.
        """
        ids = self.ids()
        n = min(TIES, len(ids))
        lost = []
        for i in range(0, len(ids), batch):
            vectors = self.vectors(ids[i : i + batch])
            part = [j for j in ids[i : i + batch] if j in vectors]
            got = self._native.query(query_embeddings=[vectors[j] for j in part], n_results=n, include=["distances"])
            for own, hits, distances in zip(part, got["ids"], got["distances"] or []):
                if own not in hits and not (len(hits) == n and distances[-1] < 1e-5):
                    lost.append(own)
        return lost

    def reindex(self, ids: list[str]) -> None:
        """Write ``ids`` again from their stored vectors, texts and metadata: it puts them back in the vector graph."""
        for i in range(0, len(ids), PAGE):
            got = self._native.get(ids=ids[i : i + PAGE], include=["embeddings", "documents", "metadatas"])
            self._native.upsert(
                ids=got["ids"], embeddings=got["embeddings"], documents=got["documents"], metadatas=got["metadatas"]
            )

    def count(self, kind: str) -> int:
        """Number of records of one kind."""
        return len(self.ids({"kind": kind}))

    def search(self, vector: list[float], k: int) -> list[ScoredSentence]:
        """The ``k`` sentences nearest to ``vector``, best first, scored by cosine similarity.

        Most records are sentences, so an unfiltered query for a few more than ``k`` usually holds ``k`` of them,
        and it is about 20 times faster than Chroma's metadata filter; the filtered query is the fallback.
        """
        search = self.chroma.similarity_search_by_vector_with_relevance_scores
        hits = [(d, s) for d, s in search(vector, k=2 * k + 4) if d.metadata.get("kind") == SENTENCE]
        if len(hits) < k:
            hits = search(vector, k=k, filter={"kind": SENTENCE})
        return [
            ScoredSentence(sentence=_sentence(doc.id or "", doc.page_content, doc.metadata), score=1.0 - distance)
            for doc, distance in hits[:k]
        ]

    def sentences(self, source: str | None = None) -> list[Sentence]:
        """All sentences (of one source, if given), in document order."""
        where: dict[str, Any] = (
            {"kind": SENTENCE} if source is None else {"$and": [{"kind": SENTENCE}, {"source": source}]}
        )
        got = self._get(where=where, include=["documents", "metadatas"])
        found = [_sentence(i, d, m) for i, d, m in zip(got["ids"], got["documents"], got["metadatas"])]
        return sorted(found, key=lambda s: (s.source, s.index))

    def vectors(self, ids: Iterable[str]) -> dict[str, list[float]]:
        """Stored embeddings by id."""
        ids = list(ids)
        if not ids:
            return {}
        got = self.chroma.get(ids=ids, include=["embeddings"])
        return {i: list(map(float, v)) for i, v in zip(got["ids"], got["embeddings"])}


def open_store(settings: Settings, embeddings: Embeddings | None = None) -> Store:
    """The configured collection, with the configured embedding model unless one is given.

    With ``chroma_host`` set the collection lives on that Chroma server, shared by every process using it; the
    keyword index beside it stays a local file, so it is brought up to date with the store here (cheap when it is).
    """
    embeddings = embeddings or load_embeddings(settings.embedding_model, settings.embedding_threads)
    host = settings.chroma_host or None
    chroma = open_chroma(settings.chroma_dir, settings.collection, embeddings, host=host, port=settings.chroma_port)
    store = Store(chroma, settings.keyword_path)
    if host and store.sync_keywords():
        log.info("rebuilt the keyword index from the Chroma server at %s:%s", host, settings.chroma_port)
    return store
