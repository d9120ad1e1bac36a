"""The model in a supervised worker process, for real: a crash, a hang or a broken model file costs the answers in
flight, never the server."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.servers import serving

QUESTIONS = [
    "Why does the Japan-US alliance persist?",
    "What hurdles does the alliance face?",
    "What role does ASEAN play?",
    "Which new domains do Japan and the US collaborate in?",
]


def health(url: str) -> dict:
    return httpx.get(f"{url}/api/health", timeout=10).json()


def wait_for(check, seconds: float) -> float:
    """Seconds until ``check()`` is true; fails the test after ``seconds``."""
    began = time.monotonic()
    while not check():
        if time.monotonic() - began > seconds:
            pytest.fail(f"not true within {seconds} s")
        time.sleep(0.25)
    return time.monotonic() - began


def worker_ready(url: str) -> bool:
    model = health(url)["model"]
    return model["state"] == "ready" and model["warm"] not in ("not started", "warming")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, subprocess.Popen]]:
    """The real server with the default model in its worker, a queue long enough for the clients below."""
    env = {"ALLIANCE_QA_GENERATION_QUEUE": "8", "ALLIANCE_QA_LLM_HANG_TIMEOUT": "5", "ALLIANCE_QA_RATE_LIMIT": "0"}
    with serving(tmp_path_factory.mktemp("worker-state"), env) as (url, process):
        wait_for(lambda: worker_ready(url), 240)
        yield url, process


class Clients:
    """Four clients asking questions in a loop (two plain, two streamed) and recording every outcome."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.stop = threading.Event()
        self.outcomes: list[dict] = []
        self.errors: list[str] = []
        self.threads = [threading.Thread(target=self._ask, args=(n,), daemon=True) for n in range(4)]

    def __enter__(self) -> Clients:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=180)

    def _ask(self, n: int) -> None:
        i = n
        while not self.stop.is_set():
            question = QUESTIONS[i % len(QUESTIONS)]
            i += 1
            try:
                outcome = self._stream(question) if n % 2 else self._plain(question)
            except httpx.HTTPError as exc:  # a dropped connection or a timeout: what must never happen
                self.errors.append(f"{type(exc).__name__}: {exc}")
                continue
            self.outcomes.append(outcome)
            if outcome["status"] == 503:  # come back later, as a client should
                self.stop.wait(min(float(outcome["retry_after"] or 1), 2.0))

    def _plain(self, question: str) -> dict:
        response = httpx.post(f"{self.url}/api/answer", json={"question": question}, timeout=180)
        body = response.json()
        return {"status": response.status_code, "retry_after": response.headers.get("retry-after"), "body": body}

    def _stream(self, question: str) -> dict:
        events: list[tuple[str, dict]] = []
        with httpx.stream("POST", f"{self.url}/api/answer/stream", json={"question": question}, timeout=180) as r:
            event = ""
            for line in r.iter_lines():
                if line.startswith("event: "):
                    event = line[7:]
                elif line.startswith("data: "):
                    events.append((event, json.loads(line[6:])))
            status, retry_after = r.status_code, r.headers.get("retry-after")
        final = next((data for kind, data in events if kind == "final"), None)
        return {"status": status, "retry_after": retry_after, "body": final, "events": [k for k, _ in events]}


def check_outcomes(clients: Clients) -> None:
    """No connection errors; every response a 200, or a 503 with Retry-After; a stream whose answer was made
    without the model says so with an ``error`` event just before its ``final``."""
    assert clients.errors == []
    for outcome in clients.outcomes:
        assert outcome["status"] == 200 or (outcome["status"] == 503 and outcome["retry_after"]), outcome
        events = outcome.get("events")
        if outcome["status"] == 200 and events is not None:
            assert events[-1] == "final", outcome
            if outcome["body"]["notice"]:
                assert events[-2] == "error", outcome


def kill_worker_mid_answer(url: str, sig: signal.Signals) -> tuple[int, float]:
    """Send ``sig`` to the worker while it generates; returns its pid and the time of the signal."""
    pid = health(url)["model"]["pid"]
    time.sleep(2.0)  # the clients have questions in the model by now
    os.kill(pid, sig)
    return pid, time.monotonic()


def generated_again(url: str, old_pid: int) -> bool:
    model = health(url)["model"]
    if model["state"] != "ready" or model["pid"] == old_pid:
        return False
    response = httpx.post(f"{url}/api/answer", json={"question": QUESTIONS[0]}, timeout=180)
    return response.status_code == 200 and response.json()["mode"] == "generated"  # a 503: the queue is full


@pytest.mark.slow
def test_a_worker_crash_costs_only_the_answers_in_flight(server):
    url, process = server
    server_pid = process.pid
    with Clients(url) as clients:
        pid, killed = kill_worker_mid_answer(url, signal.SIGSEGV)
        wait_for(lambda: any(o["body"] and o["body"].get("notice") for o in clients.outcomes), 60)
        wait_for(lambda: generated_again(url, pid), 60)
    check_outcomes(clients)
    noticed = [o["body"]["notice"] for o in clients.outcomes if o["body"] and o["body"].get("notice")]
    assert any("SIGSEGV" in n for n in noticed), noticed
    assert health(url)["model"]["restarts"] >= 1
    assert process.poll() is None and process.pid == server_pid  # the same server process answered throughout
    print(f"\nSIGSEGV: generated answers again {time.monotonic() - killed:.1f} s after the kill")


@pytest.mark.slow
def test_a_hung_worker_is_detected_killed_and_replaced(server):
    url, _ = server
    wait_for(lambda: worker_ready(url), 60)
    with Clients(url) as clients:
        pid, stopped = kill_worker_mid_answer(url, signal.SIGSTOP)
        wait_for(lambda: any(o["body"] and o["body"].get("notice") for o in clients.outcomes), 30)
        noticed_after = time.monotonic() - stopped
        wait_for(lambda: generated_again(url, pid), 60)
    check_outcomes(clients)
    assert noticed_after < 20  # the heartbeat timeout is 5 s here
    print(f"\nSIGSTOP: first answer made without the model {noticed_after:.1f} s after the stop, generated answers "
          f"again {time.monotonic() - stopped:.1f} s after it")  # fmt: skip
    noticed = [o["body"]["notice"] for o in clients.outcomes if o["body"] and o["body"].get("notice")]
    assert any("stopped answering" in n for n in noticed), noticed


@pytest.mark.slow
def test_a_model_file_that_cannot_load_leaves_the_server_answering_extractively(tmp_path: Path):
    broken = tmp_path / "broken.gguf"
    broken.write_bytes(b"GGUF" + os.urandom(4096))
    env = {"ALLIANCE_QA_LLM_MODEL_PATH": str(broken)}
    with serving(tmp_path / "state", env) as (url, _):
        body = health(url)
        assert body["status"] == "degraded" and body["model"]["state"] == "failed"
        assert "could not start" in body["model"]["reason"]
        answer = httpx.post(f"{url}/api/answer", json={"question": QUESTIONS[1]}, timeout=60).json()
        assert answer["mode"] == "extractive" and answer["citations"]
        assert "could not start" in answer["notice"]
