"""Shared fixtures. Logic tests run on the shipped fakes: the essay in a real Chroma store embedded by
``HashEmbeddings`` (bag-of-words vectors), and the scripted chat model. End-to-end tests take the real models:
``embeddings`` (all-MiniLM-L6-v2) and ``real_essay_store``."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from ingest.sync import ingest_default  # noqa: E402
from rag.answer import Pipeline  # noqa: E402
from rag.llm.fake import ScriptedChatModel  # noqa: E402
from rag.service import open_store  # noqa: E402
from rag.settings import Settings  # noqa: E402
from rag.store.chroma import Store  # noqa: E402
from rag.store.embeddings import load_embeddings  # noqa: E402
from tests.samples import ROOT, hashed_store  # noqa: E402


@pytest.fixture(scope="session")
def embeddings():
    """all-MiniLM-L6-v2 from its package, loaded once."""
    return load_embeddings()


@pytest.fixture(scope="session")
def essay_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Settings whose corpus is the repository's data folder and whose state is a temporary folder."""
    return Settings(data_dir=ROOT / "data", state_dir=tmp_path_factory.mktemp("state"))


@pytest.fixture(scope="session")
def essay_store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    """A real persistent Chroma store holding the essay, embedded by the hashing fake: deterministic and quick."""
    settings = Settings(data_dir=ROOT / "data", state_dir=tmp_path_factory.mktemp("fake-state"))
    return hashed_store(settings)


@pytest.fixture(scope="session")
def real_essay_store(essay_settings: Settings, embeddings) -> Store:
    """A real persistent Chroma store holding the essay, with the real embedding model."""
    store = open_store(essay_settings, embeddings)
    ingest_default(essay_settings, store, progress=False)
    return store


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    """A small corpus folder: two files, a paragraph break, a heading, an abbreviation and a decimal."""
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "a.txt").write_text("Alpha is first. Beta follows it.\nGamma starts a paragraph.", encoding="utf-8")
    (folder / "b.md").write_text("# Notes\n\nThe U.S. signed it. Costs rose 3.5 percent.", encoding="utf-8")
    return folder


@pytest.fixture
def scripted() -> ScriptedChatModel:
    """A chat model that replies with what the test queues."""
    return ScriptedChatModel()


@pytest.fixture
def pipeline(essay_store: Store, essay_settings: Settings, scripted: ScriptedChatModel) -> Pipeline:
    """The real pipeline over the essay store, with a scripted chat model."""
    return Pipeline(essay_store, scripted, essay_settings)
