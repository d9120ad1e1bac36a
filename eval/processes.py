"""Real server processes for benchmarks and tests: a free loopback port, the commands, started until ready, stopped.

The benchmarks, the load script and the test fixtures all start the same servers (``alliance-qa serve``,
llama-cpp-python's OpenAI-compatible server, ``chroma run``); they do it through these few functions.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DATA_DIR = ROOT / "data"


class NotReady(RuntimeError):
    """A server exited or did not become ready in time; the message ends with its log's tail."""


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def reachable(url: str, timeout: float = 2) -> bool:
    """GET ``url`` answers 200."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError, ValueError):
        return False


def stop_server(proc: subprocess.Popen) -> None:
    """Terminate the server process (kill it if it does not exit in 30 s)."""
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


@contextmanager
def running(
    command: list[str],
    ready: Callable[[], bool],
    log: Path,
    timeout: float = 240,
    env: dict[str, str] | None = None,
) -> Iterator[subprocess.Popen]:
    """Run ``command`` until the block ends; ``NotReady`` with the log's tail if it exits or is not ready in time."""
    with log.open("wb") as out:
        proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + timeout
        while not ready():
            tail = log.read_text(encoding="utf-8", errors="replace")[-4000:]
            if proc.poll() is not None:
                raise NotReady(f"`{' '.join(command)}` exited with {proc.returncode}:\n{tail}")
            if time.monotonic() > deadline:
                raise NotReady(f"`{' '.join(command)}` not ready after {timeout} s:\n{tail}")
            time.sleep(0.25)
        yield proc
    finally:
        stop_server(proc)


def alliance_command(port: int, host: str = "127.0.0.1") -> list[str]:
    """``alliance-qa serve`` on ``host:port``."""
    return [sys.executable, "-m", "ui.cli", "serve", "--host", host, "--port", str(port)]


def server_env(state: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of an alliance-qa server started here: its state in ``state``, the repository's corpus,
    offline, with ``extra`` on top; the caller's API key is not passed on, so clients need no secret."""
    env = {k: v for k, v in os.environ.items() if k != "ALLIANCE_QA_API_KEY"}
    env.update(ALLIANCE_QA_STATE_DIR=str(state), ALLIANCE_QA_DATA_DIR=str(DATA_DIR), HF_HUB_OFFLINE="1")
    return {**env, **(extra or {})}


@contextmanager
def alliance_server(
    state: Path, extra_env: dict[str, str] | None = None, timeout: float = 300
) -> Iterator[tuple[str, subprocess.Popen]]:
    """``alliance-qa serve`` on a free loopback port, its log in ``state/serve.log``, until the block ends; yields
    its URL and process once ``/api/health`` answers (``NotReady`` if it does not)."""
    state.mkdir(parents=True, exist_ok=True)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = server_env(state, extra_env)
    with running(
        alliance_command(port), lambda: reachable(f"{url}/api/health"), state / "serve.log", timeout, env
    ) as proc:
        yield url, proc


def llama_server_command(model: Path, port: int, alias: str = "smollm2") -> list[str]:
    """llama-cpp-python's OpenAI-compatible server for a GGUF on ``port``, sized like the in-process model."""
    return [
        sys.executable, "-m", "llama_cpp.server", "--model", str(model), "--model_alias", alias,
        "--host", "127.0.0.1", "--port", str(port), "--n_threads", "2", "--n_ctx", "4096",
    ]  # fmt: skip


def chroma_server_command(path: Path, port: int) -> list[str]:
    """A Chroma server (``chroma run``) keeping its data in ``path``."""
    return [str(Path(sys.executable).parent / "chroma"), "run", "--path", str(path), "--host", "127.0.0.1",
            "--port", str(port)]  # fmt: skip


def proc_memory_mb(pid: int, field: str) -> float | None:
    """A memory field (VmRSS, VmHWM) of a process from /proc, in MB; None where /proc is unavailable."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return round(int(line.split()[1]) / 1024, 1)
    except (OSError, ValueError, IndexError):
        return None
    return None


def http_json(url: str, body: dict[str, Any] | None = None, timeout: float = 120) -> tuple[int, Any]:
    """GET (or POST ``body`` as JSON) and return the status and decoded JSON."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, headers={"content-type": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return response.status, json.loads(response.read() or b"null")


class RssSampler(threading.Thread):
    """Samples a process's VmRSS every ``interval`` seconds and keeps the largest value."""

    def __init__(self, pid: int, interval: float = 0.2) -> None:
        super().__init__(daemon=True)
        self.pid, self.interval, self.peak_mb = pid, interval, 0.0
        self.stopped = threading.Event()

    def run(self) -> None:
        """Sample until stopped."""
        while not self.stopped.wait(self.interval):
            self.peak_mb = max(self.peak_mb, proc_memory_mb(self.pid, "VmRSS") or 0.0)


@contextlib.contextmanager
def exit_on_sigterm() -> Iterator[None]:
    """Turn SIGTERM into SystemExit meanwhile, so a killed run still removes its temp state and stops the server."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
