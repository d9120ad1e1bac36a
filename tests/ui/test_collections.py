"""Named collections: created, listed and chosen from the API, the OpenAI-compatible endpoint, the UI handlers and
the CLI; each answers only from its own documents. Hash embeddings and real Chroma stores keep it fast."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from ingest.sync import ingest_default
from rag.answer import InvalidQuestion, Pipeline, check_top_k
from rag.errors import NotFound
from rag.library import Library
from rag.service import open_store
from rag.settings import Settings
from rag.store.embeddings import HashEmbeddings
from ui.chat.handlers import answer_for_scripts, create_collection
from ui.http.app import create_app

ESSAY = "The alliance rests on shared concerns about security. Both navies train together every spring."
NOTES = "Okinawa hosts most of the bases. Kyoto keeps the old temples."


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    data = tmp_path / "data"
    data.mkdir()
    (data / "essay.txt").write_text(ESSAY, encoding="utf-8")
    return Settings(data_dir=data, state_dir=tmp_path / "state", refusal_threshold=-1.0)


@pytest.fixture
def library(settings: Settings) -> Library:
    store = open_store(settings, HashEmbeddings())
    ingest_default(settings, store, progress=False)
    return Library.of(Pipeline(store, None, settings))


@pytest.fixture
def client(library: Library) -> TestClient:
    return TestClient(create_app(library))


def add_notes(client: TestClient, collection: str = "notes") -> None:
    assert client.post("/api/collections", json={"name": collection}).status_code == 201
    files = [("files", ("notes.txt", NOTES.encode()))]
    response = client.post(f"/api/documents?collection={collection}", files=files)
    assert response.status_code == 200, response.text


def test_a_new_collection_answers_only_from_its_own_documents(client, library, settings):
    add_notes(client)
    listed = client.get("/api/collections").json()
    assert [(c["name"], c["default"], c["documents"]) for c in listed] == [("alliance", True, 1), ("notes", False, 1)]
    assert Path(listed[1]["folder"]) == settings.collections_dir / "notes"
    for listing in listed:  # the similarity level is set (-1: never refuse on it); the quote level is derived
        assert listing["refusal_levels"]["similarity"] == -1.0 and -1 < listing["refusal_levels"]["quote"] < 1

    notes = client.post("/api/answer", json={"question": "Where are the temples?", "collection": "notes"}).json()
    assert {c["source"] for c in notes["citations"]} == {"uploads/notes.txt"}
    assert "Kyoto" in notes["answer"]
    default = client.post("/api/answer", json={"question": "Where are the temples?"}).json()
    assert {c["source"] for c in default["citations"]} == {"essay.txt"}

    assert [d["source"] for d in client.get("/api/documents?collection=notes").json()] == ["uploads/notes.txt"]
    assert [d["source"] for d in client.get("/api/documents").json()] == ["essay.txt"]
    # Each collection keeps its own extracted texts: ingesting one never prunes the other's.
    assert library.pipeline().document("essay.txt") == ESSAY
    assert library.pipeline("notes").document("uploads/notes.txt") == NOTES


def test_collections_survive_a_restart(client, settings):
    add_notes(client)
    store = open_store(settings, HashEmbeddings())
    reopened = Library.of(Pipeline(store, None, settings))
    assert reopened.names() == ["alliance", "notes"]
    assert reopened.info("notes").documents == 1


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        ({"name": "alliance"}, 409, "exists already"),
        ({"name": "No Spaces"}, 422, "not allowed"),
        ({"name": "../escape"}, 422, "not allowed"),
        ({"name": "ab"}, 422, "3 to 63 characters"),
        ({}, 422, "name is required"),
    ],
)
def test_bad_collection_names_get_a_json_error(client, settings, body, status, message):
    response = client.post("/api/collections", json=body)
    assert response.status_code == status and message in response.json()["error"]
    assert not (settings.state_dir / "escape").exists()


def test_an_unknown_collection_is_a_404_everywhere(client):
    for response in (
        client.post("/api/answer", json={"question": "Why?", "collection": "missing"}),
        client.post("/api/answer/stream", json={"question": "Why?", "collection": "missing"}),
        client.get("/api/documents?collection=missing"),
        client.delete("/api/documents/abc?collection=missing"),
        client.post("/v1/chat/completions", json={"model": "other", "messages": [{"role": "user", "content": "Hi"}]}),
    ):
        assert response.status_code == 404, response.text
        assert "no collection named 'missing'" in response.text or "no model named 'other'" in response.text


def test_the_openai_endpoint_offers_each_collection_as_a_model(client):
    add_notes(client)
    assert [m["id"] for m in client.get("/v1/models").json()["data"]] == ["alliance-qa", "alliance-qa/notes"]
    message = {"role": "user", "content": "Where are the temples?"}
    body = client.post("/v1/chat/completions", json={"model": "alliance-qa/notes", "messages": [message]}).json()
    assert {c["source"] for c in body["alliance_qa"]["citations"]} == {"uploads/notes.txt"}


@pytest.mark.parametrize("top_k", [0, 21, "4", 2.5])
def test_top_k_outside_1_to_20_is_a_422(client, top_k):
    response = client.post("/api/answer", json={"question": "Why?", "top_k": top_k})
    assert response.status_code == 422 and "top_k" in response.json()["error"]


def test_top_k_bounds_the_sentences_marked_for_the_model(settings):
    from rag.llm.fake import ScriptedChatModel

    (settings.data_dir / "essay.txt").write_text(
        "Okinawa hosts bases. Kyoto keeps temples. Osaka trades rice. Nara keeps deer. Kobe ships beef.",
        encoding="utf-8",
    )
    store = open_store(settings, HashEmbeddings())
    ingest_default(settings, store, progress=False)
    model = ScriptedChatModel().enqueue("Nara keeps deer [1].", "Nara keeps deer [1].")
    pipeline = Pipeline(store, model, settings)
    for top_k in (1, 3):
        pipeline.answer("Which city keeps deer?", top_k=top_k)
        hint = model.calls[-1][-1].content.splitlines()[0]
        assert hint.startswith("Sentences most relevant") and hint.count("[") == top_k
    pipeline.settings = settings.model_copy(update={"prompt": "retrieved", "context_window": 0})
    for top_k in (1, 3):
        pipeline.answer("Which city keeps deer?", top_k=top_k)
        sources = [line for line in model.calls[-1][-1].content.splitlines() if line.startswith("[")]
        assert len(sources) == top_k
    pipeline.settings = settings.model_copy(update={"prompt": "retrieved", "context_window": 1})
    model.enqueue("Nara keeps deer [1].")
    pipeline.answer("Which city keeps deer?", top_k=1)
    sources = [line for line in model.calls[-1][-1].content.splitlines() if line.startswith("[")]
    assert sources == ["[1] Osaka trades rice.", "[2] Nara keeps deer.", "[3] Kobe ships beef."]  # and its neighbours
    assert check_top_k(20) == 20
    with pytest.raises(InvalidQuestion, match="top_k"):
        check_top_k(True)


def test_the_ui_creates_and_answers_from_a_collection(library):
    note, collections, documents = create_collection(library, "my-notes")
    assert "Created the collection my-notes" in note
    assert collections.constructor_args["choices"] == ["alliance", "my-notes"]
    assert collections.constructor_args["value"] == "my-notes" and documents.constructor_args["choices"] == []
    assert "not allowed" in create_collection(library, "Bad Name")[0]
    assert "exists already" in create_collection(library, "my-notes")[0]
    answer = answer_for_scripts(library, "When do the navies train?")
    assert answer["citations"][0]["source"] == "essay.txt"
    with pytest.raises(Exception, match="no collection named"):
        answer_for_scripts(library, "Why?", "missing")


def test_cli_creates_lists_and_uses_collections(settings, monkeypatch, capsys, tmp_path):
    from rag.store import chroma
    from ui import cli

    monkeypatch.setattr(chroma, "load_embeddings", lambda *args, **kwargs: HashEmbeddings())
    monkeypatch.setenv("ALLIANCE_QA_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("ALLIANCE_QA_STATE_DIR", str(settings.state_dir))
    notes = tmp_path / "notes.txt"
    notes.write_text(NOTES, encoding="utf-8")
    assert cli.main(["collections", "create", "notes"]) == 0
    assert cli.main(["documents", "-c", "notes", "add", str(notes)]) == 0
    assert cli.main(["documents", "--collection", "notes", "--json"]) == 0
    out = capsys.readouterr().out
    assert [d["source"] for d in json.loads(out[out.index("[") :])] == ["uploads/notes.txt"]
    assert cli.main(["collections"]) == 0
    assert "notes: 1 documents" in capsys.readouterr().out
    assert cli.main(["documents", "-c", "missing"]) == 2
    assert "no collection named 'missing'" in capsys.readouterr().err
    with pytest.raises(NotFound):
        cli.for_collection(Settings(), "missing")
