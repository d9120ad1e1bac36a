"""Real server processes for tests: started on a free localhost port, awaited, and always stopped."""

from __future__ import annotations

import json
import subprocess
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from eval import processes

ROOT = Path(__file__).resolve().parent.parent


def http_ok(url: str) -> Callable[[], bool]:
    """A readiness check: GET ``url`` answers 200."""
    return lambda: processes.reachable(url)


@contextmanager
def running(
    command: list[str], ready: Callable[[], bool], log: Path, timeout: float = 240, env: dict[str, str] | None = None
) -> Iterator[subprocess.Popen]:
    """``eval.processes.running``, failing the test (with the log's tail) when the server does not come up."""
    try:
        with processes.running(command, ready, log, timeout, env) as proc:
            yield proc
    except processes.NotReady as exc:  # raised only while starting: the block's own errors pass through
        pytest.fail(str(exc))


@contextmanager
def serving(state: Path, env: dict[str, str] | None = None) -> Iterator[tuple[str, subprocess.Popen]]:
    """``eval.processes.alliance_server`` (the real models over the repository's data folder, ``env`` added to its
    environment), failing the test with the log's tail when it does not come up; yields its URL and process."""
    try:
        with processes.alliance_server(state, env, timeout=240) as (url, process):
            yield url, process
    except processes.NotReady as exc:  # raised only while starting: the block's own errors pass through
        pytest.fail(str(exc))


def warmed(url: str, timeout: float = 300) -> None:
    """Wait until the server's model has its prompt prefix ready, as a user who opens the page after start finds it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        model = json.loads(urllib.request.urlopen(f"{url}/api/health", timeout=10).read()).get("model", {})
        state, warm = model.get("state"), model.get("warm")
        if state in (None, "none", "unavailable", "failed") or (
            state == "ready" and warm not in ("not started", "warming")
        ):
            return
        time.sleep(0.5)
    pytest.fail(f"the model at {url} was still warming after {timeout} s")


@contextmanager
def alliance_server(state: Path, env: dict[str, str] | None = None) -> Iterator[str]:
    """``serving``, yielding only the URL once the model is warm."""
    with serving(state, env) as (url, _):
        warmed(url)
        yield url
