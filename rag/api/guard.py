"""What every request to the service passes before a route (API or UI) sees it.

- **Host** (DNS rebinding): without ``RAG_API_TOKEN`` the service listens on loopback only, and a
  request whose ``Host`` is not a loopback name, the bound address or one of
  ``RAG_API__ALLOWED_HOSTS`` is refused (421). With a token, a rebound page has no token to send.
- **Origin** (cross-site writes): a browser sends ``Origin`` with every POST, PUT, PATCH and DELETE,
  and with CORS preflights. A write or preflight whose ``Origin`` is neither the service's own
  (``http://`` + its ``Host``) nor in ``RAG_API__CORS_ORIGINS`` is refused (403), so a page on another
  site (or on ``localhost:9999``) can neither plant nor delete an article, token or not. Clients that
  send no ``Origin`` (curl, the CLI, scripts) are not browsers and pass.
- **Body size**: uploads (``POST /api/articles``, Gradio's ``/gradio_api/upload``) may carry at most
  ``RAG_API__MAX_REQUEST_MB``, other requests 1 MB; a declared ``Content-Length`` over it is refused
  before a byte is read, a streamed body as soon as it passes it (413).
- **Wrong credentials**: after ``RAG_API__AUTH_FAILURES`` wrong tokens or passwords from one client
  within a minute, that client gets 429 until the minute is over. Only a credential that was sent
  and is wrong counts (a request with none is answered 401 and not counted), and a request carrying
  the right token (or a login with the right password) always passes: nobody can lock the right
  token out. The client is the connection's address; ``X-Forwarded-For`` is believed only from
  the proxies named in ``RAG_API__TRUSTED_PROXIES`` (``rag serve`` tells uvicorn).
"""

from __future__ import annotations

import hmac
import json
import threading
import time
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import parse_qs, urlsplit

from rag.settings import ApiSettings

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}
WRITES = {"POST", "PUT", "PATCH", "DELETE"}
UPLOAD_PATHS = ("/api/articles", "/gradio_api/upload")
SMALL_BODY = 1 << 20
#: Where a failed credential shows: a 401 from /api, or Gradio's refused login.
LOGIN_PATHS = ("/login", "/gradio_api/login")


class _TooLarge(BaseException):
    """Not an ``Exception``: it must pass the app's own catch-all handlers to reach :class:`Guard`."""


def host_name(host: str) -> str:
    """``example.org:7860`` -> ``example.org``; ``[::1]:7860`` -> ``[::1]``."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[: host.find("]") + 1]
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


class Guard:
    """ASGI middleware around the whole app (the Gradio mount included)."""

    def __init__(self, app: ASGIApp, api: ApiSettings, bound: Callable[[], str | None]) -> None:
        self.app = app
        self.api = api
        self.bound = bound  # the service's URL once it listens
        self.token_mode = api.token is not None
        self._token = api.token.get_secret_value().encode() if api.token else None
        self._failures: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    # -- checks ----------------------------------------------------------------------------------------
    def _allowed_host(self, host: str) -> bool:
        if self.token_mode and not self.api.allowed_hosts:
            return True
        name = host_name(host)
        allowed = LOOPBACK | {h.lower() for h in self.api.allowed_hosts}
        url = self.bound()
        if url:
            allowed.add(host_name(urlsplit(url).netloc))
        return name in allowed

    def _allowed_origin(self, origin: str, host: str, scheme: str) -> bool:
        own = {f"{scheme}://{host}".lower(), f"http://{host}".lower(), f"https://{host}".lower()}
        return origin.lower() in own or origin in self.api.cors_origins

    def _limited(self, client: str) -> bool:
        now = time.monotonic()
        with self._lock:
            seen = self._failures.get(client)
            while seen and now - seen[0] > 60:
                seen.popleft()
            return seen is not None and len(seen) >= self.api.auth_failures

    def _right(self, secret: str) -> bool:
        return self._token is not None and hmac.compare_digest(secret.encode(), self._token)

    def _failed(self, client: str) -> None:
        with self._lock:
            self._failures[client].append(time.monotonic())
            if len(self._failures) > 10_000:  # bounded memory whatever the clients do
                self._failures.pop(next(iter(self._failures)))

    # -- ASGI --------------------------------------------------------------------------------------------
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        host = headers.get("host", "")
        method = scope.get("method", "GET")
        path = scope.get("path", "")
        client = (scope.get("client") or ("?", 0))[0]
        if not self._allowed_host(host):
            await _reply(send, 421, "bad_host", f"Host {host!r} is not this service", self._host_hint())
            return
        origin = headers.get("origin")
        preflight = method == "OPTIONS" and "access-control-request-method" in headers
        checked = origin is not None and (method in WRITES or preflight)
        if checked and not self._allowed_origin(str(origin), host, scope.get("scheme", "http")):
            await _reply(
                send,
                403,
                "cross_origin",
                f"a request from {origin!r} may not change this archive",
                "send it from the service's own page, or list that origin in RAG_API__CORS_ORIGINS",
            )
            return
        bearer = headers.get("authorization", "")
        login = path in LOGIN_PATHS and method == "POST"
        if self._limited(client) and (path.startswith("/api/") or login):
            right = bearer.startswith("Bearer ") and self._right(bearer[7:].strip())
            if login and not right:  # the password is in the form: read it (small), then hand it on
                body, receive = await _buffered(receive, SMALL_BODY)
                right = any(self._right(p) for p in parse_qs(body.decode("utf-8", "replace")).get("password", []))
            if not right:
                await _reply(send, 429, "too_many_attempts", "too many wrong tokens or passwords", "wait a minute")
                return
        limit = int(self.api.max_request_mb * 1024 * 1024) if path in UPLOAD_PATHS else SMALL_BODY
        declared = headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > limit:
            await _reply(send, 413, "too_large", f"the request body is larger than {limit >> 20} MB", _size_hint(path))
            return
        status: dict[str, int] = {}
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise _TooLarge
            return message

        async def watched(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = int(message["status"])
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except BaseException as raised:  # _TooLarge, alone or inside the task groups it passed through
            if not _is_too_large(raised):
                raise
            if "code" not in status:
                await _reply(send, 413, "too_large", f"the request body passed {limit >> 20} MB", _size_hint(path))
            return
        code = status.get("code")
        if (code == 401 and bearer) or (login and code is not None and code >= 400):
            self._failed(client)  # a credential was sent, and it was wrong

    def _host_hint(self) -> str:
        return "open the service at http://127.0.0.1:<port>, or add this name to RAG_API__ALLOWED_HOSTS"


async def _buffered(receive: Receive, limit: int) -> tuple[bytes, Receive]:
    """The request's body (up to ``limit`` bytes) and a ``receive`` that gives it to the app again."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        size += len(chunks[-1])
        if not message.get("more_body") or size > limit:
            break
    body = b"".join(chunks)
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return body, replay


def _is_too_large(err: BaseException) -> bool:
    if isinstance(err, _TooLarge):
        return True
    if isinstance(err, BaseExceptionGroup):
        return any(_is_too_large(e) for e in err.exceptions)  # the rest follow from it ("No response")
    return False


def _size_hint(path: str) -> str:
    if path in UPLOAD_PATHS:
        return "send fewer or smaller files per request, or raise RAG_API__MAX_REQUEST_MB"
    return "send a smaller request"


async def _reply(send: Send, status: int, kind: str, message: str, hint: str | None) -> None:
    body = json.dumps({"error": {"type": kind, "message": message, "hint": hint}}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})
