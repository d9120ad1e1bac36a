"""``python -m rag.llm.worker``: the llama.cpp engine in its own process, driven over a socket by ``supervisor``.

A native crash (SIGSEGV, SIGILL, out of memory) or a hang inside llama.cpp then costs the answers in flight, not
the server. The protocol is pickled tuples over a ``multiprocessing`` connection:

- parent to worker: ``("call", id, method, args)`` for ``warm``, ``choice`` and ``stream``;
- worker to parent: ``("ready", {})`` once loaded, or ``("failed", message)``; ``("token", id, text)`` while
  streaming; ``("progress", id)`` while a prompt prefix is computed; ``("result", id, value)`` or
  ``("error", id, type name, message)`` to end a call; ``("alive",)`` every second from a thread of its own, so a
  stopped or frozen process is told apart from a long computation.
"""

from __future__ import annotations

import argparse
import ctypes
import logging
import signal
import threading
import traceback
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from rag.llm.engine import LlamaEngine

HEARTBEAT_SECONDS = 1.0
_PR_SET_PDEATHSIG = 1


class Channel:
    """The worker's end of the connection; sends from two threads (calls and heartbeats) never interleave."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self._lock = threading.Lock()

    def send(self, *message: Any) -> None:
        with self._lock:
            self.connection.send(message)


def heartbeat(channel: Channel, stop: threading.Event) -> None:
    while not stop.wait(HEARTBEAT_SECONDS):
        try:
            channel.send("alive")
        except OSError:  # the parent has gone: the main loop sees it too and exits
            return


def handle(engine: LlamaEngine, channel: Channel, call_id: int, method: str, args: tuple[Any, ...]) -> None:
    """Run one call and send its tokens and its result or error."""
    try:
        if method == "stream":
            for text in engine.stream(*args):
                channel.send("token", call_id, text)
            channel.send("result", call_id, None)
        elif method in ("warm", "choice"):
            channel.send("result", call_id, getattr(engine, method)(*args))
        else:
            channel.send("error", call_id, "ValueError", f"unknown method {method!r}")
    except Exception as exc:  # reported to the caller, who decides; the worker stays up for the next call
        logging.getLogger(__name__).debug("call %s failed:\n%s", method, traceback.format_exc())
        channel.send("error", call_id, type(exc).__name__, str(exc))


def serve(connection: Connection, engine: LlamaEngine) -> None:
    """Load the model, then answer calls one at a time until the parent closes the connection."""
    channel = Channel(connection)
    stop = threading.Event()
    threading.Thread(target=heartbeat, args=(channel, stop), name="heartbeat", daemon=True).start()
    try:
        try:
            engine.load()
        except Exception as exc:
            channel.send("failed", f"{type(exc).__name__}: {exc}")
            return
        channel.send("ready", {"n_ctx": engine.n_ctx})
        while True:
            try:
                message = connection.recv()
            except (EOFError, OSError):
                return
            if message[0] == "call":
                _, call_id, method, args = message
                engine.on_progress = lambda call_id=call_id: channel.send("progress", call_id)
                handle(engine, channel, call_id, method, args)
    finally:
        stop.set()


def die_with_parent() -> None:
    """Ask Linux to kill this process when its parent dies, so that a killed server leaves no model behind (the
    socket's end of file covers an idle worker everywhere else)."""
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        pass


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m rag.llm.worker", description=__doc__.splitlines()[0])
    parser.add_argument("--fd", type=int, required=True, help="file descriptor of the socket to the supervisor")
    parser.add_argument("--model", required=True)
    parser.add_argument("--model-id", required=True)
    parser.add_argument("--context", type=int, default=4096)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--states", type=Path)
    args = parser.parse_args(argv)
    die_with_parent()
    logging.basicConfig(level=logging.INFO, format="llm worker: %(message)s")
    engine = LlamaEngine(args.model, args.model_id, args.context, args.threads, args.states)
    serve(Connection(args.fd), engine)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
