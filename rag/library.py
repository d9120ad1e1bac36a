"""Named collections: each its own corpus folder, Chroma collection and keyword index.

They share one embedding model, one chat model and one generation queue (the in-process model is not thread-safe),
so a second collection costs a Chroma collection and a small index, not a second model. The default collection is
the corpus folder ``data_dir``; ``collections`` in the settings adds folders that already exist, and collections
created from the UI or the API get an empty folder under ``<state_dir>/collections`` that uploads fill.
"""

from __future__ import annotations

import logging
import re
import threading
import time
import tomllib
from pathlib import Path

from langchain_core.embeddings import Embeddings
from langchain_core.language_models import BaseChatModel
from pydantic import BaseModel, ConfigDict, Field

from rag.answer import Pipeline
from rag.answer.gate import GenerationGate
from rag.errors import Conflict, InvalidRequest, NotFound
from rag.settings import Settings
from rag.store.chroma import open_store

log = logging.getLogger(__name__)

NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{1,61}[a-z0-9]$")
NAME_RULE = "3 to 63 characters: lower-case letters, digits, '-' and '_', starting and ending with a letter or digit"


METADATA = "collection.toml"
"""A collection's own text for the chat, in its corpus folder beside its documents (which ingest never reads)."""


class CollectionText(BaseModel):
    """How the chat presents a collection: ``collection.toml`` in its folder, else neutral words."""

    model_config = ConfigDict(extra="ignore")

    title: str = Field("", description="heading of the chat (default: the collection's name)")
    description: str = Field(
        "Ask a question about the documents of this collection. Every statement in an answer carries a marker [n] "
        "that points to the exact source sentence, highlighted in the document beside the chat.",
        description="one paragraph under the heading",
    )
    placeholder: str = Field("Ask a question about the documents", description="the empty question box's hint")
    examples: list[str] = Field(default_factory=list, description="example questions offered under the chat")


def collection_text(name: str, folder: Path) -> CollectionText:
    """The collection's ``collection.toml``, or neutral text titled with its name when it has none (or a broken
    one, which is logged)."""
    path = folder / METADATA
    try:
        text = CollectionText(**tomllib.loads(path.read_text(encoding="utf-8"))) if path.is_file() else None
    except (OSError, ValueError, TypeError) as exc:  # tomllib.TOMLDecodeError and pydantic errors are ValueErrors
        log.warning("ignoring %s: %s", path, exc)
        text = None
    text = text or CollectionText()
    return text if text.title else text.model_copy(update={"title": name})


class CollectionInfo(CollectionText):
    """One collection, as ``GET /api/collections`` lists it."""

    name: str
    default: bool = Field(description="whether questions without a collection go here")
    documents: int = Field(description="documents ingested into it")
    folder: str = Field(description="its corpus folder: ingest and uploads sync the collection with it")
    refusal_levels: dict[str, float] = Field(
        default_factory=dict,
        description="the similarity levels its refusals use, derived from it unless set: {similarity, quote}",
    )


def check_name(name: str) -> str:
    """``name`` if it is a valid collection name, else ``InvalidRequest`` with the rule."""
    if not isinstance(name, str) or not NAME.match(name):
        raise InvalidRequest(f"collection name {name!r} is not allowed: {NAME_RULE}")
    return name


class Library:
    """The collections of one process; ``pipeline(name)`` gives the (cached) pipeline answering from one."""

    def __init__(
        self,
        settings: Settings,
        embeddings: Embeddings | None = None,
        chat_model: BaseChatModel | None = None,
        gate: GenerationGate | None = None,
        llm_problem: str | None = None,
    ) -> None:
        self.settings = settings
        self.llm_problem = llm_problem
        self.embeddings = embeddings
        self.chat_model = chat_model
        self.gate = gate or GenerationGate(settings.generation_queue, settings.generation_timeout)
        self._pipelines: dict[str, Pipeline] = {}
        self._lock = threading.Lock()
        self.warmth = "not started"  # how the default collection's prompt prefix was warmed, for health

    @classmethod
    def of(cls, pipeline: Pipeline) -> Library:
        """A library whose default collection is ``pipeline``; others open with its embeddings and model."""
        library = cls(
            pipeline.settings, pipeline.store.embeddings, pipeline.chat_model, pipeline.gate, pipeline.llm_problem
        )
        library._pipelines[pipeline.settings.collection] = pipeline
        return library

    @property
    def default(self) -> str:
        return self.settings.collection

    def names(self) -> list[str]:
        """The default collection first, then the configured ones, then those created here, each once."""
        created = sorted(p.name for p in self.settings.collections_dir.glob("*") if p.is_dir() and NAME.match(p.name))
        return list(dict.fromkeys([self.default, *self.settings.collections, *created]))

    def folder(self, name: str) -> Path:
        """The corpus folder of a collection (which need not exist yet)."""
        if name == self.default:
            return self.settings.data_dir
        if name in self.settings.collections:
            return self.settings.collections[name]
        return self.settings.collections_dir / name

    def settings_for(self, name: str) -> Settings:
        """The settings with this collection's name and corpus folder; everything else is shared."""
        if name == self.default:
            return self.settings
        return self.settings.model_copy(update={"collection": name, "data_dir": self.folder(name)})

    def pipeline(self, name: str | None = None) -> Pipeline:
        """The pipeline of a collection (the default when ``name`` is None); ``NotFound`` if unknown."""
        name = name or self.default
        with self._lock:
            if name in self._pipelines:
                return self._pipelines[name]
            if name not in self.names():
                raise NotFound(
                    f"no collection named {name!r}: GET /api/collections lists them (known: {', '.join(self.names())})"
                )
            return self._open(name)

    def create(self, name: str) -> CollectionInfo:
        """A new, empty collection; ``Conflict`` if one has that name, ``InvalidRequest`` if the name is not allowed."""
        check_name(name)
        with self._lock:
            if name in self.names():
                raise Conflict(f"a collection named {name!r} exists already")
            self.folder(name).mkdir(parents=True)
            self._open(name)
        return self.info(name)

    def info(self, name: str) -> CollectionInfo:
        pipeline = self.pipeline(name)
        text = collection_text(name, self.folder(name))
        levels = pipeline.levels()
        return CollectionInfo(
            **text.model_dump(),
            name=name,
            default=name == self.default,
            documents=len(pipeline.store.files()),
            folder=str(self.folder(name)),
            refusal_levels={"similarity": levels.similarity, "quote": levels.quote},
        )

    def warm(self, names: list[str] | None = None) -> None:
        """Compute (or load) the prompt prefix of each collection, the default last so that its cache is the one
        kept in memory; each is saved, so a later switch or restart loads it in milliseconds."""
        names = names or self.names()
        ordered = [n for n in names if n != self.default] + [n for n in names if n == self.default]
        for name in ordered:
            began = time.perf_counter()
            if name == self.default:
                self.warmth = "warming"
            try:
                how = self.pipeline(name).warm()
            except Exception as exc:  # the first question then pays for the prefix; health says why
                log.warning("warming the prompt of collection %s failed: %s", name, exc)
                how = f"failed: {exc}"
            if name == self.default:
                seconds = time.perf_counter() - began
                self.warmth = (
                    "not needed" if how is None else how if how.startswith("failed") else f"{how} in {seconds:.1f} s"
                )

    def warm_in_background(self, names: list[str] | None = None) -> threading.Thread:
        """``warm`` in a daemon thread; questions asked meanwhile wait for the model as usual."""
        thread = threading.Thread(target=self.warm, args=(names,), name="warm-prompt", daemon=True)
        thread.start()
        return thread

    def _open(self, name: str) -> Pipeline:
        """Open a collection's store (held under ``self._lock``) with the shared models and generation queue."""
        settings = self.settings_for(name)
        store = open_store(settings, self.embeddings)
        self.embeddings = store.embeddings
        pipeline = Pipeline(store, self.chat_model, settings, gate=self.gate, llm_problem=self.llm_problem)
        self._pipelines[name] = pipeline
        return pipeline
