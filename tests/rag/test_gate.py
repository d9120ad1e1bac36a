"""The bounded queue in front of the model, and the 503 a full queue gives."""

from __future__ import annotations

import threading
import time

import pytest
from fastapi.testclient import TestClient

from rag.answer.gate import Busy, GenerationGate
from ui.http.app import create_app


def hold(gate: GenerationGate, started: threading.Event, release: threading.Event) -> threading.Thread:
    def run() -> None:
        with gate.slot():
            started.set()
            release.wait(5)

    thread = threading.Thread(target=run)
    thread.start()
    assert started.wait(5)
    return thread


def test_full_queue_is_refused_at_once():
    gate = GenerationGate(waiting=0, timeout=5)
    release = threading.Event()
    holder = hold(gate, threading.Event(), release)
    began = time.monotonic()
    with pytest.raises(Busy, match="already waiting"), gate.slot():
        pass
    assert time.monotonic() - began < 1
    release.set()
    holder.join()
    with gate.slot():  # free again
        pass


def test_waiting_too_long_times_out():
    gate = GenerationGate(waiting=2, timeout=0.2)
    release = threading.Event()
    holder = hold(gate, threading.Event(), release)
    with pytest.raises(Busy, match="stayed busy"), gate.slot():
        pass
    release.set()
    holder.join()


def test_busy_model_is_a_503_with_retry_after(pipeline, monkeypatch):
    def busy(*args, **kwargs):
        raise Busy("the model is busy: 4 questions are already waiting", retry_after=5)

    monkeypatch.setattr(pipeline, "answer", busy)
    response = TestClient(create_app(pipeline)).post("/api/answer", json={"question": "Why?"})
    assert response.status_code == 503 and response.headers["retry-after"] == "5"
    assert "retry in 5 s" in response.json()["error"]


def test_a_full_queue_turns_questions_away_before_retrieval(pipeline, monkeypatch):
    gate = GenerationGate(waiting=0, timeout=5)
    monkeypatch.setattr(pipeline, "gate", gate)
    monkeypatch.setattr(pipeline, "retrieve", lambda *a, **k: pytest.fail("retrieval ran for a question turned away"))
    release = threading.Event()
    holder = hold(gate, threading.Event(), release)
    try:
        with pytest.raises(Busy, match="already waiting") as busy:
            pipeline.answer("Why does the alliance persist?")
        assert 4 <= busy.value.retry_after <= 6  # spread, so that turned-away clients do not return together
    finally:
        release.set()
        holder.join()
