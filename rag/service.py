"""Assembling the pipeline from settings: the embedding model, the store and the chat model, each loaded once."""

from __future__ import annotations

import logging

from langchain_core.embeddings import Embeddings
from langchain_core.language_models import BaseChatModel

from ingest.sync import IngestReport, ingest
from rag.answer import Pipeline
from rag.embeddings import load_embeddings
from rag.library import Library
from rag.llm import ModelFileError, make_chat_model
from rag.settings import Settings
from rag.store import Store, open_chroma

log = logging.getLogger(__name__)


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


def ingest_default(settings: Settings, store: Store, progress: bool = True) -> IngestReport:
    """Sync the store with the default corpus folder; writes nothing when it is up to date."""
    report = ingest(
        [settings.data_dir], store, settings.texts_dir, progress=progress, max_bytes=settings.max_document_bytes
    )
    for name, reason in report.skipped:
        log.warning("skipped %s: %s", name, reason)
    return report


def load_pipeline(settings: Settings, store: Store | None = None, chat_model: BaseChatModel | None = None) -> Pipeline:
    """A ready pipeline; the chat model's weights are loaded now so the first question is not slow.

    An embedded model whose file is missing or fails its check leaves the pipeline extractive, saying why, rather
    than stopping the service.
    """
    store = store or open_store(settings)
    problem = None
    if chat_model is None:
        try:
            chat_model = make_chat_model(settings)
            if hasattr(chat_model, "load"):
                chat_model.load()
        except ModelFileError as exc:
            log.error("the language model is unavailable, answers will be extractive: %s", exc)
            chat_model, problem = None, str(exc)
    elif hasattr(chat_model, "load"):
        chat_model.load()
    return Pipeline(store, chat_model, settings, llm_problem=problem)


def load_library(settings: Settings) -> Library:
    """Every collection, sharing one embedding model and one chat model (loaded now); the default one opened."""
    return Library.of(load_pipeline(settings))
