"""The engine's methods served by a worker process (``rag.llm.worker``) that this module starts, watches and restarts.

A worker that dies (a native crash, out of memory), stops sending heartbeats (stopped, frozen) or makes no progress
on a call (stuck in native code) is killed and replaced with backoff; the call in flight fails with
``WorkerUnavailable`` and the caller answers without the model. The KV state of the last warmed prompt prefix is
loaded again by the new worker from the saved state, so the first answer after a restart stays fast.
"""

from __future__ import annotations

import atexit
import itertools
import logging
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

Message = dict[str, str]


class WorkerUnavailable(RuntimeError):
    """The model worker is not ready, or failed during the call; the message says what happened."""


class WorkerError(RuntimeError):
    """The worker ran the call and it raised; ``kind`` is the exception's type name in the worker."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(f"{kind}: {message}")
        self.kind = kind


def _describe(code: int | None) -> str:
    if code is None:
        return "stopped answering"
    if code < 0:
        try:
            return f"died with {signal.Signals(-code).name}"
        except ValueError:
            return f"died with signal {-code}"
    return f"exited with status {code}"


class _Worker:
    """One worker process and the thread that reads its messages."""

    def __init__(self, command: list[str]) -> None:
        parent, child = socket.socketpair()
        self.process = subprocess.Popen([*command, "--fd", str(child.fileno())], pass_fds=(child.fileno(),))
        child.close()
        self.connection = Connection(parent.detach())
        self.inbox: queue.Queue[tuple[Any, ...]] = queue.Queue()
        self.last_heard = time.monotonic()
        self.killed_because: str | None = None
        self._send_lock = threading.Lock()
        threading.Thread(target=self._read, name=f"llm-worker-{self.process.pid}", daemon=True).start()

    def _read(self) -> None:
        while True:
            try:
                message = self.connection.recv()
            except (EOFError, OSError):
                self.inbox.put(("dead",))
                return
            self.last_heard = time.monotonic()
            if message[0] != "alive":
                self.inbox.put(message)

    def send(self, *message: Any) -> None:
        with self._send_lock:
            self.connection.send(message)

    def kill(self, because: str | None = None) -> None:
        """Kill the process (if it still runs) and close the connection; safe to call more than once, from the
        supervisor, a timed-out call and the exit handler alike."""
        with self._send_lock:
            if self.process.poll() is None:
                self.killed_because = self.killed_because or because
                self.process.kill()
            self.process.wait()
            if not self.connection.closed:
                try:
                    self.connection.close()
                except OSError:  # closed by another thread in between
                    pass


class WorkerEngine:
    """``LlamaEngine``'s methods (``load``, ``warm``, ``choice``, ``stream``, ``count_tokens``) over a supervised
    worker process; one call at a time."""

    def __init__(
        self,
        model_path: str,
        model_id: str,
        n_ctx: int = 4096,
        n_threads: int = 2,
        states_dir: Path | None = None,
        hang_seconds: float = 10.0,
        call_seconds: float = 60.0,
        start_seconds: float = 180.0,
    ) -> None:
        self.model_path = model_path
        self.n_ctx = n_ctx
        self.hang_seconds = hang_seconds
        self.call_seconds = call_seconds
        self.start_seconds = start_seconds
        self.command = [
            sys.executable, "-m", "rag.llm.worker", "--model", model_path, "--model-id", model_id,
            "--context", str(n_ctx), "--threads", str(n_threads),
            *(["--states", str(states_dir)] if states_dir else []),
        ]  # fmt: skip
        self.restarts = 0
        self.state = "stopped"
        self.reason: str | None = None
        self._worker: _Worker | None = None
        self._call_lock = threading.Lock()  # one call in the worker at a time
        self._state_lock = threading.Lock()
        self._ready = threading.Event()
        self._tried = threading.Event()  # set once the first worker is ready or has failed to start
        self._ids = itertools.count(1)
        self._warm: list[Message] | None = None
        self._tokenizer: Any = None
        self._closed = False

    # lifecycle -----------------------------------------------------------------------------------------------

    def load(self) -> None:
        """Start the worker and wait until it has loaded the model; a worker that cannot start is retried in the
        background with backoff while ``status`` says why (this returns all the same)."""
        with self._state_lock:
            if self.state != "stopped":
                return
            self.state = "starting"
        atexit.register(self.close)
        threading.Thread(target=self._supervise, name="llm-supervisor", daemon=True).start()
        self._tried.wait(self.start_seconds + 5)

    def status(self) -> dict[str, Any]:
        """``state`` (starting, ready, restarting, failed), the ``reason`` for anything but ready, ``restarts``."""
        worker = self._worker
        pid = worker.process.pid if worker else None
        return {"state": self.state, "reason": self.reason, "restarts": self.restarts, "pid": pid}

    def close(self) -> None:
        self._closed = True
        if self._worker is not None:
            self._worker.kill()

    def _supervise(self) -> None:
        """Start workers for as long as this engine lives: a dead one is replaced after a backoff that doubles while
        workers keep dying young, up to a minute."""
        backoff = 0.5
        while not self._closed:
            began = time.monotonic()
            worker = _Worker(self.command)
            self._worker = worker
            failure = self._wait_ready(worker)
            if failure is not None:
                self._tried.set()
            else:
                log.info("model worker %d ready in %.1f s", worker.process.pid, time.monotonic() - began)
                self._rewarm(worker)
                with self._state_lock:
                    self.state, self.reason = "ready", None
                self._ready.set()
                self._tried.set()
                failure = self._wait_dead(worker)
            worker.kill()
            if self._closed:
                return
            backoff = 0.5 if time.monotonic() - began > 60 else min(backoff * 2, 60.0)
            with self._state_lock:
                self._ready.clear()
                self.state = "failed" if failure.startswith("could not start") else "restarting"
                self.reason = f"the model worker {failure}; restarting in {backoff:.1f} s"
                self.restarts += 1
            log.error("model worker %d %s; restart %d in %.1f s", worker.process.pid, failure, self.restarts, backoff)
            time.sleep(backoff)

    def _wait_ready(self, worker: _Worker) -> str | None:
        """None once the worker has loaded the model, else why it could not start."""
        deadline = time.monotonic() + self.start_seconds
        while time.monotonic() < deadline:
            try:
                message = worker.inbox.get(timeout=0.5)
            except queue.Empty:
                if time.monotonic() - worker.last_heard > self.hang_seconds:
                    return f"could not start: no heartbeat for {self.hang_seconds:.0f} s"
                continue
            if message[0] == "ready":
                return None
            if message[0] == "failed":
                return f"could not start: {message[1]}"
            if message[0] == "dead":
                return f"could not start: it {_describe(worker.process.wait())}"
        return f"could not start within {self.start_seconds:.0f} s"

    def _wait_dead(self, worker: _Worker) -> str:
        """Block while the worker lives; returns how it ended (the calls notice its death themselves)."""
        while worker.process.poll() is None and not self._closed:
            if time.monotonic() - worker.last_heard > self.hang_seconds:
                worker.kill(f"stopped answering (no heartbeat for {self.hang_seconds:.0f} s) and was killed")
            time.sleep(0.2)
        return worker.killed_because or _describe(worker.process.wait())

    def _rewarm(self, worker: _Worker) -> None:
        """Bring the last warmed prefix back into the new worker's cache (from its saved state, in milliseconds)."""
        if self._warm is None:
            return
        with self._call_lock:
            try:
                list(self._call(worker, "warm", (self._warm,)))
            except (WorkerUnavailable, WorkerError) as exc:
                log.warning("re-warming the prompt prefix after a restart failed: %s", exc)

    # calls ---------------------------------------------------------------------------------------------------

    def _current(self) -> _Worker:
        if self.state == "stopped":  # the first call starts the worker when nobody called load()
            self.load()
        worker = self._worker
        if self.state != "ready" or worker is None:
            raise WorkerUnavailable(self.reason or f"the model worker is {self.state}")
        return worker

    def _call(self, worker: _Worker, method: str, args: tuple[Any, ...]) -> Iterator[Any]:
        """Send one call; yield its tokens, then its result (last). The caller holds ``_call_lock``."""
        call_id = next(self._ids)
        try:
            worker.send("call", call_id, method, args)
        except OSError as exc:
            raise WorkerUnavailable(f"the model worker is gone ({exc})") from exc
        progress = time.monotonic()
        while True:
            try:
                message = worker.inbox.get(timeout=0.25)
            except queue.Empty:
                now = time.monotonic()
                if now - worker.last_heard > self.hang_seconds:
                    raise self._down(
                        worker, f"stopped answering (no heartbeat for {self.hang_seconds:.0f} s)"
                    ) from None
                if now - progress > self.call_seconds:
                    raise self._down(worker, f"made no progress on a call for {self.call_seconds:.0f} s") from None
                continue
            kind = message[0]
            if kind == "dead":
                worker.inbox.put(message)  # a later call on this worker fails the same way
                raise self._down(worker, f"{_describe(worker.process.wait())} during the call")
            if len(message) < 2 or message[1] != call_id:
                continue  # a late message of an abandoned call
            progress = time.monotonic()
            if kind == "token":
                yield message[2]
            elif kind == "result":
                yield message[2]
                return
            elif kind == "error":
                raise WorkerError(message[2], message[3])

    def _down(self, worker: _Worker, what: str) -> WorkerUnavailable:
        """Kill the worker (if it still runs), mark the engine as restarting at once (the supervisor notices within
        a moment too), and return the error for the caller."""
        worker.kill(f"{what} and was killed")
        with self._state_lock:
            if self._worker is worker and self.state == "ready":
                self._ready.clear()
                self.state, self.reason = "restarting", f"the model worker {what}"
        return WorkerUnavailable(f"the model worker {what}")

    def _result(self, method: str, args: tuple[Any, ...]) -> Any:
        with self._call_lock:
            *_, result = self._call(self._current(), method, args)
        return result

    def warm(self, messages: list[Message]) -> str:
        """Compute or load the KV cache of the first message in the worker; remembered for restarts."""
        self._warm = messages[:1]
        return self._result("warm", (messages,))

    def choice(self, messages: list[Message], options: list[str]) -> dict[str, float]:
        return self._result("choice", (messages, options))

    def stream(self, messages: list[Message], max_tokens: int, temperature: float = 0.0) -> Iterator[str]:
        with self._call_lock:
            pieces = self._call(self._current(), "stream", (messages, max_tokens, temperature))
            for piece in pieces:
                if piece is not None:
                    yield piece

    def count_tokens(self, text: str) -> int:
        """Tokens of the text, counted in this process by the model's tokenizer alone (no weights loaded)."""
        if self._tokenizer is None:
            # The model alone, as ``Llama`` holds it: a ``Llama`` makes a context too, and llama.cpp then warns on
            # stderr that a vocabulary-only model has no training context length.
            import llama_cpp
            from llama_cpp._internals import LlamaModel

            params = llama_cpp.llama_model_default_params()
            params.vocab_only = True
            self._tokenizer = LlamaModel(path_model=self.model_path, params=params, verbose=False)
        return len(self._tokenizer.tokenize(text.encode("utf-8"), add_bos=False, special=True))
