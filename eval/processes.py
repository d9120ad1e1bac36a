"""Real server processes for benchmarks and tests: a free loopback port, the commands, started until ready, stopped.

The benchmarks, the load script and the test fixtures all start the same servers (``alliance-qa serve``,
llama-cpp-python's OpenAI-compatible server, ``chroma run``); they do it through these few functions.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


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
