"""A bounded queue in front of the model: one generation at a time, a few waiting, the rest told to retry."""

from __future__ import annotations

import random
import threading
from collections.abc import Iterator
from contextlib import contextmanager


class Busy(RuntimeError):
    """The model's queue is full or the wait timed out; ``retry_after`` is a suggested delay in seconds."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class GenerationGate:
    """Lets one caller generate while at most ``waiting`` others wait up to ``timeout`` seconds each."""

    def __init__(self, waiting: int, timeout: float) -> None:
        self.capacity = waiting
        self.timeout = timeout
        self._running = threading.Lock()
        self._count = threading.Lock()
        self._queued = 0

    def check(self) -> None:
        """``Busy`` at once when the queue is full, so that a question that would be turned away anyway is turned
        away before its retrieval spends CPU the running generation needs."""
        if self._queued > self.capacity:
            raise self._full()

    def _full(self) -> Busy:
        # Spread the retries: clients told the same delay come back together and fill the queue again at once.
        retry_after = random.randint(4, 6)
        return Busy(f"the model is busy: {self.capacity} questions are already waiting", retry_after=retry_after)

    @contextmanager
    def slot(self) -> Iterator[None]:
        """Hold the model for the block, or raise ``Busy`` at once when the queue is full, or after the timeout."""
        with self._count:
            if self._queued > self.capacity:
                raise self._full()
            self._queued += 1
        try:
            if not self._running.acquire(timeout=self.timeout):
                raise Busy(f"the model stayed busy for {self.timeout:.0f} s", retry_after=10)
            try:
                yield
            finally:
                self._running.release()
        finally:
            with self._count:
                self._queued -= 1
