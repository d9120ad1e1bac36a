"""Pluggable chat model backends: the factory, errors that name the backend and URL, and a real llama.cpp server."""

from __future__ import annotations

import logging
import socket
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from eval.processes import free_port, llama_server_command
from rag.answer import Pipeline
from rag.llm import BackendError, make_chat_model
from rag.llm.fake import ScriptedChatModel
from rag.llm.llamacpp import ChatLlamaCpp
from rag.llm.supervisor import WorkerEngine
from rag.llm.weights import QWEN_CODER_1_5B, smollm2_path
from rag.settings import Settings
from tests.samples import essay_text
from tests.servers import http_ok, running

QUESTION = "Why does the Japan-US alliance persist?"


# --- the factory --------------------------------------------------------------------------------------------------


def test_factory_builds_the_local_backends_without_loading_anything():
    settings = Settings(llm="llamacpp", llm_max_tokens=50)
    model = make_chat_model(settings)
    assert isinstance(model, ChatLlamaCpp) and model.max_tokens == 50
    assert isinstance(model.engine, WorkerEngine) and model.engine.status()["state"] == "stopped"
    assert model.engine.model_path == str(settings.model_dir / QWEN_CODER_1_5B.file_name)
    light = make_chat_model(Settings(llm="llamacpp", llm_model="smollm2-135m", llm_worker=False))
    assert light.engine.model_path == str(smollm2_path()) and light.engine._llm is None
    assert make_chat_model(Settings(llm=" None ")) is None
    assert isinstance(make_chat_model(Settings(llm="fake")), ScriptedChatModel)


def test_openai_backend_is_greedy_bounded_and_needs_no_key():
    settings = Settings(llm="openai:smollm2", llm_base_url="http://127.0.0.1:9999/v1", llm_max_tokens=64, llm_timeout=7)
    model = make_chat_model(settings)
    assert model.backend_name == "openai:smollm2" and model.model_name == "smollm2"
    assert model.openai_api_base == "http://127.0.0.1:9999/v1"
    assert model.openai_api_key.get_secret_value() == "not-needed"
    assert model.temperature == 0 and model.max_tokens == 64
    assert model.request_timeout == 7 and model.max_retries == 0


def test_openai_api_key_is_passed_and_kept_secret():
    settings = Settings(llm="openai:gpt-4o-mini", llm_api_key="sk-secret")
    assert "sk-secret" not in repr(settings) and "sk-secret" not in settings.model_dump_json()
    assert make_chat_model(settings).openai_api_key.get_secret_value() == "sk-secret"


def test_ollama_backend_uses_its_own_port_unless_the_url_is_set(monkeypatch):
    model = make_chat_model(Settings(llm="ollama:llama3.2:1b", llm_max_tokens=40, llm_timeout=5))
    assert model.backend_name == "ollama:llama3.2:1b" and model.model == "llama3.2:1b"
    assert model.base_url == "http://127.0.0.1:11434"
    assert model.temperature == 0 and model.num_predict == 40 and model.client_kwargs == {"timeout": 5}
    monkeypatch.setenv("ALLIANCE_QA_LLM_BASE_URL", "http://gpu-box:11434")
    assert make_chat_model(Settings(llm="ollama:qwen3")).base_url == "http://gpu-box:11434"


def test_no_model_can_be_chosen_from_the_environment(monkeypatch):
    monkeypatch.setenv("ALLIANCE_QA_LLM", "none")  # the environment reads "none" as no value
    assert Settings().llm == "none" and make_chat_model(Settings()) is None


@pytest.mark.parametrize("name", ["gpt-4o", "openai:", "ollama", "llamacpp:big", "anthropic:claude"])
def test_unknown_backend_lists_the_valid_forms(name):
    with pytest.raises(ValueError, match=r"openai:<model>") as info:
        make_chat_model(Settings(llm=name))
    assert repr(name) in str(info.value)


@pytest.mark.parametrize(
    ("name", "module", "package"),
    [("openai:m", "langchain_openai", "langchain-openai"), ("ollama:m", "langchain_ollama", "langchain-ollama")],
)
def test_missing_optional_package_names_what_to_install(monkeypatch, name, module, package):
    monkeypatch.setitem(sys.modules, module, None)  # makes `import module` fail
    for loaded in ("rag.llm.openai_backend", "rag.llm.ollama_backend"):
        monkeypatch.delitem(sys.modules, loaded, raising=False)
    with pytest.raises(ImportError, match=f"pip install {package}"):
        make_chat_model(Settings(llm=name))


# --- failures name the backend and the URL ------------------------------------------------------------------------


def test_closed_port_is_reported_with_backend_and_url():
    url = f"http://127.0.0.1:{free_port()}/v1"
    model = make_chat_model(Settings(llm="openai:x", llm_base_url=url))
    with pytest.raises(BackendError, match=rf"LLM backend openai:x at {url} is unreachable: .*Connection refused"):
        model.invoke("hello")
    with pytest.raises(BackendError, match="is unreachable") as info:
        list(model.stream("hello"))
    assert info.value.backend == "openai:x" and info.value.url == url


def test_ollama_closed_port_is_reported_with_backend_and_url():
    url = f"http://127.0.0.1:{free_port()}"
    model = make_chat_model(Settings(llm="ollama:m", llm_base_url=url))
    with pytest.raises(BackendError, match=rf"LLM backend ollama:m at {url} is unreachable"):
        list(model.stream("hello"))


def test_server_that_never_answers_times_out_after_the_setting():
    with socket.socket() as silent:  # accepts connections (in the backlog) but never replies
        silent.bind(("127.0.0.1", 0))
        silent.listen(4)
        url = f"http://127.0.0.1:{silent.getsockname()[1]}/v1"
        model = make_chat_model(Settings(llm="openai:x", llm_base_url=url, llm_timeout=1))
        began = time.monotonic()
        with pytest.raises(BackendError, match=rf"LLM backend openai:x at {url} timed out after 1s"):
            list(model.stream("hello"))
        assert time.monotonic() - began < 10


@pytest.mark.slow
def test_pipeline_answers_extractively_when_the_server_is_down(essay_store, essay_settings, caplog):
    url = f"http://127.0.0.1:{free_port()}/v1"
    settings = essay_settings.model_copy(update={"llm": "openai:x", "llm_base_url": url})
    pipeline = Pipeline(essay_store, make_chat_model(settings), settings)
    began = time.monotonic()
    with caplog.at_level(logging.WARNING, logger="rag.answer.pipeline"):
        answer = pipeline.answer(QUESTION)
    assert time.monotonic() - began < 10
    assert answer.mode == "extractive" and not answer.refused and answer.citations
    assert answer.notice and f"LLM backend openai:x at {url} is unreachable" in answer.notice
    essay = essay_text()
    assert all(essay[c.start : c.end] == c.text for c in answer.citations)
    assert f"LLM backend openai:x at {url} is unreachable" in caplog.text


# --- a real OpenAI-compatible server: llama-cpp-python's own, serving the embedded SmolLM2 -------------------------


@pytest.fixture(scope="module")
def llama_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``python -m llama_cpp.server`` with the embedded GGUF on a free port; yields its /v1 URL."""
    port = free_port()
    log: Path = tmp_path_factory.mktemp("llama-server") / "server.log"
    command = llama_server_command(smollm2_path(), port)
    url = f"http://127.0.0.1:{port}/v1"
    with running(command, http_ok(f"{url}/models"), log, timeout=300):
        yield url


@pytest.fixture(scope="module")
def served_settings(llama_server: str, essay_settings: Settings) -> Settings:
    return essay_settings.model_copy(update={"llm": "openai:smollm2", "llm_base_url": llama_server, "llm_timeout": 180})


@pytest.mark.slow
def test_openai_backend_answers_from_a_real_server(served_settings):
    reply = make_chat_model(served_settings).invoke("What is the capital of France? Answer in one sentence.")
    assert isinstance(reply.content, str) and reply.content.strip()


@pytest.mark.slow
def test_openai_backend_streams_several_chunks(served_settings):
    chunks = [c.text for c in make_chat_model(served_settings).stream("Name three colours, one per line.")]
    assert len([c for c in chunks if c]) >= 3
    assert "".join(chunks).strip()


@pytest.mark.slow
def test_pipeline_answers_through_the_served_model(essay_store, served_settings):
    pipeline = Pipeline(essay_store, make_chat_model(served_settings), served_settings)
    tokens: list[str] = []
    answer = pipeline.answer(QUESTION, on_token=tokens.append)
    assert tokens and "".join(tokens).strip()
    assert not answer.refused and answer.citations and answer.mode in ("generated", "extractive")
    essay = essay_text()
    for n, citation in enumerate(answer.citations, 1):
        assert citation.source == "japan_us_alliance.txt"
        assert essay[citation.start : citation.end] == citation.text
        assert f"[{n}]" in answer.answer
