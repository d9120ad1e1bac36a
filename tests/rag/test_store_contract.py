"""One store contract, run against the embedded Chroma store and against a real Chroma server (`chroma run`).

Both stores are built through ``rag.service.open_store`` from ``Settings``, so the configuration path is what is
tested. Each test gets a fresh collection with a unique name and deletes it afterwards. The hashing embedder keeps
the contract tests fast; one test uses the real embeddings to get a cited answer through each store.
"""

from __future__ import annotations

import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from eval.processes import chroma_server_command, free_port
from ingest.sync import ingest, ingest_default
from rag.answer import Pipeline
from rag.llm.fake import ScriptedChatModel
from rag.service import open_store
from rag.settings import Settings
from rag.store.chroma import CHUNK, SENTENCE, Store, StoreUnavailable
from rag.store.embeddings import HashEmbeddings
from rag.store.keyword import KeywordIndex
from rag.store.texts import kept_text
from tests.samples import ROOT, essay_text
from tests.servers import http_ok, running

OpenStore = Callable[..., tuple[Store, Settings]]


@pytest.fixture(scope="module")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """A real Chroma server in a subprocess, for this module; yields its port."""
    folder = tmp_path_factory.mktemp("chroma-server")
    port = free_port()
    command = chroma_server_command(folder / "data", port)
    if not Path(command[0]).exists():
        pytest.fail(f"the chroma CLI is not installed next to {sys.executable}")
    with running(command, http_ok(f"http://127.0.0.1:{port}/api/v2/heartbeat"), folder / "server.log", timeout=60):
        yield port


@pytest.fixture(params=["embedded", "server"])
def open_test_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[OpenStore]:
    """Opens stores on a fresh, uniquely named collection (embedded or on the server); deletes it afterwards."""
    server: dict[str, object] = {}
    if request.param == "server":
        port = request.getfixturevalue("chroma_server")
        server = {"chroma_host": "127.0.0.1", "chroma_port": port}
    collection = f"contract-{uuid.uuid4().hex[:12]}"
    opened: list[Store] = []

    def make(embeddings=None, **overrides) -> tuple[Store, Settings]:
        fields = {"state_dir": tmp_path / "state", "collection": collection, **server, **overrides}
        settings = Settings(**fields)
        store = open_store(settings, embeddings or HashEmbeddings())
        opened.append(store)
        return store, settings

    yield make
    if opened:
        opened[0].chroma.delete_collection()


def run(corpus: Path, store: Store, settings: Settings):
    return ingest([corpus], store, settings.texts_dir, progress=False)


def snapshot(store: Store) -> tuple[list[str], int, int]:
    return sorted(store.ids()), store.count(SENTENCE), store.count(CHUNK)


def test_collection_is_cosine_and_lives_where_configured(open_test_store):
    store, settings = open_test_store()
    collection = store.chroma._collection
    assert collection.name == settings.collection
    assert collection.configuration["hnsw"]["space"] == "cosine"
    server = collection._client.get_settings().chroma_api_impl == "chromadb.api.fastapi.FastAPI"
    assert server == bool(settings.chroma_host)
    assert settings.chroma_dir.exists() != server  # in server mode nothing is written to the local Chroma folder


def test_second_ingest_writes_nothing_and_ids_are_identical(open_test_store, corpus):
    store, settings = open_test_store()
    first = run(corpus, store, settings)
    before = snapshot(store)
    second = run(corpus, store, settings)
    # b.md: its heading "# Notes" names the section of its two sentences and is not one itself
    assert (first.files, first.sentences, first.added, first.removed) == (2, 5, first.sentences + first.chunks, 0)
    assert (second.added, second.removed, second.unchanged) == (0, 0, first.added)
    assert snapshot(store) == before


def test_edited_file_leaves_no_old_records(open_test_store, corpus):
    store, settings = open_test_store()
    run(corpus, store, settings)
    (corpus / "a.txt").write_text("Delta replaces everything. Epsilon too.", encoding="utf-8")
    report = run(corpus, store, settings)
    assert [s.text for s in store.sentences("a.txt")] == ["Delta replaces everything.", "Epsilon too."]
    assert report.removed == 3 + 2  # three old sentences, two old chunks
    assert len(store.ids()) == len(set(store.ids()))
    assert len(store.files()) == 2
    sha = store.files()["a.txt"]
    assert not store.has_leftovers("a.txt", sha)


def test_deleted_file_is_removed(open_test_store, corpus):
    store, settings = open_test_store()
    run(corpus, store, settings)
    (corpus / "b.md").unlink()
    report = run(corpus, store, settings)
    assert report.removed > 0
    assert {s.source for s in store.sentences()} == {"a.txt"}
    assert set(store.files()) == {"a.txt"}
    assert store.ids({"source": "b.md"}) == []


def test_keyword_index_agrees_with_the_store(open_test_store, corpus):
    store, settings = open_test_store()
    run(corpus, store, settings)
    assert set(store.keywords().by_id) == set(store.ids({"kind": SENTENCE}))
    (corpus / "a.txt").write_text("Zeta is brand new.", encoding="utf-8")
    (corpus / "b.md").unlink()
    run(corpus, store, settings)
    assert set(store.keywords().by_id) == set(store.ids({"kind": SENTENCE}))
    assert [s.text for s, _ in store.keywords().search("zeta", 5)] == ["Zeta is brand new."]
    assert store.keywords().search("alpha", 5) == []


def test_a_second_process_sees_the_ingest_in_its_keyword_index(open_test_store, corpus, tmp_path):
    """Another process ingested: a worker opening the same store must not keep a stale keyword index.

    Embedded, the only way to share the store is to share the state dir (index file included); on a server, each
    worker has its own state dir and its index is rebuilt from the store when the store is opened.
    """
    writer, writer_settings = open_test_store(state_dir=tmp_path / "writer")
    run(corpus, writer, writer_settings)
    reader_dir = tmp_path / "reader" if writer_settings.chroma_host else writer_settings.state_dir
    if writer_settings.chroma_host:
        KeywordIndex([]).save(writer_settings.model_copy(update={"state_dir": reader_dir}).keyword_path)  # stale
    reader, _ = open_test_store(state_dir=reader_dir)
    assert reader.files() == writer.files()
    assert set(reader.keywords().by_id) == set(writer.ids({"kind": SENTENCE}))
    assert [s.text for s, _ in reader.keywords().search("gamma paragraph", 1)] == ["Gamma starts a paragraph."]


def test_search_returns_sentences_whose_offsets_slice_the_source(open_test_store, corpus):
    store, settings = open_test_store()
    run(corpus, store, settings)
    hits = store.search(store.embeddings.embed_query("Costs rose percent"), k=3)
    assert hits and hits[0].sentence.text == "Costs rose 3.5 percent."
    assert hits[0].score == pytest.approx(max(h.score for h in hits))
    sha = store.files()
    for hit in hits:
        s = hit.sentence
        text = kept_text(settings.texts_dir, sha[s.source])
        assert text == (corpus / s.source).read_text(encoding="utf-8")
        assert text[s.start : s.end] == s.text
        assert -1.0 <= hit.score <= 1.0 + 1e-6
    assert store.vectors([h.sentence.id for h in hits]).keys() == {h.sentence.id for h in hits}


def test_cited_answer_and_refusal_with_real_embeddings(open_test_store, embeddings):
    store, settings = open_test_store(embeddings, data_dir=ROOT / "data", llm="none")
    report = ingest_default(settings, store, progress=False)
    assert report.files == 1 and not report.skipped
    pipeline = Pipeline(store, ScriptedChatModel(replies=["NOT IN DOCUMENT"]), settings)
    essay = essay_text()

    answer = pipeline.answer("Which new domains do Japan and the US collaborate in?")
    assert not answer.refused and answer.mode == "extractive"
    assert answer.citations
    for citation in answer.citations:
        assert citation.source == "japan_us_alliance.txt"
        assert essay[citation.start : citation.end] == citation.text
    assert any("cyber" in c.text.lower() or "space" in c.text.lower() for c in answer.citations)

    refusal = pipeline.answer("How do I make miso soup?")
    assert refusal.refused and not refusal.citations


def test_unreachable_server_names_host_port_and_how_to_start_one(tmp_path):
    port = free_port()
    settings = Settings(state_dir=tmp_path, chroma_host="127.0.0.1", chroma_port=port)
    with pytest.raises(StoreUnavailable) as error:
        open_store(settings, HashEmbeddings())
    message = str(error.value)
    assert f"127.0.0.1:{port}" in message
    assert f"chroma run --path DIR --port {port}" in message


def test_chroma_settings_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("ALLIANCE_QA_CHROMA_HOST", "chroma.internal")
    monkeypatch.setenv("ALLIANCE_QA_CHROMA_PORT", "9000")
    settings = Settings()
    assert (settings.chroma_host, settings.chroma_port) == ("chroma.internal", 9000)
    monkeypatch.delenv("ALLIANCE_QA_CHROMA_HOST")
    assert Settings().chroma_host is None
