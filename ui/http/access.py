"""Who may use the server: an API key for /api/* and /v1/*, per-client rate limits, CORS, and the chat's login.

Decisions, and why:

- ``/api/health`` needs no key and is not rate limited: it is the liveness probe of load balancers and ``serve``'s
  own start-up check. Without the key it answers only ``{"status": "ok"}``; the counts need the key.
- ``/docs`` and ``/openapi.json`` stay open: they describe the API's shape, as the README does, and hold no data. A
  browser cannot send a bearer header when it opens a page, so a guarded ``/docs`` would be useless; its
  "Authorize" button takes the key instead.
- The chat calls the pipeline in-process, so the key cannot guard it; Gradio's own login does (``ui_auth``): any
  user name, the key as password. The user name only labels the session.
- Gradio's ``POST /login`` shares the rate limit, so that the login form is no faster way to guess the key.
"""

from __future__ import annotations

import ipaddress
import logging
import math
import secrets
import time
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from limits import RateLimitItemPerMinute
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter
from starlette.datastructures import Headers
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

from rag.settings import Settings
from ui.http.errors import ErrorBody

log = logging.getLogger(__name__)

GUARDED_PREFIXES = ("/api/", "/v1/")
OPEN_PATHS = frozenset({"/api/health"})
LOGIN_PATHS = frozenset({"/login", "/login/"})
UI_LOGIN_MESSAGE = "Sign in with any user name and the server's API key (ALLIANCE_QA_API_KEY) as the password."


def is_guarded(path: str) -> bool:
    """True for the paths that need the key and count against the rate limit: /api/* and /v1/*, except health."""
    return path not in OPEN_PATHS and (path.startswith(GUARDED_PREFIXES) or path in ("/api", "/v1"))


def configured_key(settings: Settings) -> bytes | None:
    """The API key as bytes; None when it is unset or blank (``ALLIANCE_QA_API_KEY=`` means no key, not "")."""
    if settings.api_key is None or not settings.api_key.get_secret_value().strip():
        return None
    return settings.api_key.get_secret_value().encode()


def bearer_token(headers: Headers) -> bytes | None:
    """The token of an ``Authorization: Bearer <token>`` header, byte for byte; None when there is none."""
    for name, value in headers.raw:
        if name.lower() == b"authorization":
            scheme, _, token = value.strip().partition(b" ")
            if scheme.lower() == b"bearer" and token.strip():
                return token.strip()
    return None


def has_access(request: Request, settings: Settings) -> bool:
    """True when no key is set or the request carries it."""
    key = configured_key(settings)
    return key is None or _matches(bearer_token(request.headers), key)


def _matches(token: bytes | None, key: bytes) -> bool:
    """Constant-time comparison, so that timing does not reveal how much of a guess was right."""
    return token is not None and secrets.compare_digest(token, key)


class RateLimiter:
    """At most ``per_minute`` requests per client in any moving minute: the ``limits`` library, in memory, whose
    storage forgets a client's hits as they age out of the window."""

    def __init__(self, per_minute: int) -> None:
        if per_minute < 1:
            raise ValueError(f"per_minute is {per_minute}: it must be at least 1 (a rate limit of 0 means none)")
        self.item = RateLimitItemPerMinute(per_minute)
        self._limiter = MovingWindowRateLimiter(MemoryStorage())

    def take(self, client: str) -> float:
        """0.0 when ``client`` may go ahead (the request is counted); otherwise the seconds until it may."""
        if self._limiter.hit(self.item, client):
            return 0.0
        reset = self._limiter.get_window_stats(self.item, client).reset_time
        return max(reset - time.time(), 0.001)


class AccessMiddleware:
    """The key check and the rate limit in front of /api/* and /v1/* (and the rate limit on Gradio's login).

    A client is the key when the request carries the right one, else its IP address: X-Forwarded-For is not trusted,
    since any client can write it. Requests with a wrong key count against their IP, so guessing gets a 429.
    """

    def __init__(self, app: ASGIApp, key: bytes | None, limiter: RateLimiter | None) -> None:
        self.app = app
        self.key = key
        self.limiter = limiter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        guarded = is_guarded(path)
        login = path in LOGIN_PATHS and scope["method"] == "POST"
        if not guarded and not login:
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        token = bearer_token(request.headers)
        authorized = self.key is None or _matches(token, self.key)
        if self.limiter is not None:
            client = (
                "key" if self.key is not None and authorized else f"ip:{request.client.host if request.client else ''}"
            )
            wait = self.limiter.take(client)
            if wait > 0:
                per_minute = self.limiter.item.amount
                seconds = max(1, math.ceil(wait))
                message = f"too many requests: at most {per_minute} a minute per client; retry in {seconds} s"
                await _refuse(request, 429, message, {"Retry-After": str(seconds)})(scope, receive, send)
                return
        if guarded and not authorized:
            if token is None:
                message = "missing API key: send the header 'Authorization: Bearer <key>' with the server's API key"
            else:
                message = "wrong API key: send 'Authorization: Bearer <key>' with the key the server was given"
            await _refuse(request, 401, message, {"WWW-Authenticate": "Bearer"})(scope, receive, send)
            return
        await self.app(scope, receive, send)


def _refuse(request: Request, status: int, message: str, headers: dict[str, str]) -> JSONResponse:
    """A JSON error like every other of the API, and one log line for the operator, sharing a request id."""
    request_id = getattr(request.state, "request_id", "")
    log.warning("request %s: %s %s -> %d: %s", request_id, request.method, request.url.path, status, message)
    body = ErrorBody(error=message, request_id=request_id)
    return JSONResponse(status_code=status, content=body.model_dump(), headers={**headers, "X-Request-ID": request_id})


def install_access(app: FastAPI, settings: Settings) -> None:
    """Add the key check, the rate limit and (when origins are configured) CORS to ``app``.

    Call it before adding the request-id middleware: middleware added later wraps what was added earlier, so the
    request id then reaches every response, 401, 429 and CORS preflight included. CORS wraps the key check so that a
    browser can read a 401, and so that a preflight, which carries no key, is answered without one.
    """
    key = configured_key(settings)
    limiter = RateLimiter(settings.rate_limit) if settings.rate_limit > 0 else None
    app.add_middleware(AccessMiddleware, key=key, limiter=limiter)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "DELETE"],
            allow_headers=["Authorization", "Content-Type"],
            expose_headers=["X-Request-ID", "Retry-After"],
            max_age=600,
        )
    if key is not None:
        _document_bearer(app)


def _document_bearer(app: FastAPI) -> None:
    """Declare the bearer key in the OpenAPI schema, so that /docs offers an "Authorize" button for it."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        schema = build()
        schema.setdefault("components", {}).setdefault("securitySchemes", {})["bearer"] = {
            "type": "http",
            "scheme": "bearer",
            "description": "the server's ALLIANCE_QA_API_KEY",
        }
        for path, operations in schema.get("paths", {}).items():
            if is_guarded(path):
                for operation in operations.values():
                    operation["security"] = [{"bearer": []}]
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def ui_auth(settings: Settings) -> Callable[[str, str], bool] | None:
    """Gradio's login check: any user name, the API key as password; None (no login) when no key is set."""
    key = configured_key(settings)
    if key is None:
        return None

    def check(username: str, password: str) -> bool:
        return _matches(password.encode(), key)

    return check


def is_loopback(host: str) -> bool:
    """True when a server bound to ``host`` only accepts connections from this machine (127.0.0.0/8, ::1)."""
    name = host.strip().strip("[]").rstrip(".").lower()
    if name == "localhost":
        return True
    try:
        address = ipaddress.ip_address(name)
    except ValueError:  # another host name: it may resolve to anything
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_loopback


def bind_warning(host: str, port: int, settings: Settings) -> str | None:
    """The warning ``serve`` prints when it listens beyond this machine with no API key; None when all is well."""
    if is_loopback(host) or configured_key(settings) is not None:
        return None
    return (
        f"alliance-qa: WARNING: listening on {host}:{port} with no API key: anyone who can reach this port can ask "
        "questions, upload documents and delete them. Set ALLIANCE_QA_API_KEY to a long random secret (e.g. the "
        "output of `python -c 'import secrets; print(secrets.token_urlsafe(32))'`) to require it for the API and "
        "the chat, or bind 127.0.0.1."
    )
