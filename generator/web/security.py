"""Who may talk to ``apport serve``: the person at this machine, through her browser.

The rules are the spec's, checked in this order on every request, before
any route runs:

1. ``Host`` must be ``127.0.0.1:N`` or ``localhost:N`` (N: our port), token
   or not: a page from elsewhere whose name was re-pointed at 127.0.0.1
   (DNS rebinding) sends its own name and is refused.
2. The token: ``?token=T`` (then remembered in a cookie, and the address
   without it shown), the cookie, or ``Authorization: Bearer T``.
3. A state-changing request (POST, PUT, PATCH, DELETE) whose ``Origin`` is
   present and not ours is refused (a form or script on another site).

Every answer carries a Content-Security-Policy that allows scripts, styles
and requests from this server only, no inline script, and no framing.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import field
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qsl, urlencode

from ..records import record

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
       "frame-ancestors 'none'")
HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"cache-control", b"no-store"),
]
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
REFUSED = ("Accès refusé. Ouvrez l'adresse complète affichée par « apport serve » "
           "(elle se termine par ?token=...).\n").encode()


def new_token() -> str:
    """A fresh random token (256 bits, URL-safe)."""
    return secrets.token_urlsafe(32)


@record
class Guard:
    """The token and the port (known once the socket is bound: ``--port 0``)."""

    token: str = field(default_factory=new_token)
    port: int = 0

    @property
    def cookie(self) -> str:
        # Cookies are shared by every port of a host: one name per server.
        return f"apport-{self.port}"

    @property
    def hosts(self) -> frozenset[str]:
        return frozenset({f"127.0.0.1:{self.port}", f"localhost:{self.port}"})

    @property
    def origins(self) -> frozenset[str]:
        return frozenset(f"http://{host}" for host in self.hosts)

    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/?token={self.token}"

    def matches(self, candidate: str | None) -> bool:
        return candidate is not None and hmac.compare_digest(candidate.encode(),
                                                             self.token.encode())


def _headers(scope: Scope) -> dict[str, str]:
    found: dict[str, str] = {}
    for key, value in scope.get("headers", []):
        name = key.decode("latin-1").lower()
        if name not in found:  # the first of repeated headers; never a merged list
            found[name] = value.decode("latin-1")
    return found


async def _refuse(send: Send, status: int = 403, body: bytes = REFUSED) -> None:
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"text/plain; charset=utf-8"), *HEADERS]})
    await send({"type": "http.response.body", "body": body})


class GuardMiddleware:
    """Applies :class:`Guard`'s rules to every HTTP request and the headers to every answer."""

    def __init__(self, app: ASGIApp, guard: Guard) -> None:
        self.app = app
        self.guard = guard

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            if scope["type"] == "lifespan":
                await self.app(scope, receive, send)
            return  # websockets: none served
        guard = self.guard
        headers = _headers(scope)
        if headers.get("host") not in guard.hosts:
            await _refuse(send)
            return
        query = parse_qsl(scope.get("query_string", b"").decode("latin-1"),
                          keep_blank_values=True)
        from_query = next((v for k, v in query if k == "token"), None)
        cookie = SimpleCookie()
        try:
            cookie.load(headers.get("cookie", ""))
        except Exception:  # a malformed cookie header is no token
            cookie = SimpleCookie()
        from_cookie = cookie[guard.cookie].value if guard.cookie in cookie else None
        auth = headers.get("authorization", "")
        from_bearer = auth[7:].strip() if auth[:7].lower() == "bearer " else None
        if not any(guard.matches(t) for t in (from_query, from_cookie, from_bearer)):
            await _refuse(send)
            return
        if scope["method"] in UNSAFE_METHODS:
            origin = headers.get("origin")
            if origin is not None and origin not in guard.origins:
                await _refuse(send)
                return
        if (guard.matches(from_query) and scope["method"] == "GET"
                and not scope["path"].startswith(("/api/", "/static/"))):
            # The token came in the address: keep it in a cookie and show the address
            # without it (no token in the history, in bookmarks or on a screen shared).
            rest = urlencode([(k, v) for k, v in query if k != "token"])
            location = scope["path"] + (f"?{rest}" if rest else "")
            await send({"type": "http.response.start", "status": 303, "headers": [
                (b"location", location.encode("latin-1", "replace")),
                (b"set-cookie", self._cookie()), *HEADERS]})
            await send({"type": "http.response.body", "body": b""})
            return
        set_cookie = guard.matches(from_query) and not guard.matches(from_cookie)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                extra = list(HEADERS)
                if set_cookie:
                    extra.append((b"set-cookie", self._cookie()))
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, send_with_headers)

    def _cookie(self) -> bytes:
        return (f"{self.guard.cookie}={self.guard.token}; Path=/; HttpOnly; "
                "SameSite=Strict").encode()
