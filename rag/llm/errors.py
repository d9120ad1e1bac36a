"""Failures of remote chat models, reported with the backend's name and URL."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx


class BackendError(RuntimeError):
    """A remote LLM backend could not be reached, timed out, or answered with an error."""

    def __init__(self, message: str, backend: str, url: str) -> None:
        super().__init__(message)
        self.backend = backend
        self.url = url


def _chain(exc: BaseException) -> list[BaseException]:
    """The exception and its causes, outermost first."""
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen and len(seen) < 8:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


def _reason(exc: BaseException) -> str:
    """``Type: message`` of the exception, with the distinct messages of its causes in parentheses."""
    parts: list[str] = []
    for e in _chain(exc):
        text = f"{type(e).__name__}: {e}" if str(e) else type(e).__name__
        if not any(str(e) and str(e) in p for p in parts):
            parts.append(text)
    return parts[0] + "".join(f" ({p})" for p in parts[1:])


def backend_error(exc: BaseException, backend: str, url: str, timeout: float | None) -> BackendError:
    """A ``BackendError`` whose message names the backend and its URL and says what went wrong."""
    chain = _chain(exc)
    if any(isinstance(e, httpx.TimeoutException | TimeoutError) or "Timeout" in type(e).__name__ for e in chain):
        limit = f" after {timeout:g}s" if timeout else ""
        what = f"timed out{limit}"
    elif any(isinstance(e, httpx.TransportError | ConnectionError) or "Connection" in type(e).__name__ for e in chain):
        what = "is unreachable"
    else:
        what = "failed"
    return BackendError(f"LLM backend {backend} at {url} {what}: {_reason(exc)}", backend, url)


class ReportsBackend:
    """Mixin for a LangChain chat model served over HTTP: every failure becomes a ``BackendError``.

    The concrete class (a pydantic model) declares a ``backend_name`` field (e.g. ``openai:smollm2``) and provides
    ``_backend_url`` and ``_backend_timeout``.
    """

    backend_name: str  # declared as a field by the concrete class

    @property
    def _backend_url(self) -> str:  # pragma: no cover - overridden
        raise NotImplementedError

    @property
    def _backend_timeout(self) -> float | None:  # pragma: no cover - overridden
        return None

    def _error(self, exc: Exception) -> BackendError:
        return backend_error(exc, self.backend_name, self._backend_url, self._backend_timeout)

    def _generate(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super()._generate(*args, **kwargs)  # type: ignore[misc]
        except BackendError:
            raise
        except Exception as exc:
            raise self._error(exc) from exc

    def _stream(self, *args: Any, **kwargs: Any) -> Iterator[Any]:
        try:
            yield from super()._stream(*args, **kwargs)  # type: ignore[misc]
        except BackendError:
            raise
        except Exception as exc:
            raise self._error(exc) from exc

    async def _agenerate(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return await super()._agenerate(*args, **kwargs)  # type: ignore[misc]
        except BackendError:
            raise
        except Exception as exc:
            raise self._error(exc) from exc

    async def _astream(self, *args: Any, **kwargs: Any) -> AsyncIterator[Any]:
        try:
            async for chunk in super()._astream(*args, **kwargs):  # type: ignore[misc]
                yield chunk
        except BackendError:
            raise
        except Exception as exc:
            raise self._error(exc) from exc
