"""Chat model backends, chosen by one setting string and imported lazily."""

from __future__ import annotations

from pathlib import Path

from langchain_core.language_models import BaseChatModel

from rag.llm.errors import BackendError
from rag.llm.weights import ModelFileError
from rag.settings import Settings

__all__ = ["BACKENDS", "BackendError", "ModelFileError", "make_chat_model"]

BACKENDS = "'llamacpp', 'openai:<model>', 'ollama:<model>', 'none' or 'fake'"


def make_chat_model(settings: Settings) -> BaseChatModel | None:
    """Build the chat model named by ``settings.llm``.

    - ``llamacpp`` (default): the embedded model named by ``llm_model`` (Qwen2.5-Coder-1.5B, verified before it is
      loaded) or the GGUF at ``llm_model_path``, run by llama.cpp in a supervised worker process (``llm_worker``);
    - ``openai:<model>``: any OpenAI-compatible server at ``llm_base_url``;
    - ``ollama:<model>``: an Ollama server at ``llm_base_url`` if that was set, else ``OLLAMA_URL``;
    - ``none``: no model, answers are extractive; ``fake``: a scripted model for tests.
    """
    name = settings.llm.strip()
    kind, colon, model = name.partition(":")
    kind, model = kind.strip().lower(), model.strip()
    if kind in ("openai", "ollama") and not model:
        raise ValueError(f"LLM backend {settings.llm!r} names no model: set ALLIANCE_QA_LLM to one of {BACKENDS}")
    if colon and kind not in ("openai", "ollama"):
        kind = name  # only openai and ollama take a model: anything else with a colon is unknown
    if kind == "none":
        return None
    if kind == "llamacpp":
        return llamacpp_model(settings)
    if kind == "openai":
        try:
            from rag.llm.openai_backend import openai_chat
        except ImportError as exc:
            raise ImportError(
                f"LLM backend {settings.llm!r} needs 'langchain-openai': pip install langchain-openai"
            ) from exc
        return openai_chat(
            model, settings.llm_base_url, settings.llm_api_key, settings.llm_max_tokens, settings.llm_timeout
        )
    if kind == "ollama":
        try:
            from rag.llm.ollama_backend import ollama_chat
        except ImportError as exc:
            raise ImportError(
                f"LLM backend {settings.llm!r} needs 'langchain-ollama': pip install langchain-ollama"
            ) from exc
        base_url = settings.llm_base_url if "llm_base_url" in settings.model_fields_set else None
        return ollama_chat(model, base_url, settings.llm_max_tokens, settings.llm_timeout)
    if kind == "fake":
        from rag.llm.fake import ScriptedChatModel

        return ScriptedChatModel(replies=["NOT IN DOCUMENT"])
    raise ValueError(f"unknown LLM backend {settings.llm!r}: set ALLIANCE_QA_LLM to {BACKENDS}")


def llamacpp_model(settings: Settings, progress: bool = True) -> BaseChatModel:
    """The in-process llama.cpp model: ``llm_model_path`` if set, else the embedded ``llm_model``, verified.

    Raises ``ModelFileError`` when the embedded model's file cannot be assembled or fails its check.
    """
    from rag.llm.engine import LlamaEngine
    from rag.llm.llamacpp import ChatLlamaCpp
    from rag.llm.supervisor import WorkerEngine
    from rag.llm.weights import QWEN_CODER_1_5B, model_file

    if settings.llm_model_path:
        path = Path(settings.llm_model_path)
        if not path.is_file():
            raise ModelFileError(f"ALLIANCE_QA_LLM_MODEL_PATH points to {path}, which is not a file")
        stat = path.stat()
        model_id = f"{path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}"
    else:
        path = model_file(settings.llm_model, settings.model_dir, progress=progress)
        model_id = QWEN_CODER_1_5B.sha256 if settings.llm_model == QWEN_CODER_1_5B.name else str(path)
    engine: LlamaEngine | WorkerEngine
    common = {"n_ctx": settings.llm_context, "n_threads": settings.llm_threads, "states_dir": settings.llm_states_dir}
    if settings.llm_worker:
        engine = WorkerEngine(str(path), model_id, hang_seconds=settings.llm_hang_timeout, **common)
    else:
        engine = LlamaEngine(str(path), model_id, **common)
    return ChatLlamaCpp(engine=engine, max_tokens=settings.llm_max_tokens, name_of_model=str(path.name))
