"""Assembling the pipeline from settings: the embedding model, the store and the chat model, each loaded once."""

from __future__ import annotations

import logging

from langchain_core.language_models import BaseChatModel

from rag.answer import Pipeline
from rag.library import Library
from rag.llm import ModelFileError, make_chat_model
from rag.settings import Settings
from rag.store.chroma import Store, open_store

__all__ = ["load_library", "load_pipeline", "open_store"]

log = logging.getLogger(__name__)


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
