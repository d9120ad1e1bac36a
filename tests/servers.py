"""Real server processes for tests: started on a free localhost port, awaited, and always stopped."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from eval import processes
from eval.processes import free_port

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
    """`alliance-qa serve` with the real models over the repository's data folder, with ``env`` added to its
    environment; yields its URL and its process."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    environment = {
        **os.environ,
        "ALLIANCE_QA_STATE_DIR": str(state),
        "ALLIANCE_QA_DATA_DIR": str(ROOT / "data"),
        "HF_HUB_OFFLINE": "1",
        **(env or {}),
    }
    state.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "rag.cli", "serve", "--port", str(port)]
    with running(command, http_ok(f"{url}/api/health"), state / "serve.log", env=environment) as process:
        yield url, process


@contextmanager
def alliance_server(state: Path, env: dict[str, str] | None = None) -> Iterator[str]:
    """``serving``, yielding only the URL."""
    with serving(state, env) as (url, _):
        yield url
