"""Real server processes for tests: started on a free localhost port, awaited, and always stopped."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def http_ok(url: str) -> Callable[[], bool]:
    """A readiness check: GET ``url`` answers 200."""

    def check() -> bool:
        try:
            return httpx.get(url, timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    return check


@contextmanager
def running(
    command: list[str], ready: Callable[[], bool], log: Path, timeout: float = 240, env: dict[str, str] | None = None
) -> Iterator[subprocess.Popen]:
    """Run ``command`` until the block ends; fail the test with the log's tail if it exits or is not ready in time."""
    with log.open("wb") as out:
        proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + timeout
        while not ready():
            tail = lambda: log.read_text(encoding="utf-8", errors="replace")[-4000:]  # noqa: E731
            if proc.poll() is not None:
                pytest.fail(f"`{' '.join(command)}` exited with {proc.returncode}:\n{tail()}")
            if time.monotonic() > deadline:
                pytest.fail(f"`{' '.join(command)}` not ready after {timeout} s:\n{tail()}")
            time.sleep(0.25)
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=30)


@contextmanager
def alliance_server(state: Path) -> Iterator[str]:
    """`alliance-qa serve` with the real models over the repository's data folder; yields its URL."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "ALLIANCE_QA_STATE_DIR": str(state),
        "ALLIANCE_QA_DATA_DIR": str(ROOT / "data"),
        "HF_HUB_OFFLINE": "1",
    }
    command = [sys.executable, "-m", "rag.cli", "serve", "--port", str(port)]
    with running(command, http_ok(f"{url}/api/health"), state / "serve.log", env=env):
        yield url
