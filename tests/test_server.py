"""The real server: `alliance-qa serve` on a free port, called over HTTP."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.conftest import ROOT, essay_text


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    env = {
        **os.environ,
        "ALLIANCE_QA_STATE_DIR": str(tmp_path_factory.mktemp("server-state")),
        "ALLIANCE_QA_DATA_DIR": str(ROOT / "data"),
        "HF_HUB_OFFLINE": "1",
    }
    log = tmp_path_factory.mktemp("server-log") / "serve.log"
    with open(log, "w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "rag.cli", "serve", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                pytest.fail(f"server exited with {proc.returncode}:\n{log.read_text()}")
            try:
                if httpx.get(f"{url}/api/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.5)
        else:
            pytest.fail(f"server did not become healthy:\n{log.read_text()}")
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_answer_over_http_cites_exact_offsets(server):
    response = httpx.post(
        f"{server}/api/answer", json={"question": "Why does the Japan-US alliance persist?"}, timeout=300
    )
    assert response.status_code == 200
    body = response.json()
    essay = essay_text()
    assert not body["refused"] and body["citations"]
    assert all(essay[c["start"] : c["end"]] == c["text"] for c in body["citations"])


def test_refusal_and_bad_input_over_http(server):
    refused = httpx.post(f"{server}/api/answer", json={"question": "What is the population of Tokyo?"}, timeout=300)
    assert refused.json()["refused"] is True
    blank = httpx.post(f"{server}/api/answer", json={"question": "  "}, timeout=120)
    assert blank.status_code == 422 and "empty" in blank.json()["error"]
    broken = httpx.post(f"{server}/api/answer", content=b"{oops", headers={"content-type": "application/json"})
    assert broken.status_code == 400


def test_chat_ui_is_served_at_root(server):
    page = httpx.get(f"{server}/", timeout=120)
    assert page.status_code == 200 and "alliance-qa" in page.text
